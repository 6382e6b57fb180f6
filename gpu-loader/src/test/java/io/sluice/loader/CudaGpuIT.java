package io.sluice.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.sluice.loader.TestStreams.Row;
import io.sluice.loader.internal.CudaDevice;
import io.sluice.loader.internal.CudaDriver;
import io.sluice.loader.internal.CudaDriverProbe;
import io.sluice.loader.internal.CudaException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA path on a real GPU: skipped where no driver loads (every CI machine), run by
 * {@code scripts/gpu-check.sh run} on a GPU machine. Values are copied back with
 * {@code cuMemcpyDtoH_v2} (bound here, not by the loader) and compared with the source rows.
 */
@SuppressWarnings("restricted")
class CudaGpuIT {

    private static final List<List<Row>> DATASET = TestStreams.dataset(10, 1000);

    @BeforeEach
    void needsADriver() {
        assumeTrue(CudaDriverProbe.driverPresent(), "no CUDA driver (libcuda.so.1): the CUDA path runs on a GPU machine "
                + "with scripts/gpu-check.sh");
    }

    @Test
    void bindsTheRealDriverByItsVersionedExports() {
        CudaDriver driver = CudaDriver.load(CudaDriverProbe.DRIVER_LIBRARY).orElseThrow();

        for (CudaDriver.Function function : CudaDriver.Function.values()) {
            if (!function.required()) {
                continue;
            }
            String bound = driver.boundSymbols().get(function);
            assertThat(bound).as(function.apiName())
                    .isIn(function.symbol(), "cuGetProcAddress_v2(\"" + function.apiName() + "\", " + driver.driverVersion() + ")");
        }
        assertThat(driver.driverVersion()).isGreaterThanOrEqualTo(12000);
    }

    @Test
    void streamsBatchesOntoTheGpuValueForValue() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (FakeBroker broker = new FakeBroker().route("g-1", new FakeBroker.Dataset("d", DATASET));
                GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()))) {
            assertThat(loader.gpuAvailable()).isTrue();
            assertThat(loader.arena().registered()).isTrue();
            CudaDevice device = (CudaDevice) loader.device().orElseThrow();
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0, 3), () -> FakeBroker.TOKEN)) {
                while (stream.hasNext()) {
                    try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                        assertThat(batch.copyTime()).isPositive();
                        rows.addAll(TrainingStreamIT.rowsOnDevice(toHost(device, batch)));
                    }
                }
                assertThat(stream.metrics().copiedBatches()).isEqualTo(10);
            }
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=0&shards=1&epoch=0&seed=3")));
    }

    @Test
    void namesTheCallAndTheErrorWhenTheDeviceRefuses() {
        CudaDriver driver = CudaDriver.load(CudaDriverProbe.DRIVER_LIBRARY).orElseThrow();
        try (CudaDevice device = CudaDevice.open(driver, 0)) {
            assertThatThrownBy(() -> device.allocate(1L << 50)).isInstanceOf(CudaException.class)
                    .hasMessageStartingWith("cuMemAlloc_v2 of 1125899906842624 bytes failed: CUDA_ERROR_OUT_OF_MEMORY");
        }
    }

    /** A copy of {@code batch} whose pointers are host memory, copied back from the GPU. */
    private static DeviceBatch toHost(CudaDevice device, DeviceBatch batch) {
        Arena arena = Arena.ofAuto();
        List<DeviceColumn> columns = new ArrayList<>();
        for (DeviceColumn column : batch.columns()) {
            List<DeviceBuffer> buffers = new ArrayList<>();
            for (DeviceBuffer buffer : column.buffers()) {
                if (buffer.bytes() == 0) {
                    buffers.add(buffer);
                    continue;
                }
                MemorySegment host = arena.allocate(buffer.bytes(), 64);
                device.destroyEvent(device.createEvent()); // makes the device's context current on this thread
                copyToHost(device.driver(), host, buffer.pointer(), buffer.bytes());
                buffers.add(new DeviceBuffer(host.address(), buffer.bytes()));
            }
            columns.add(new DeviceColumn(column.field(), column.length(), column.nullCount(), buffers, List.of()));
        }
        return new DeviceBatch(batch.schema(), batch.rowCount(), batch.position(), columns, batch.bytes(), Duration.ZERO,
                "host copy", () -> { });
    }

    private static void copyToHost(CudaDriver driver, MemorySegment host, long device, long bytes) {
        SymbolLookup lookup = SymbolLookup.libraryLookup(driver.library(), Arena.global());
        MethodHandle dtoh = Linker.nativeLinker().downcallHandle(lookup.find("cuMemcpyDtoH_v2").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
        try {
            int result = (int) dtoh.invokeExact(host, device, bytes);
            assertThat(result).as("cuMemcpyDtoH_v2 result").isZero();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
