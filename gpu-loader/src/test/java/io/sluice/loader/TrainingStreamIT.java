package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.loader.TestStreams.Row;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@SuppressWarnings("restricted")
class TrainingStreamIT {

    private static final List<List<Row>> DATASET = TestStreams.dataset(12, 40);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private FakeBroker broker;
    private HostMemoryDevice device;

    @BeforeEach
    void start() throws IOException {
        broker = new FakeBroker().route("g-1", new FakeBroker.Dataset("d", DATASET));
        device = HostMemoryDevice.create();
    }

    @AfterEach
    void stop() {
        try {
            device.close();
        } finally {
            broker.close();
        }
    }

    @Test
    void copiesBatchNPlusOneWhileTheConsumerStillHoldsBatchN() throws InterruptedException {
        try (HostMemoryDevice slow = HostMemoryDevice.withCopyLatency(Duration.ofMillis(2));
                GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()).withPrefetchDepth(2), slow);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            assertThat(stream.onDevice()).isTrue();
            DeviceBatch first = (DeviceBatch) stream.next();
            assertThat(first.position()).isZero();

            // Batch 0 is held: the copy of batch 1 still completes (it overlaps the consumer's work) ...
            assertThat(slow.awaitCopiesCompleted(2, WAIT)).isTrue();
            // ... and nothing further is copied: both buffer sets are taken, so batch 2 waits for one.
            assertThat(slow.copiesEnqueued()).isEqualTo(2);

