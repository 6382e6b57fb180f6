package io.sluice.broker.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Poll;
import io.sluice.broker.store.StreamRecord;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole stream against a real Vert.x HTTP server on 127.0.0.1 and a raw socket client that can
 * read everything, read part and vanish, or read nothing at all.
 */
class ArrowHttpStreamerTest {
    private static final int MIB = 1024 * 1024;

    private final RootAllocator root = new RootAllocator();
    private Vertx vertx;
    private HttpServer server;
    private volatile Served served;

    @BeforeEach
    void startServer() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer()
                .requestHandler(request -> served.start(request))
                .listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopServer() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(root.getAllocatedMemory()).isZero();
        root.close();
    }

    @Test
    void sendsEverySourceBatchAsOneRecordBatchAndRecordsTheHashOfTheBytesReceived() throws Exception {
        IntFunction<Boolean> emptied = b -> b == 2 || b == 7 || b == 11;
        served = new Served(12, 5_000, emptied, ArrowHttpStreamer.WRITE_QUEUE_BYTES);
        AtomicReference<StreamOutcome> recordedBeforeTheEnd = new AtomicReference<>();

        byte[] body;
        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 0)) {
            assertThat(client.head()).startsWith("HTTP/1.1 200 OK\r\n").contains("transfer-encoding: chunked");
            assertThat(client.readBody(Long.MAX_VALUE, () -> recordedBeforeTheEnd.set(served.outcome.get())))
                    .as("the stream ends with the last chunk").isTrue();
            body = client.body();
        }
        served.awaitEnd();

        StreamOutcome outcome = served.outcome.get();
        assertThat(recordedBeforeTheEnd.get()).as("recorded before the response ended").isEqualTo(outcome);
        List<List<String>> expected = served.source.expectedRows();
        assertThat(outcome.status()).isEqualTo(StreamRecord.Status.COMPLETED);
        assertThat(outcome.message()).isEmpty();
        assertThat(outcome.batches()).isEqualTo(12);
        assertThat(outcome.rows()).isEqualTo(expected.stream().mapToLong(List::size).sum());
        assertThat(outcome.rowsIn()).isEqualTo(12 * 5_000);
        assertThat(outcome.bytes()).isEqualTo(body.length);
        assertThat(outcome.sha256()).isEqualTo(sha256(body));

        List<List<String>> received = decode(body);
        assertThat(received).hasSize(12);
        assertThat(received.get(2)).as("a batch the policy empties is sent with zero rows").isEmpty();
        assertThat(received.get(11)).isEmpty();
        assertThat(received).isEqualTo(expected);
        served.assertEverythingReleased();

        assertThat(served.progress).as("progress after every batch").hasSize(12);
        for (int i = 0; i < 12; i++) {
            StreamOutcome step = served.progress.get(i);
            assertThat(step.status()).isEqualTo(StreamRecord.Status.RUNNING);
            assertThat(step.batches()).isEqualTo(i + 1);
            assertThat(step.rows()).isEqualTo(expected.subList(0, i + 1).stream().mapToLong(List::size).sum());
            assertThat(step.bytes()).isLessThan(body.length);
            assertThat(step.sha256()).as("the hash of exactly the first %d bytes", step.bytes())
                    .isEqualTo(sha256(java.util.Arrays.copyOf(body, (int) step.bytes())));
        }
    }

    @Test
    void noWriteHandedToVertxIsLargerThan64KiB() throws Exception {
        served = new Served(4, 100_000, b -> false, ArrowHttpStreamer.WRITE_QUEUE_BYTES);

        byte[] body;
        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 0)) {
            assertThat(client.readBody(Long.MAX_VALUE, () -> { })).isTrue();
            body = client.body();
        }
        served.awaitEnd();

        List<Integer> writes = served.writes();
        assertThat(writes).allSatisfy(length -> assertThat(length).isBetween(1, 64 * 1024));
        assertThat(writes).contains(64 * 1024);
        assertThat(writes.stream().mapToLong(Integer::longValue).sum()).isEqualTo(body.length);
        assertThat(served.outcome.get().status()).isEqualTo(StreamRecord.Status.COMPLETED);
        served.assertEverythingReleased();
    }

    @Test
    void aClientThatReadsNothingHoldsTheProducerWithBoundedMemory() throws Exception {
        int batches = 400;
        served = new Served(batches, 65_536, b -> false, MIB);
        long sourceBatchBytes = sourceBatchBytes(65_536);

        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 16 * 1024)) {
            client.head();
            served.awaitStalled();

            assertThat(served.source.calls()).as("batches read while the client reads nothing").isLessThan(30);
            // Decoded ahead, being enforced, being encoded and in the response: its queue (1 MiB in Netty,
            // 16 writes of 64 KiB in Vert.x) and the rest of the message in hand.
            long bound = (DecodeAhead.AHEAD + 4) * sourceBatchBytes + 2 * MIB;
            assertThat(served.streamAllocator.getPeakMemoryAllocation()).isLessThan(bound);
            assertThat(served.outcome.get()).as("still running").isNull();

            client.vanish();
        }
        served.awaitEnd();

        StreamOutcome outcome = served.outcome.get();
        assertThat(outcome.status()).isEqualTo(StreamRecord.Status.ABORTED);
        assertThat(outcome.message()).contains("the client disconnected");
        assertThat(outcome.batches()).isLessThan(batches);
        served.assertEverythingReleased();
    }

    @Test
    void aClientThatVanishesMidBatchAbortsTheStreamAndEveryBufferIsReleased() throws Exception {
        served = new Served(50, 65_536, b -> false, ArrowHttpStreamer.WRITE_QUEUE_BYTES);

        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 0)) {
            // 200 KiB into a stream of 1 MB record batches.
            assertThat(client.readBody(200 * 1024, () -> { })).isFalse();
            client.vanish();
        }
        served.awaitEnd();

        StreamOutcome outcome = served.outcome.get();
        assertThat(outcome.status()).isEqualTo(StreamRecord.Status.ABORTED);
        assertThat(outcome.message()).contains("the client disconnected");
        assertThat(outcome.batches()).isLessThan(50);
        served.assertEverythingReleased();
    }

    @Test
    void aRevokedGrantStopsTheStreamBeforeTheNextBatchAndCutsTheConnection() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        served = new Served(20, 1_000, b -> false, ArrowHttpStreamer.WRITE_QUEUE_BYTES)
                .revokedWhen(() -> asked.incrementAndGet() > 3);

        byte[] body;
        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 0)) {
            assertThat(client.readBody(Long.MAX_VALUE, () -> { })).as("no clean end").isFalse();
            body = client.body();
        }
        served.awaitEnd();

        StreamOutcome outcome = served.outcome.get();
        assertThat(outcome.status()).isEqualTo(StreamRecord.Status.ABORTED);
        assertThat(outcome.message()).contains("the grant was revoked by a change of the dataset's policy");
        assertThat(outcome.batches()).isEqualTo(3);
        assertThat(outcome.bytes()).isEqualTo(body.length);
        assertThat(outcome.sha256()).isEqualTo(sha256(body));
        served.assertEverythingReleased();
    }

    @Test
    void aStreamThatAPeerClosedStopsAtItsNextProgressRecord() throws Exception {
        served = new Served(20, 1_000, b -> false, ArrowHttpStreamer.WRITE_QUEUE_BYTES);
        served.stillRunning = recorded -> recorded.batches() < 3;

        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 0)) {
            assertThat(client.head()).startsWith("HTTP/1.1 200 OK");
            assertThat(client.readBody(Long.MAX_VALUE, () -> { })).as("cut, never ended").isFalse();
        }
        served.awaitEnd();

        StreamOutcome outcome = served.outcome.get();
        assertThat(outcome.status()).isEqualTo(StreamRecord.Status.ABORTED);
        assertThat(outcome.failure()).contains(StreamRecord.Failure.ERROR);
        assertThat(outcome.message()).contains(ArrowHttpStreamer.ENDED_ELSEWHERE);
        assertThat(outcome.batches()).isEqualTo(3);
        served.assertEverythingReleased();
    }

    @Test
    void aSourceThatFailsMidStreamCutsTheConnection() throws Exception {
        ConnectorException broken = new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                "row group 4 of part-0.parquet is truncated");
        served = new Served(20, 1_000, b -> false, ArrowHttpStreamer.WRITE_QUEUE_BYTES);
        served.source.failingAt(4, broken);

        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/stream", 0)) {
            assertThat(client.readBody(Long.MAX_VALUE, () -> { })).as("no clean end").isFalse();
        }
        served.awaitEnd();

        StreamOutcome outcome = served.outcome.get();
        assertThat(outcome.status()).isEqualTo(StreamRecord.Status.ABORTED);
        assertThat(outcome.message()).contains("the stream failed: row group 4 of part-0.parquet is truncated");
        assertThat(outcome.batches()).isEqualTo(4);
        served.assertEverythingReleased();
    }

    /** One stream, served to the next request. */
    private final class Served {
        final BufferAllocator streamAllocator = root.newChildAllocator("stream:test", 0, Long.MAX_VALUE);
        final GeneratedBatches source;
        final int writeQueueBytes;
        final AtomicReference<StreamOutcome> outcome = new AtomicReference<>();
        final AtomicReference<Exception> resourcesFailure = new AtomicReference<>();
        final AtomicBoolean resourcesClosed = new AtomicBoolean();
        final List<Integer> writes = Collections.synchronizedList(new ArrayList<>());
        /** Recorded after every batch (a zero interval), so that each can be checked against the body. */
        final List<StreamOutcome> progress = Collections.synchronizedList(new ArrayList<>());
        StopCheck stops = StopCheck.NEVER;
        /** What the store says to each progress record: false once a peer closed the stream. */
        java.util.function.Predicate<StreamOutcome> stillRunning = recorded -> true;
        volatile Thread streamer;

        Served(int batches, int rows, IntFunction<Boolean> emptied, int writeQueueBytes) {
            this.source = new GeneratedBatches(streamAllocator, batches, rows, emptied);
            this.writeQueueBytes = writeQueueBytes;
        }

        Served revokedWhen(BooleanSupplier revoked) {
            this.stops = () -> revoked.getAsBoolean() ? Optional.of(new StopCheck.Stop(StreamRecord.Failure.REVOKED,
                    "the grant was revoked by a change of the dataset's policy")) : Optional.empty();
            return this;
        }

        /** On the event loop: what the route does. */
        void start(HttpServerRequest request) {
            HttpServerResponse response = request.response()
                    .setStatusCode(200)
                    .putHeader("Content-Type", "application/vnd.apache.arrow.stream");
            BlockingResponseWriter out = new BlockingResponseWriter(recording(response), vertx.getOrCreateContext(),
                    writeQueueBytes, Duration.ofMinutes(1));
            AutoCloseable resources = () -> {
                try {
                    streamAllocator.close();
                    resourcesClosed.set(true);
                } catch (RuntimeException e) {
                    resourcesFailure.set(e);
                }
            };
            streamer = Thread.ofVirtual().name("stream:test").start(new ArrowHttpStreamer("st-test", source,
                    GeneratedBatches.pipeline(), streamAllocator, resources, out, stops, outcome::set, recorded -> {
                        progress.add(recorded);
                        return stillRunning.test(recorded);
                    }, Duration.ZERO));
        }

        /** The response, recording the length of every buffer written to it. */
        private HttpServerResponse recording(HttpServerResponse response) {
            return (HttpServerResponse) Proxy.newProxyInstance(HttpServerResponse.class.getClassLoader(),
                    new Class<?>[] {HttpServerResponse.class}, (proxy, method, args) -> {
                        if (method.getName().equals("write") && args.length == 1 && args[0] instanceof Buffer buffer) {
                            writes.add(buffer.length());
                        }
                        try {
                            Object result = method.invoke(response, args);
                            return result == response ? proxy : result;
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        List<Integer> writes() {
            synchronized (writes) {
                return List.copyOf(writes);
            }
        }

        void awaitEnd() throws InterruptedException {
            Poll.until(() -> streamer != null, Duration.ofSeconds(20), "the stream starts");
            assertThat(streamer.join(Duration.ofSeconds(60))).as("the stream ends").isTrue();
        }

        /** Waits until the producer waits for the response and no batch is read for a while. */
        void awaitStalled() throws InterruptedException {
            Poll.until(() -> streamer != null && source.calls() > 3, Duration.ofSeconds(20), "the stream runs");
            // Stalled: the source is not asked for more over 0.6 s while the streamer waits (a stability
            // check, so it samples rather than polls), within 60 s.
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            int calls = -1;
            int still = 0;
            while (still < 3) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the stream did not stall within 60 s; source calls: " + source.calls());
                }
                Thread.sleep(200);
                boolean waiting = streamer.getState() == Thread.State.TIMED_WAITING;
                still = waiting && source.calls() == calls ? still + 1 : 0;
                calls = source.calls();
            }
        }

        void assertEverythingReleased() {
            assertThat(resourcesFailure.get()).as("the stream allocator closed without a leak").isNull();
            assertThat(resourcesClosed).isTrue();
            assertThat(streamAllocator.getAllocatedMemory()).isZero();
            assertThat(source.closed()).isTrue();
            assertThat(source.caller()).isNotNull();
            assertThat(source.caller().isAlive()).as("the decode thread was joined").isFalse();
        }
    }

    private long sourceBatchBytes(int rows) {
        try (BufferAllocator measure = root.newChildAllocator("measure", 0, Long.MAX_VALUE);
                VectorSchemaRoot batch = GeneratedBatches.batch(measure, 0, rows, false)) {
            return measure.getAllocatedMemory();
        }
    }

    /** Each record batch of the stream as "id:name" rows, read by Arrow's own stream reader. */
    private List<List<String>> decode(byte[] body) throws IOException {
        List<List<String>> batches = new ArrayList<>();
        try (BufferAllocator allocator = root.newChildAllocator("client", 0, Long.MAX_VALUE);
                ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(body), allocator)) {
            assertThat(reader.getVectorSchemaRoot().getSchema()).isEqualTo(GeneratedBatches.pipeline().outputSchema());
            while (reader.loadNextBatch()) {
                VectorSchemaRoot batch = reader.getVectorSchemaRoot();
                BigIntVector id = (BigIntVector) batch.getVector("id");
                VarCharVector name = (VarCharVector) batch.getVector("name");
                List<String> rows = new ArrayList<>();
                for (int i = 0; i < batch.getRowCount(); i++) {
                    Object text = name.getObject(i);
                    rows.add(id.get(i) + ":" + (text == null ? null : text.toString()));
                }
                batches.add(rows);
            }
        }
        return batches;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void aUserErrorOfTheSourceIsASourceFailureAndAnythingElseAnError() {
        assertThat(ArrowHttpStreamer.failureOf(new io.sluice.connectors.ConnectorException(
                io.sluice.connectors.ConnectorErrorCode.CORRUPT_SOURCE, "visits.csv line 19: expected 2 fields, found 1")))
                .isEqualTo(StreamRecord.Failure.SOURCE);
        assertThat(ArrowHttpStreamer.failureOf(new io.sluice.connectors.ConnectorException(
                io.sluice.connectors.ConnectorErrorCode.SOURCE_CHANGED, "visits.csv changed")))
                .isEqualTo(StreamRecord.Failure.SOURCE);
        assertThat(ArrowHttpStreamer.failureOf(new io.sluice.connectors.ConnectorException(
                io.sluice.connectors.ConnectorErrorCode.SOURCE_READ_FAILED, "visits.csv cannot be read: EIO")))
                .isEqualTo(StreamRecord.Failure.ERROR);
        assertThat(ArrowHttpStreamer.failureOf(new IllegalStateException("a bug"))).isEqualTo(StreamRecord.Failure.ERROR);
    }
}
