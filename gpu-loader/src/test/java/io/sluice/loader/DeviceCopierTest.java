package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** The device-copy stage alone, on the host stand-in device: no broker, no stream. */
class DeviceCopierTest {

    @Test
    void copiesABatchIntoASlotGivesTheHostMemoryBackAndKeepsTheDeviceForTheOpenSlot() throws InterruptedException {
        try (RootAllocator root = new RootAllocator()) {
            HostMemoryDevice device = HostMemoryDevice.create();
            DeviceCopier copier = new DeviceCopier(device, 2, "g-1");
            BufferAllocator batchMemory = root.newChildAllocator("batch", 0, Long.MAX_VALUE);
            BigIntVector ids = new BigIntVector("id", batchMemory);
            ids.allocateNew(3);
            ids.set(0, 11);
            ids.set(1, 22);
            ids.set(2, 33);
            ids.setValueCount(3);
            HostBatch batch = new HostBatch(VectorSchemaRoot.of(ids), batchMemory, 5, () -> {
            });

            DeviceCopier.Copy copy = copier.enqueue(batch);
            long nanos = copier.complete(copy);

            assertThat(nanos).isNotNegative();
            assertThat(root.getAllocatedMemory()).as("the host memory went back once the copy completed").isZero();
            DeviceBuffer values = copy.columns().getFirst().buffers().get(1);
            @SuppressWarnings("restricted")
            long[] onDevice = MemorySegment.ofAddress(values.pointer()).reinterpret(24).toArray(ValueLayout.JAVA_LONG);
            assertThat(onDevice).containsExactly(11, 22, 33);

            copier.close();
            device.close(); // the open slot's lease keeps the stand-in's memory
            assertThat(device.liveAllocations()).isEqualTo(1);
            copier.release(copy.slot());
            assertThat(device.liveAllocations()).isZero();
            assertThat(device.failedCopies()).isZero();
        }
    }
}