            first.close();
            assertThat(slow.awaitCopiesCompleted(3, WAIT)).isTrue();
            List<Long> positions = new ArrayList<>();
            while (stream.hasNext()) {
                try (LoadedBatch batch = stream.next()) {
                    positions.add(batch.position());
                }
            }
            assertThat(positions).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
            assertThat(slow.failedCopies()).isZero();
        }
    }

    @Test
    void allocatesDeviceBuffersOncePerBufferSetNotPerBatch() {
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()).withPrefetchDepth(3), device)) {
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
                stream.forEachRemaining(LoadedBatch::close);
                assertThat(stream.metrics().batches()).isEqualTo(12);
            }
            assertThat(device.allocations()).isEqualTo(3);
            assertThat(device.copiesEnqueued()).isEqualTo(12);
            assertThat(device.liveAllocations()).isZero();
            assertThat(loader.allocatedBytes()).isZero();
        }
    }

    @Test
    void deliversEveryValueOfEveryBatchOnTheDevice() {
        List<List<Row>> received = new ArrayList<>();
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            assertThat(stream.schema()).isEqualTo(TestStreams.SCHEMA);
            while (stream.hasNext()) {
                try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                    assertThat(batch.device()).isEqualTo("host stand-in");
                    assertThat(batch.column("patient_id").type()).isEqualTo(new ArrowType.Int(32, true));
                    assertThat(batch.column("ward").buffers()).hasSize(3);
                    assertThat(batch.column("score").nullCount())
                            .isEqualTo((int) DATASET.get((int) batch.position()).stream().filter(r -> r.score() == null).count());
                    received.add(rowsOnDevice(batch));
                }
            }
            LoaderMetrics metrics = stream.metrics();
            assertThat(metrics.copiedBatches()).isEqualTo(12);
            assertThat(metrics.rows()).isEqualTo(480);
            assertThat(metrics.bytesReceived()).isEqualTo(TestStreams.write(DATASET).bytes().length);
            assertThat(stream.streams()).hasSize(1);
            assertThat(stream.streams().getFirst().sha256Hex()).isPresent();
        }
        assertThat(received).isEqualTo(DATASET);
        assertThat(device.registeredBytes()).isZero();
    }

    @Test
    void deliversPinnedHostBatchesWithoutADevice() {
        List<Row> rows = new ArrayList<>();
        try (GpuLoader loader = GpuLoader.createWithoutDevice(TestStreams.config(broker.uri()));
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            assertThat(stream.onDevice()).isFalse();
            assertThat(loader.gpuAvailable()).isFalse();
            while (stream.hasNext()) {
                try (HostBatch batch = (HostBatch) stream.next()) {
                    assertThat(batch.pinned()).isTrue();
                    rows.addAll(TestStreams.rows(batch.root()));
                }
            }
            assertThat(stream.metrics().device()).isEqualTo("none (pinned host batches)");
            assertThat(stream.metrics().copiedBatches()).isZero();
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(DATASET));
    }

    @Test
    void sendsShardEpochSeedAndFromAsQueryParameters() {
        try (GpuLoader loader = GpuLoader.createWithoutDevice(TestStreams.config(broker.uri()))) {
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(1, 4, 2, 42), () -> FakeBroker.TOKEN)) {
                stream.next().close();
            }
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.parse("v1.e2.s3of4.seed-9.p2"),
                    () -> FakeBroker.TOKEN)) {
                try (LoadedBatch batch = stream.next()) {
                    assertThat(batch.position()).isEqualTo(2);
                }
            }
            try (GrantStream plain = loader.open("g-1", new StreamRequest(1, 4, 2), () -> FakeBroker.TOKEN)) {
                assertThat(plain.firstPosition()).isZero();
            }
        }
        assertThat(broker.queries()).containsExactly(
                "shard=1&shards=4&epoch=2&seed=42",
                "shard=3&shards=4&epoch=2&seed=-9&from=2",
                "shard=1&shards=4&epoch=2");
    }

    @Test
    void shardsAreDisjointCoverTheDatasetAndKeepTheirOrderForTheSameSeedAndEpoch() {
        List<Row> all = new ArrayList<>();
        try (GpuLoader loader = GpuLoader.createWithoutDevice(TestStreams.config(broker.uri()))) {
            for (int rank = 0; rank < 3; rank++) {
                List<Row> first = read(loader, Checkpoint.start(rank, 3, 1, 7));
                assertThat(read(loader, Checkpoint.start(rank, 3, 1, 7))).isEqualTo(first);
                all.addAll(first);
            }
            assertThat(read(loader, Checkpoint.start(0, 3, 2, 7))).isNotEqualTo(read(loader, Checkpoint.start(0, 3, 1, 7)));
        }
        Set<Integer> ids = new HashSet<>();
        all.forEach(row -> assertThat(ids.add(row.patientId())).as("row %s delivered twice", row).isTrue());
        assertThat(ids).hasSize(480);
        assertThat(new HashSet<>(all)).isEqualTo(new HashSet<>(TestStreams.flatten(DATASET)));
    }

    @Test
    void resumesExactlyAtEveryBatchBoundary() {
        Checkpoint epoch = Checkpoint.start(1, 2, 3, 5);
        List<List<Row>> shard = FakeBroker.order(DATASET, "shard=1&shards=2&epoch=3&seed=5");
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device)) {
            for (int position = 0; position <= shard.size(); position++) {
                List<Row> rows = new ArrayList<>();
                List<Long> positions = new ArrayList<>();
                Checkpoint end;
                try (TrainingStream stream = loader.openTraining("g-1", epoch.advance(position), () -> FakeBroker.TOKEN)) {
                    while (stream.hasNext()) {
                        try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                            positions.add(batch.position());
                            rows.addAll(rowsOnDevice(batch));
                        }
                    }
                    end = stream.checkpoint();
                }
                assertThat(rows).as("resumed at %d", position)
                        .isEqualTo(TestStreams.flatten(shard.subList(position, shard.size())));
                assertThat(positions).isEqualTo(java.util.stream.LongStream.range(position, shard.size()).boxed().toList());
                assertThat(end).isEqualTo(epoch.advance(shard.size()));
            }
        }
    }

    @Test
    void checkpointCountsTheBatchesReturnedAndResumesWithTheNextOne() {
        List<Row> rows = new ArrayList<>();
        Checkpoint saved;
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device)) {
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 4, 99), () -> FakeBroker.TOKEN)) {
                for (int i = 0; i < 5; i++) {
                    try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                        rows.addAll(rowsOnDevice(batch));
                    }
                }
                saved = stream.checkpoint();
            }
            assertThat(saved.token()).isEqualTo("v1.e4.s0of1.seed99.p5");
            try (TrainingStream resumed = loader.openTraining("g-1", Checkpoint.parse(saved.token()), () -> FakeBroker.TOKEN)) {
                while (resumed.hasNext()) {
                    try (DeviceBatch batch = (DeviceBatch) resumed.next()) {
                        rows.addAll(rowsOnDevice(batch));
                    }
                }
            }
            assertThat(device.liveAllocations()).isZero();
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=0&shards=1&epoch=4&seed=99")));
    }

    @Test
    void reconnectsWhenTheBrokerGoesSilentMidStreamInsteadOfHangingTheRank() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (DroppingBroker stalling = DroppingBroker.stalling("h", DATASET, DroppingBroker.MID_SECOND_BATCH);
                GpuLoader loader = GpuLoader.create(TestStreams.config(stalling.uri()).withReadTimeout(Duration.ofMillis(400)),
                        device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0, 7), () -> FakeBroker.TOKEN)) {
            long started = System.nanoTime();
            while (stream.hasNext()) {
                try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                    rows.addAll(rowsOnDevice(batch));
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
            assertThat(stream.metrics().retries()).isEqualTo(1);
            assertThat(stream.streams().getFirst().failure()).get().asString().contains("read timeout of 0.4 s");
            assertThat(stalling.queries()).containsExactly("shard=0&shards=1&epoch=0&seed=7",
                    "shard=0&shards=1&epoch=0&seed=7&from=1");
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=0&shards=1&epoch=0&seed=7")));
    }

    @Test
    void aBrokerThatStallsWhileSayingWhyAStreamBrokeIsTakenAsSilentAndTheStreamResumes() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (DroppingBroker stalling = DroppingBroker.stallingStatus("q", DATASET, DroppingBroker.MID_SECOND_BATCH);
                GpuLoader loader = GpuLoader.create(TestStreams.config(stalling.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0, 7), () -> FakeBroker.TOKEN)) {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                while (stream.hasNext()) {
                    try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                        rows.addAll(rowsOnDevice(batch));
                    }
                }
            });
            assertThat(stream.metrics().retries()).isEqualTo(1);
            assertThat(stream.streams().getFirst().failure()).get().asString()
                    .endsWith("; the broker did not answer GET /v1/streams/q-1 either");
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=0&shards=1&epoch=0&seed=7")));
    }

    @Test
    void resumesAfterDroppedConnectionsWithoutRepeatingOrSkippingARow() throws IOException {
        AtomicInteger tokens = new AtomicInteger();
        List<Row> rows = new ArrayList<>();
        try (DroppingBroker dropping = new DroppingBroker("d", DATASET, List.of(
                        DroppingBroker.MID_SECOND_BATCH, DroppingBroker.MID_FIRST_BATCH, DroppingBroker.MID_SECOND_BATCH));
                GpuLoader loader = GpuLoader.create(TestStreams.config(dropping.uri()), device)) {
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0, 7), () -> {
                tokens.incrementAndGet();
                return FakeBroker.TOKEN;
            })) {
                while (stream.hasNext()) {
                    try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                        rows.addAll(rowsOnDevice(batch));
                    }
                }
                assertThat(stream.metrics().retries()).isEqualTo(3);
                assertThat(stream.checkpoint().token()).isEqualTo("v1.e0.s0of1.seed7.p12");
                List<StreamSummary> streams = stream.streams();
                assertThat(streams).extracting(StreamSummary::streamId).containsExactly("d-1", "d-2", "d-3", "d-4");
                assertThat(streams).extracting(StreamSummary::from).containsExactly(0L, 1L, 1L, 2L);
                assertThat(streams).extracting(StreamSummary::batches).containsExactly(1L, 0L, 1L, 10L);
                assertThat(streams.get(0).failure()).get().asString().startsWith("connection to " + dropping.uri());
                assertThat(streams.get(3).sha256Hex()).isPresent();
                assertThat(streams.get(3).failure()).isEmpty();
            }
            assertThat(dropping.queries()).containsExactly("shard=0&shards=1&epoch=0&seed=7",
                    "shard=0&shards=1&epoch=0&seed=7&from=1", "shard=0&shards=1&epoch=0&seed=7&from=1",
                    "shard=0&shards=1&epoch=0&seed=7&from=2");
            assertThat(loader.allocatedBytes()).isZero();
        }
        // One per connection, and one per break: the loader asks the broker why each stream broke off.
        assertThat(tokens).hasValue(4 + 3);
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=0&shards=1&epoch=0&seed=7")));
    }

    @Test
    void resumesExactlyOnTheNextBrokerWhenItsBrokerStopsAnswering() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (DroppingBroker dying = DroppingBroker.dying("a", DATASET, DroppingBroker.MID_SECOND_BATCH);
                DroppingBroker other = new DroppingBroker("b", DATASET, List.of());
                DroppingBroker third = new DroppingBroker("c", DATASET, List.of());
                GpuLoader loader = GpuLoader.create(TestStreams.config(other.uri())
                        .withBrokers(List.of(third.uri(), dying.uri(), other.uri())), device)) {
            // Shard 1 of 2 starts on the second broker (1 mod 3), the one that dies; the next is the third.
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(1, 2, 0, 7), () -> FakeBroker.TOKEN)) {
                while (stream.hasNext()) {
                    try (DeviceBatch batch = (DeviceBatch) stream.next()) {
                        rows.addAll(rowsOnDevice(batch));
                    }
                }
                // One retry: the silent status lookup moved the stream on at once, with no reconnect to the dead broker.
                assertThat(stream.metrics().retries()).isEqualTo(1);
                List<StreamSummary> streams = stream.streams();
                assertThat(streams).extracting(StreamSummary::streamId).containsExactly("a-1", "b-1");
                assertThat(streams).extracting(StreamSummary::broker).containsExactly(dying.uri(), other.uri());
                assertThat(streams).extracting(StreamSummary::from).containsExactly(0L, 1L);
                assertThat(streams.get(0).failure()).get().asString()
                        .startsWith("connection to " + dying.uri())
                        .endsWith("; the broker did not answer GET /v1/streams/a-1 either");
                assertThat(streams.get(1).sha256Hex()).isPresent();
            }
            assertThat(dying.queries()).containsExactly("shard=1&shards=2&epoch=0&seed=7");
            assertThat(other.queries()).containsExactly("shard=1&shards=2&epoch=0&seed=7&from=1");
            assertThat(third.queries()).isEmpty();
            assertThat(loader.allocatedBytes()).isZero();
        }
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=1&shards=2&epoch=0&seed=7")));
    }

    @Test
    void givesUpAfterTheAllowedRetriesNamingTheCheckpointToResumeFrom() throws IOException {
        List<Long> delivered = new ArrayList<>();
        try (DroppingBroker dropping = new DroppingBroker("d", DATASET, List.of(DroppingBroker.MID_SECOND_BATCH,
                        DroppingBroker.MID_FIRST_BATCH, DroppingBroker.MID_FIRST_BATCH, DroppingBroker.MID_FIRST_BATCH,
                        DroppingBroker.MID_FIRST_BATCH, DroppingBroker.MID_FIRST_BATCH));
                GpuLoader loader = GpuLoader.create(TestStreams.config(dropping.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            LoaderException e = catchThrowableOfType(LoaderException.class, () -> {
                while (stream.hasNext()) {
                    try (LoadedBatch batch = stream.next()) {
                        delivered.add(batch.position());
                    }
                }
            });

            assertThat(delivered).containsExactly(0L);
            assertThat(e.error()).isEqualTo("retries_exhausted");
            assertThat(e.code()).isEqualTo(4106);
            assertThat(e).hasMessageStartingWith("stream of grant g-1 (shard 0 of 1, epoch 0) failed 4 times in a row "
                    + "before batch 1 and gave up after 3 retries; resume later from checkpoint v1.e0.s0of1.noseed.p1. "
                    + "Last failure: connection to " + dropping.uri() + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0"
                    + "&from=1 failed while reading batch 1 of stream d-4 at byte ");
            assertThat(((LoaderException) e.getCause()).error()).isEqualTo("stream_broken");
            assertThat(stream.checkpoint().token()).isEqualTo("v1.e0.s0of1.noseed.p1");
            assertThat(stream.hasNext()).isFalse();
            assertThat(dropping.queries()).hasSize(4);
        }
    }

    @Test
    void doesNotRetryARefusal() {
        broker.route("g-denied", new FakeBroker.Error(403, "application/json", """
                {"code": 3004, "error": "forbidden", "message": "grant expired", "requestId": "req-9"}"""));
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device)) {
            LoaderException e = catchThrowableOfType(LoaderException.class,
                    () -> loader.openTraining("g-denied", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN));

            assertThat(e.httpStatus()).isEqualTo(403);
            assertThat(e).hasMessage("broker refused stream of grant g-denied: HTTP 403 forbidden: grant expired (requestId req-9)");
            assertThat(device.allocations()).isZero();
        }
        assertThat(broker.queries()).hasSize(1);
    }

    @Test
    void closingEarlyReleasesPrefetchedBatchesAndDeviceMemory() throws InterruptedException {
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()).withPrefetchDepth(2), device)) {
            DeviceBatch kept;
            try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
                kept = (DeviceBatch) stream.next();
                assertThat(device.awaitCopiesCompleted(2, WAIT)).isTrue();
            }
            assertThat(rowsOnDevice(kept)).isEqualTo(DATASET.getFirst());
            assertThat(device.liveAllocations()).isEqualTo(2);
            kept.close();
            assertThat(device.liveAllocations()).isZero();
            assertThat(loader.allocatedBytes()).isZero();
        }
    }

    @Test
    void refusesToCloseTheLoaderWhileATrainingStreamIsOpen() {
        GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
        loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN);

        assertThatThrownBy(loader::close).isInstanceOf(IllegalStateException.class)
                .hasMessage("GpuLoader closed while streams it delivered are still open (the caller owns each and must "
                        + "close it): training stream of grant g-1 at v1.e0.s0of1.noseed.p0");
        assertThat(device.liveAllocations()).isZero();
    }

    @Test
    void reportsMetricsAndAProgressLine() {
        try (GpuLoader loader = GpuLoader.create(TestStreams.config(broker.uri()), device);
                TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0), () -> FakeBroker.TOKEN)) {
            stream.forEachRemaining(LoadedBatch::close);
            LoaderMetrics metrics = stream.metrics();

            assertThat(metrics.batches()).isEqualTo(12);
            assertThat(metrics.copiedBatches()).isEqualTo(12);
            assertThat(metrics.copyTime()).isPositive();
            assertThat(metrics.bytesPerSecond()).isPositive();
            assertThat(metrics.pinnedBytesInUse()).isZero();
            assertThat(metrics.retries()).isZero();
            assertThat(stream.progressLine()).matches("epoch 0 shard 0/1  12 batches  480 rows  0\\.\\d MB  [0-9.]+ MB/s  "
                    + "stall [0-9.]+ s  h2d [0-9.]+ ms/batch  pinned 0\\.0 MB  retries 0  host stand-in  checkpoint v1\\.e0\\.s0of1\\.noseed\\.p12");
        }
    }

    private static List<Row> read(GpuLoader loader, Checkpoint at) {
        List<Row> rows = new ArrayList<>();
        try (TrainingStream stream = loader.openTraining("g-1", at, () -> FakeBroker.TOKEN)) {
            while (stream.hasNext()) {
                try (HostBatch batch = (HostBatch) stream.next()) {
                    rows.addAll(TestStreams.rows(batch.root()));
                }
            }
        }
        return rows;
    }

    /** Reads the rows back from the batch's device pointers (host memory, for the stand-in). */
    static List<Row> rowsOnDevice(DeviceBatch batch) {
        DeviceColumn ids = batch.column("patient_id");
        DeviceColumn scores = batch.column("score");
        DeviceColumn wards = batch.column("ward");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < batch.rowCount(); i++) {
            Integer id = valid(ids, i) ? segment(ids.buffers().get(1)).getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i) : null;
            Double score = valid(scores, i) ? segment(scores.buffers().get(1)).getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i) : null;
            String ward = null;
            if (valid(wards, i)) {
                MemorySegment offsets = segment(wards.buffers().get(1));
                int from = offsets.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
                int to = offsets.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i + 1);
                byte[] bytes = segment(wards.buffers().get(2)).asSlice(from, to - from).toArray(ValueLayout.JAVA_BYTE);
                ward = new String(bytes, StandardCharsets.UTF_8);
            }
            rows.add(new Row(id, score, ward));
        }
        return rows;
    }

    private static boolean valid(DeviceColumn column, int index) {
        DeviceBuffer validity = column.buffers().getFirst();
        if (validity.bytes() == 0) {
            return true;
        }
        return (segment(validity).get(ValueLayout.JAVA_BYTE, index / 8) >> (index % 8) & 1) == 1;
    }

    private static MemorySegment segment(DeviceBuffer buffer) {
        return MemorySegment.ofAddress(buffer.pointer()).reinterpret(buffer.bytes());
    }
}
