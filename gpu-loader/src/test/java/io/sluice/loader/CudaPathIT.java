package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.sluice.loader.TestStreams.Row;
import io.sluice.loader.internal.CudaDevice;
import io.sluice.loader.internal.CudaDriver;
import io.sluice.loader.internal.FakeCudaDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA path end to end — {@link CudaDevice} over the FFM bindings, the arena registered with
 * {@code cuMemHostRegister_v2}, copies with {@code cuMemcpyHtoDAsync_v2} between events — against a
 * fake driver made of upcalls whose "device memory" is host memory, so values can be read back.
 */
class CudaPathIT {

    private static final List<List<Row>> DATASET = TestStreams.dataset(6, 30);

    private FakeBroker broker;
    private FakeCudaDriver fake;

    @BeforeEach
    void start() throws IOException {
        broker = new FakeBroker().route("g-1", new FakeBroker.Dataset("d", DATASET));
        fake = new FakeCudaDriver();
    }

    @AfterEach
    void stop() {
        try {
            fake.close();
            assertThat(fake.copiesFromReleasedMemory()).as("copies still pending when the arena was unregistered").isZero();
        } finally {
            broker.close();
        }
    }

    @Test
    void streamsOntoTheDeviceThroughTheDriverApi() {
        List<Row> rows = new ArrayList<>();
        try (CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0)) {
            assertThat(device.name()).isEqualTo("cuda:0 Fake GPU (driver 13.0)");
            try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device)) {
                assertThat(loader.arena().registered()).isTrue();
                assertThat(loader.arena().hostMemory()).isEqualTo(HostMemoryMode.REGISTERED);
                assertThat(fake.registered()).containsValue(loader.arena().budgetBytes());
                try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
                    while (stream.hasNext()) {
                        try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                            assertThat(batch.device()).isEqualTo(device.name());
                            rows.addAll(TrainingStreamIT.rowsOnDevice(batch));
                        }
                    }
                    assertThat(stream.metrics().copiedBatches()).isEqualTo(6);
                }
            }
            assertThat(fake.registered()).isEmpty();
            assertThat(fake.liveAllocations()).isZero();
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(DATASET));
        assertThat(fake.eventFlags()).as("events the consumer waits on without spinning").isNotEmpty()
                .allMatch(flags -> flags == CudaDriver.CU_EVENT_BLOCKING_SYNC);
        List<String> calls = fake.calls();
        assertThat(calls.stream().filter("cuMemAlloc_v2"::equals).count()).isEqualTo(2);
        assertThat(calls.stream().filter("cuMemcpyHtoDAsync_v2"::equals).count()).isEqualTo(6);
        assertThat(calls).containsSubsequence("cuInit", "cuDeviceGet", "cuDevicePrimaryCtxRetain", "cuStreamCreate",
                "cuMemHostRegister_v2", "cuEventCreate", "cuMemAlloc_v2", "cuEventRecord", "cuMemcpyHtoDAsync_v2",
                "cuEventRecord", "cuEventSynchronize", "cuEventElapsedTime_v2", "cuMemFree_v2", "cuMemHostUnregister",
                "cuStreamSynchronize", "cuStreamDestroy_v2", "cuDevicePrimaryCtxRelease_v2");
    }

    @Test
    void fallsBackToUnregisteredMemoryWhenTheDriverRefusesTheRegistration() {
        fake.failing("cuMemHostRegister_v2", FakeCudaDriver.CUDA_ERROR_NOT_PERMITTED);
        List<Row> rows = new ArrayList<>();
        try (CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device)) {
            PinnedArenaInfo arena = loader.arena();
            assertThat(arena.registered()).isFalse();
            assertThat(arena.registrationFailure()).hasValueSatisfying(failure -> assertThat(failure)
                    .isEqualTo("cuMemHostRegister_v2 of " + arena.budgetBytes() + " bytes failed: CUDA_ERROR_NOT_PERMITTED"));
            assertThat(arena.hostMemory()).isIn(HostMemoryMode.LOCKED, HostMemoryMode.PAGEABLE);
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
                while (stream.hasNext()) {
                    try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                        rows.addAll(TrainingStreamIT.rowsOnDevice(batch));
                    }
                }
                assertThat(stream.metrics().hostMemory()).isEqualTo(arena.hostMemory());
            }
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(DATASET));
        assertThat(fake.calls()).doesNotContain("cuMemHostUnregister");
    }

    @Test
    void waitsForACopyEnqueuedBeforeTheFailureBeforeGivingItsHostMemoryBack() {
        // Batch 0: the start event records, the copy is enqueued (and takes a while), the end event fails.
        fake.copyDelay(java.time.Duration.ofMillis(300)).failingAfter("cuEventRecord", 1, FakeCudaDriver.CUDA_ERROR_LAUNCH_FAILED);
        try (CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            LoaderException e = catchThrowableOfType(LoaderException.class, stream::hasNext);

            assertThat(e.error()).isEqualTo("device_failed");
            assertThat(fake.completedCopies()).as("the copy reading batch 0's host memory finished before it was given back")
                    .isEqualTo(1);
            assertThat(loader.allocatedBytes()).isZero();
        }
    }

    @Test
    void waitsForTheCopyStreamWhenAnEventSyncFailsBeforeGivingTheHostMemoryBack() {
        fake.copyDelay(java.time.Duration.ofMillis(300)).failing("cuEventSynchronize", FakeCudaDriver.CUDA_ERROR_LAUNCH_FAILED);
        try (CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()).withPrefetchDepth(1), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            assertThat(stream.hasNext()).isTrue();
            LoaderException e = catchThrowableOfType(LoaderException.class, stream::next);

            assertThat(e.error()).isEqualTo("device_failed");
            assertThat(e).hasMessageContaining("cuEventSynchronize failed");
            assertThat(fake.completedCopies()).as("batch 0's copy finished before its host memory was given back")
                    .isGreaterThanOrEqualTo(1);
            assertThat(fake.calls()).containsSubsequence("cuEventSynchronize", "cuStreamSynchronize");
        }
    }

    @Test
    void abandonsTheHostMemoryWhenNotEvenTheCopyStreamCanBeSynchronised() {
        fake.failing("cuEventSynchronize", FakeCudaDriver.CUDA_ERROR_LAUNCH_FAILED)
                .failing("cuStreamSynchronize", FakeCudaDriver.CUDA_ERROR_LAUNCH_FAILED);
        CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
        GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
        TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN);
        assertThat(stream.hasNext()).isTrue();

        LoaderException e = catchThrowableOfType(LoaderException.class, stream::next);

        assertThat(e.error()).isEqualTo("device_failed");
        assertThat(e.getSuppressed()).anySatisfy(s -> assertThat(s).hasMessageContaining("cuStreamSynchronize failed"));
        assertThat(loader.allocatedBytes()).as("the batch's host memory is kept out of the arena").isPositive();
        stream.close();
        assertThatThrownBy(loader::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("still open");
        device.close(); // the pool's lease holds the device: nothing is torn down under a copy that may still run
        assertThat(fake.contextResets()).isZero();
    }

    @Test
    void aDeviceBatchOpenWhenTheLoaderAndTheDeviceCloseKeepsItsMemoryUntilItIsClosed() {
        DeviceBatch batch;
        List<Row> expected;
        CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            assertThat(stream.hasNext()).isTrue();
            batch = (DeviceBatch) stream.next();
            expected = TrainingStreamIT.rowsOnDevice(batch);
        }
        device.close();

        assertThat(fake.contextResets()).as("the primary context is kept while a batch points into it").isZero();
        assertThat(fake.contextReferences()).isEqualTo(1);
        assertThat(TrainingStreamIT.rowsOnDevice(batch)).isEqualTo(expected); // its memory is still there
        batch.close();

        assertThat(fake.contextReferences()).isZero();
        assertThat(fake.contextResets()).isEqualTo(1);
        assertThat(fake.liveAllocations()).isZero();
        assertThat(fake.calls().subList(fake.calls().lastIndexOf("cuMemFree_v2"), fake.calls().size()))
                .containsSubsequence("cuMemFree_v2", "cuStreamDestroy_v2", "cuDevicePrimaryCtxRelease_v2");
    }

    @Test
    void aLoaderThatOwnsItsDeviceKeepsItForAnOpenBatch() {
        DeviceBatch batch;
        try (GpuLoader loader = GpuLoader.createOwning(TestStreams.config(broker.uri()),
                CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0));
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            assertThat(stream.hasNext()).isTrue();
            batch = (DeviceBatch) stream.next();
        }
        assertThat(fake.contextResets()).isZero();
        batch.close();
        assertThat(fake.contextResets()).isEqualTo(1);
        assertThat(fake.liveAllocations()).isZero();
    }

    @Test
    void leavesTheCallersThreadWithTheContextItHadAroundEveryLoaderCall() {
        long theirs = 0x5000; // another device's or another library's context, current on the training thread
        fake.foreignContext(theirs);
        CudaDriver driver = CudaDriver.bind("fake", fake.lookup());
        driver.ctxSetCurrent(java.lang.foreign.MemorySegment.ofAddress(theirs));
        List<Row> rows = new ArrayList<>();
        try (CudaDevice device = CudaDevice.open(driver, 0)) {
            assertThat(driver.ctxGetCurrent().address()).as("after open").isEqualTo(theirs);
            try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device)) {
                assertThat(driver.ctxGetCurrent().address()).as("after the arena was registered").isEqualTo(theirs);
                try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
                    while (stream.hasNext()) {
                        DeviceBatch batch = (DeviceBatch) stream.next();
                        assertThat(driver.ctxGetCurrent().address()).as("after next()").isEqualTo(theirs);
                        rows.addAll(TrainingStreamIT.rowsOnDevice(batch));
                        batch.close();
                        assertThat(driver.ctxGetCurrent().address()).as("after DeviceBatch.close()").isEqualTo(theirs);
                    }
                }
                assertThat(driver.ctxGetCurrent().address()).as("after TrainingStream.close()").isEqualTo(theirs);
            }
            assertThat(driver.ctxGetCurrent().address()).as("after GpuLoader.close()").isEqualTo(theirs);
        }
        assertThat(driver.ctxGetCurrent().address()).as("after CudaDevice.close()").isEqualTo(theirs);
        assertThat(rows).isEqualTo(TestStreams.flatten(DATASET));
    }

    @Test
    void failsTheStreamWithTheDriversErrorWhenDeviceMemoryRunsOut() {
        fake.failing("cuMemAlloc_v2", FakeCudaDriver.CUDA_ERROR_OUT_OF_MEMORY);
        try (CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            LoaderException e = catchThrowableOfType(LoaderException.class, stream::hasNext);

            assertThat(e.error()).isEqualTo("device_failed");
            assertThat(e).hasMessage("copying batch 0 of grant g-1 to cuda:0 Fake GPU (driver 13.0) failed: "
                    + "cuMemAlloc_v2 of 1048576 bytes failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
            assertThat(loader.allocatedBytes()).isZero();
        }
    }
}
