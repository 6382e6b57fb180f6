package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import io.sluice.loader.TestStreams.Row;
import io.sluice.loader.internal.MeteredChannel;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection-and-retry stage alone: connections are in-memory Arrow streams that break where a
 * test says, so every reconnect, position and wait can be checked without a socket or a thread.
 */
class ResumingBatchesTest {

    private static final URI FIRST = URI.create("http://broker-a.test");
    private static final URI SECOND = URI.create("http://broker-b.test");
    private static final RetryPolicy THREE = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1));
    private static final List<List<Row>> DATASET = TestStreams.dataset(6, 10);

    /** What one connection does: serve the dataset from its position, and break after so many bytes (or never). */
    private record Serve(long breakAfterBytes, boolean brokerAnswersAfterwards) {
        static Serve whole() {
            return new Serve(Long.MAX_VALUE, true);
        }

        static Serve breakingInsideTheSecondBatch() {
            return new Serve(-2, true);
        }
    }

    private final RootAllocator root = new RootAllocator();
    private final List<String> connections = new ArrayList<>();
    private final List<Duration> waits = new ArrayList<>();
    private int opened;

    @AfterEach
    void noMemoryLeft() {
        assertThat(root.getAllocatedMemory()).as("every batch and stream gave its memory back").isZero();
        root.close();
    }

    @Test
    void resumesFromTheLastBatchReceivedSoNoBatchIsRepeatedOrSkipped() throws InterruptedException {
        ResumingBatches batches = resuming(List.of(Serve.breakingInsideTheSecondBatch(),
                Serve.breakingInsideTheSecondBatch(), Serve.whole()), DATASET);

        assertThat(batches.open()).isEqualTo(TestStreams.SCHEMA);
        List<Long> positions = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        readAll(batches, positions, rows);

        assertThat(positions).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(rows).isEqualTo(TestStreams.flatten(DATASET));
        assertThat(connections).containsExactly(FIRST + " from 0", FIRST + " from 1", FIRST + " from 2");
        assertThat(batches.retries()).isEqualTo(2);
        // The failures were not in a row: each reconnect received a batch, so each waited the first backoff.
        assertThat(waits).containsExactly(THREE.backoff(1), THREE.backoff(1));
        assertThat(batches.connections()).extracting(StreamSummary::from).containsExactly(0L, 1L, 2L);
        assertThat(batches.connections().get(0).failure()).get().asString().contains("connection reset by test");
        assertThat(batches.connections().get(2).failure()).isEmpty();
        batches.close();
    }

    @Test
    void passesOverBatchesWithoutRowsButCountsTheirPositions() throws InterruptedException {
        List<List<Row>> withEmpty = new ArrayList<>(DATASET.subList(0, 3));
        withEmpty.add(1, List.of());
        withEmpty.add(List.of());
        ResumingBatches batches = resuming(List.of(Serve.whole()), withEmpty);
        batches.open();
        List<Long> positions = new ArrayList<>();
        readAll(batches, positions, new ArrayList<>());

        assertThat(positions).containsExactly(0L, 2L, 3L);
        assertThat(batches.received()).isEqualTo(5);
        batches.close();
    }

    @Test
    void retriesTheFirstConnectionLikeAnyOtherAndBacksOffLongerForFailuresInARow() throws InterruptedException {
        ResumingBatches batches = new ResumingBatches("g-1", Checkpoint.start(0, 1, 0), THREE,
                new BrokerRotation(List.of(FIRST), 0), (broker, at) -> {
                    connections.add(broker + " from " + at.position());
                    if (connections.size() <= 2) {
                        throw new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "connection refused", null);
                    }
                    return stream(broker, at.position(), DATASET, Serve.whole());
                }, waits::add);

        assertThat(batches.open()).isEqualTo(TestStreams.SCHEMA);
        readAll(batches, new ArrayList<>(), new ArrayList<>());

        assertThat(connections).hasSize(3);
        assertThat(waits).containsExactly(THREE.backoff(1), THREE.backoff(2));
        assertThat(batches.retries()).as("retries count reconnects after a drop, not a first connection's").isZero();
        batches.close();
    }

    @Test
    void givesUpWhenTheRetriesAreUsedUpNamingTheCheckpointToResumeFrom() throws InterruptedException {
        ResumingBatches batches = resuming(List.of(Serve.breakingInsideTheSecondBatch(), new Serve(10, true),
                new Serve(10, true), new Serve(10, true)), DATASET);
        batches.open();
        HostBatch first = batches.next();
        first.close();

        LoaderException e = catchThrowableOfType(LoaderException.class, batches::next);

        assertThat(e.error()).isEqualTo("retries_exhausted");
        assertThat(e).hasMessageContaining("failed 4 times in a row before batch 1")
                .hasMessageContaining("resume later from checkpoint v1.e0.s0of1.noseed.p1");
        assertThat(waits).containsExactly(THREE.backoff(1), THREE.backoff(2), THREE.backoff(3));
        assertThat(root.getAllocatedMemory()).as("the failed connections gave their memory back").isZero();
        batches.close();
    }

    @Test
    void failsAtOnceOnARefusalWithoutWaiting() {
        LoaderException refusal = new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, 403, "grant expired", null);
        ResumingBatches batches = new ResumingBatches("g-1", Checkpoint.start(0, 1, 0), THREE,
                new BrokerRotation(List.of(FIRST), 0), (broker, at) -> {
                    throw refusal;
                }, waits::add);

        assertThat(catchThrowableOfType(LoaderException.class, batches::open)).isSameAs(refusal);
        assertThat(waits).isEmpty();
        assertThat(batches.retries()).isZero();
    }

    @Test
    void refusesAResumedConnectionWithAnotherSchema() throws InterruptedException {
        Schema other = new Schema(List.of(Field.nullable("patient_id", new ArrowType.Int(64, true))));
        ResumingBatches batches = new ResumingBatches("g-1", Checkpoint.start(0, 1, 0), THREE,
                new BrokerRotation(List.of(FIRST), 0), (broker, at) -> {
                    connections.add(broker + " from " + at.position());
                    if (connections.size() == 1) {
                        return stream(broker, 0, DATASET, Serve.breakingInsideTheSecondBatch());
                    }
                    return otherSchemaStream(broker, other);
                }, waits::add);
        batches.open();
        batches.next().close();

        LoaderException e = catchThrowableOfType(LoaderException.class, batches::next);

        assertThat(e.error()).isEqualTo("stream_invalid");
        assertThat(e).hasMessageStartingWith("the broker resumed the stream of grant g-1 at batch 1 with a different schema");
        batches.close();
    }

    @Test
    void movesToTheNextBrokerWhenItsBrokerStopsAnswering() throws InterruptedException {
        ResumingBatches batches = new ResumingBatches("g-1", Checkpoint.start(0, 1, 0), THREE,
                new BrokerRotation(List.of(FIRST, SECOND), 0), (broker, at) -> {
                    connections.add(broker + " from " + at.position());
                    Serve serve = broker.equals(FIRST) ? new Serve(-2, false) : Serve.whole();
                    return stream(broker, at.position(), DATASET, serve);
                }, waits::add);
        batches.open();
        List<Row> rows = new ArrayList<>();
        readAll(batches, new ArrayList<>(), rows);

        assertThat(connections).containsExactly(FIRST + " from 0", SECOND + " from 1");
        assertThat(rows).isEqualTo(TestStreams.flatten(DATASET));
        assertThat(batches.connections()).extracting(StreamSummary::broker).containsExactly(FIRST, SECOND);
        batches.close();
    }

    @Test
    void closeDropsTheConnectionBeingReadAndSaysSo() throws InterruptedException {
        ResumingBatches batches = resuming(List.of(Serve.whole()), DATASET);
        batches.open();
        batches.next().close();

        batches.close();

        assertThat(batches.connections().getFirst().failure()).as("how the connection ended").contains("closed");
        assertThat(batches.connections().getFirst().batches()).isEqualTo(1);
    }

    private ResumingBatches resuming(List<Serve> script, List<List<Row>> dataset) {
        List<Serve> remaining = new ArrayList<>(script);
        return new ResumingBatches("g-1", Checkpoint.start(0, 1, 0), THREE, new BrokerRotation(List.of(FIRST), 0),
                (broker, at) -> {
                    connections.add(broker + " from " + at.position());
                    return stream(broker, at.position(), dataset, remaining.removeFirst());
                }, waits::add);
    }

    private static void readAll(ResumingBatches batches, List<Long> positions, List<Row> rows)
            throws InterruptedException {
        while (true) {
            try (HostBatch batch = batches.next()) {
                if (batch == null) {
                    return;
                }
                positions.add(batch.position());
                rows.addAll(TestStreams.rows(batch.root()));
            }
        }
    }

    /** A connection serving {@code dataset} from {@code from}, breaking as {@code serve} says. */
    private GrantStream stream(URI broker, long from, List<List<Row>> dataset, Serve serve) {
        TestStreams.Written written = TestStreams.write(dataset.subList((int) from, dataset.size()));
        long breakAt = serve.breakAfterBytes() == -2 ? (written.batchEnds()[0] + written.batchEnds()[1]) / 2
                : serve.breakAfterBytes();
        Supplier<StatusLookup> status = serve.brokerAnswersAfterwards()
                ? () -> StatusLookup.answered(Optional.empty()) : StatusLookup::silent;
        return open(broker, from, new BreakingChannel(written.bytes(), breakAt), status);
    }

    private GrantStream otherSchemaStream(URI broker, Schema schema) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RootAllocator allocator = new RootAllocator();
                VectorSchemaRoot vectors = VectorSchemaRoot.create(schema, allocator);
                ArrowStreamWriter writer = new ArrowStreamWriter(vectors, null, out)) {
            writer.start();
            writer.end();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return open(broker, 1, new BreakingChannel(out.toByteArray(), Long.MAX_VALUE),
                () -> StatusLookup.answered(Optional.empty()));
    }

    private GrantStream open(URI broker, long from, ReadableByteChannel body, Supplier<StatusLookup> status) {
        String id = "s-" + ++opened;
        return GrantStream.start("g-1", id, broker, broker + "/v1/grants/g-1/stream", root,
                root.newChildAllocator(id, 0, Long.MAX_VALUE), new MeteredChannel(body, null, id, false), from, () -> {
                }, status);
    }

    /** The bytes of a stream, then a reset connection after {@code breakAt} bytes. */
    private static final class BreakingChannel implements ReadableByteChannel {
        private final byte[] bytes;
        private final long breakAt;
        private int offset;
        private boolean open = true;

        BreakingChannel(byte[] bytes, long breakAt) {
            this.bytes = bytes;
            this.breakAt = breakAt;
        }

        @Override
        public int read(ByteBuffer target) throws IOException {
            if (offset >= breakAt) {
                throw new IOException("connection reset by test");
            }
            if (offset == bytes.length) {
                return -1;
            }
            int n = (int) Math.min(Math.min(target.remaining(), bytes.length - offset), breakAt - offset);
            target.put(bytes, offset, n);
            offset += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
