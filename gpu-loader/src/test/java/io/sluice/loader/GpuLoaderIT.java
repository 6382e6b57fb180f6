package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.NoSuchElementException;

import io.sluice.loader.TestStreams.Row;
import io.sluice.loader.TestStreams.Written;
import io.sluice.loader.internal.CudaDriverProbeTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GpuLoaderIT {

    private static final Written WRITTEN = TestStreams.fourBatches();

    private FakeBroker broker;
    private GpuLoader loader;

    @BeforeEach
    void start() throws IOException {
        broker = new FakeBroker();
        loader = GpuLoader.create(TestStreams.config(broker.uri()));
    }

    @AfterEach
    void stop() {
        try {
            loader.close();
        } finally {
            broker.close();
        }
    }

    @Test
    void deliversEveryValueOfEveryBatchInPinnedMemory() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));
        List<List<Row>> received = new ArrayList<>();
        try (GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            assertThat(stream.streamId()).isEqualTo("s-1");
            assertThat(stream.grantId()).isEqualTo("g-1");
            assertThat(stream.schema()).isEqualTo(TestStreams.SCHEMA);
            while (stream.hasNext()) {
                try (HostBatch batch = stream.next()) {
                    assertThat(batch.pinned()).isTrue();
                    assertThat(batch.rowCount()).isEqualTo(batch.root().getRowCount());
                    assertThat(batch.root().getSchema()).isEqualTo(TestStreams.SCHEMA);
                    if (batch.rowCount() > 0) {
                        assertThat(batch.sizeBytes()).isPositive();
                        assertThat(loader.pinnedBytesInUse()).isGreaterThanOrEqualTo(batch.sizeBytes());
                    }
                    received.add(TestStreams.rows(batch.root()));
                }
            }
            assertThat(stream.hasNext()).isFalse();
            assertThatThrownBy(stream::next).isInstanceOf(NoSuchElementException.class)
                    .hasMessage("stream s-1 has no more batches");

            assertThat(received).isEqualTo(WRITTEN.batches());
            assertThat(stream.batches()).isEqualTo(4);
            assertThat(stream.rows()).isEqualTo(1005);
            assertThat(stream.bytesReceived()).isEqualTo(WRITTEN.bytes().length);
            assertThat(stream.sha256Hex()).isEqualTo(sha256(WRITTEN.bytes()));
        }
        assertThat(loader.pinnedBytesInUse()).isZero();
        assertThat(loader.allocatedBytes()).isZero();
        assertThat(broker.queries()).containsExactly("shard=0&shards=1&epoch=0");
    }

    @Test
    void batchesOutliveTheirStreamUntilClosed() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));
        List<HostBatch> batches = new ArrayList<>();
        try (GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            stream.forEachRemaining(batches::add);
        }
        try {
            assertThat(batches).hasSize(4);
            assertThat(TestStreams.rows(batches.get(1).root())).isEqualTo(WRITTEN.batches().get(1));
            assertThat(loader.pinnedBytesInUse()).isPositive();
        } finally {
            batches.forEach(HostBatch::close);
        }
        assertThat(loader.pinnedBytesInUse()).isZero();
    }

    @Test
    void sendsShardAndEpochInTheQuery() {
        broker.route("g-1", new FakeBroker.Stream("s-2", WRITTEN.bytes()));
        try (GrantStream stream = loader.open("g-1", new StreamRequest(1, 4, 2), () -> FakeBroker.TOKEN)) {
            assertThat(stream.streamId()).isEqualTo("s-2");
        }
        assertThat(broker.queries()).containsExactly("shard=1&shards=4&epoch=2");
    }

    @Test
    void refusesSha256UntilTheStreamWasReadToItsEnd() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));
        try (GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            try (HostBatch first = stream.next()) {
                assertThat(first.rowCount()).isEqualTo(3);
            }
            assertThat(stream.batches()).isEqualTo(1);
            assertThat(stream.bytesReceived()).isEqualTo(WRITTEN.batchEnds()[0]);
            assertThatThrownBy(stream::sha256Hex).isInstanceOf(IllegalStateException.class)
                    .hasMessage("stream s-1 has not been read to its end: the SHA-256 covers the whole body, "
                            + "read until hasNext() is false");
        }
        assertThat(loader.pinnedBytesInUse()).isZero();
    }

    @Test
    void reportsTheBrokersRefusalWithStatusErrorAndReasons() {
        broker.route("g-denied", new FakeBroker.Error(403, "application/json", """
                {"code": 3004, "error": "forbidden", "message": "the grant's purpose does not allow training",
                 "requestId": "req-7", "reasons": ["purpose_mismatch: training not in [research]", "expired"]}"""));

        LoaderException e = catchThrowableOfType(LoaderException.class,
                () -> loader.open("g-denied", StreamRequest.whole(), () -> FakeBroker.TOKEN));

        assertThat(e.httpStatus()).isEqualTo(403);
        assertThat(e.error()).isEqualTo("forbidden");
        assertThat(e.code()).isEqualTo(3004);
        assertThat(e.requestId()).contains("req-7");
        assertThat(e.reasons()).containsExactly("purpose_mismatch: training not in [research]", "expired");
        assertThat(e).hasMessage("broker refused stream of grant g-denied: HTTP 403 forbidden: "
                + "the grant's purpose does not allow training (requestId req-7)");
        assertThat(loader.allocatedBytes()).isZero();
    }

    @Test
    void sendsTheBearerTokenAndReportsUnauthenticatedWithoutIt() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));

        LoaderException e = catchThrowableOfType(LoaderException.class,
                () -> loader.open("g-1", StreamRequest.whole(), () -> "stale-token"));

        assertThat(e.httpStatus()).isEqualTo(401);
        assertThat(e.error()).isEqualTo("unauthenticated");
        assertThat(e.reasons()).isEmpty();
        assertThat(e).hasMessage("broker refused stream of grant g-1: HTTP 401 unauthenticated: "
                + "a bearer token is required (requestId req-401)");
    }

    @Test
    void reportsAnErrorWithoutASluiceBodyAsUnexpectedResponse() {
        broker.route("g-1", new FakeBroker.Error(502, "text/html", "<html><body>Bad   Gateway</body></html>"));

        LoaderException e = catchThrowableOfType(LoaderException.class,
                () -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN));

        assertThat(e.httpStatus()).isEqualTo(502);
        assertThat(e.error()).isEqualTo("unexpected_response");
        assertThat(e.code()).isEqualTo(LoaderErrorCode.UNEXPECTED_RESPONSE.code());
        assertThat(e).hasMessage("broker answered GET " + broker.uri() + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0"
                + " with HTTP 502 and no Sluice error body: <html><body>Bad Gateway</body></html>");
    }

    @Test
    void rejectsA200ThatIsNotAnArrowStream() {
        broker.route("g-1", new FakeBroker.Error(200, "application/json", "{}"));

        LoaderException e = catchThrowableOfType(LoaderException.class,
                () -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN));

        assertThat(e.error()).isEqualTo("unexpected_response");
        assertThat(e).hasMessage("broker answered GET " + broker.uri() + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0"
                + " with Content-Type application/json, expected application/vnd.apache.arrow.stream");
        assertThat(loader.allocatedBytes()).isZero();
    }

    @Test
    void namesTheBrokerWhenTheConnectionIsRefused() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + closedPort);
        try (GpuLoader offline = GpuLoader.create(new LoaderConfig(nowhere, 1 << 20, Duration.ofSeconds(2)))) {
            LoaderException e = catchThrowableOfType(LoaderException.class,
                    () -> offline.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN));

            assertThat(e.httpStatus()).isZero();
            assertThat(e.error()).isEqualTo("broker_unreachable");
            assertThat(e).hasMessage("cannot reach the broker at " + nowhere + " (GET " + nowhere
                    + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0): connection refused");
        }
    }

    @Test
    void aBrokerThatAcceptsButNeverAnswersFailsTheOpenWithinTheReadTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                GpuLoader stalled = GpuLoader.create(TestStreams.config(URI.create("http://127.0.0.1:" + silent.getLocalPort()))
                        .withReadTimeout(Duration.ofMillis(300)))) {
            // The kernel completes the handshake from the backlog; nobody ever reads or writes: a hung broker.
            long started = System.nanoTime();
            LoaderException e = catchThrowableOfType(LoaderException.class,
                    () -> stalled.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN));

            assertThat(e.error()).isEqualTo("broker_unreachable");
            assertThat(e).hasMessageContaining("cannot reach the broker at http://127.0.0.1:" + silent.getLocalPort())
                    .hasMessageContaining("read timeout of 0.3 s (PT0.3S)");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void refusesATokenHoldingALineBreakBeforeSendingAnything() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));

        assertThatThrownBy(() -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN + "\r\nX-Admin: yes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CR, LF")
                .hasMessageNotContaining(FakeBroker.TOKEN);
        assertThat(broker.queries()).as("nothing reached the broker").isEmpty();
    }

    @Test
    void failsAStreamWhoseConnectionDropsMidBatchWithoutLeaking() throws IOException {
        long cut = (WRITTEN.batchEnds()[0] + WRITTEN.batchEnds()[1]) / 2;
        List<HostBatch> delivered = new ArrayList<>();
        LoaderException e;
        try (DroppingBroker dropping = new DroppingBroker("s-9", WRITTEN.bytes(), cut);
                GpuLoader droppingLoader = GpuLoader.create(TestStreams.config(dropping.uri()))) {
            try (GrantStream stream = droppingLoader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
                e = catchThrowableOfType(LoaderException.class, () -> stream.forEachRemaining(delivered::add));
                assertThat(stream.hasNext()).isFalse();
                assertThat(stream.bytesReceived()).isLessThanOrEqualTo(cut);
            } finally {
                delivered.forEach(HostBatch::close);
            }
            assertThat(droppingLoader.allocatedBytes()).isZero();
            assertThat(droppingLoader.pinnedBytesInUse()).isZero();

            assertThat(delivered).hasSize(1);
            assertThat(e.error()).isEqualTo("stream_broken");
            assertThat(e.httpStatus()).isZero();
            assertThat(e).hasMessageStartingWith("connection to " + dropping.uri()
                    + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0 failed while reading batch 2 of stream s-9 at byte ");
        }
    }

    @Test
    void failsAStreamThatEndsMidBatchWithoutLeaking() {
        long cut = (WRITTEN.batchEnds()[0] + WRITTEN.batchEnds()[1]) / 2;
        broker.route("g-1", new FakeBroker.Chunked("s-9", TestStreams.prefix(WRITTEN.bytes(), cut)));

        try (GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            stream.next().close();
            LoaderException e = catchThrowableOfType(LoaderException.class, stream::next);

            assertThat(e.error()).isEqualTo("stream_truncated");
            assertThat(e).hasMessage("stream s-9 from " + broker.uri()
                    + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0 ended in the middle of batch 2 at byte " + cut);
            assertThat(stream.bytesReceived()).isEqualTo(cut);
            assertThatThrownBy(stream::sha256Hex).isInstanceOf(IllegalStateException.class);
        }
        assertThat(loader.allocatedBytes()).isZero();
    }

    @Test
    void failsAStreamThatEndsWithoutTheEndOfStreamMarker() {
        broker.route("g-1", new FakeBroker.Chunked("s-9", TestStreams.prefix(WRITTEN.bytes(), WRITTEN.lastBatchEnd())));
        List<HostBatch> delivered = new ArrayList<>();

        LoaderException e;
        try (GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            e = catchThrowableOfType(LoaderException.class, () -> stream.forEachRemaining(delivered::add));
        } finally {
            delivered.forEach(HostBatch::close);
        }

        assertThat(delivered).hasSize(4);
        assertThat(e.error()).isEqualTo("stream_truncated");
        assertThat(e).hasMessage("stream s-9 from " + broker.uri() + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0"
                + " ended after " + WRITTEN.lastBatchEnd() + " bytes without the Arrow end-of-stream marker");
    }

    @Test
    void failsAStreamThatEndsInsideTheSchema() {
        broker.route("g-1", new FakeBroker.Chunked("s-9", TestStreams.prefix(WRITTEN.bytes(), WRITTEN.schemaEnd() - 3)));

        LoaderException e = catchThrowableOfType(LoaderException.class,
                () -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN));

        assertThat(e.error()).isEqualTo("stream_truncated");
        assertThat(e).hasMessageContaining("ended in the middle of the schema");
        assertThat(loader.allocatedBytes()).isZero();
    }

    @Test
    void failsAStreamThatNeedsMorePinnedMemoryThanTheLimit() throws IOException {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));
        try (GpuLoader small = GpuLoader.create(new LoaderConfig(broker.uri(), 16 * 1024, Duration.ofSeconds(2)));
                GrantStream stream = small.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            stream.next().close();
            LoaderException e = catchThrowableOfType(LoaderException.class, stream::next);

            assertThat(e.error()).isEqualTo("pinned_limit_exceeded");
            assertThat(e).hasMessageStartingWith("reading batch 2 of stream s-1 needs more pinned memory than "
                    + "LoaderConfig.pinnedLimitBytes allows; close batches sooner or raise the limit: ");
        }
    }

    @Test
    void refusesToCloseWhileABatchIsOpen() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));
        GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN);
        HostBatch forgotten = stream.next();
        stream.close();

        assertThatThrownBy(loader::close).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("GpuLoader closed while streams or batches it delivered are still open "
                        + "(the caller owns each and must close it): ")
                .hasMessageContaining("batch:s-1#1");
        assertThat(forgotten.rowCount()).isEqualTo(3);
    }

    @Test
    void refusesToCloseWhileAStreamIsOpen() {
        broker.route("g-1", new FakeBroker.Stream("s-1", WRITTEN.bytes()));
        loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN);

        assertThatThrownBy(loader::close).isInstanceOf(IllegalStateException.class)
                .hasMessage("GpuLoader closed while streams it delivered are still open "
                        + "(the caller owns each and must close it): streams s-1 (grant g-1)");
    }

    @Test
    void refusesToOpenAfterClose() {
        loader.close();

        assertThatThrownBy(() -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("GpuLoader for " + broker.uri() + " is closed");
    }

    @Test
    void reportsNoGpuWithoutACudaDriver() {
        assumeFalse(CudaDriverProbeTest.driverInstalled(), "this machine has a CUDA driver");

        assertThat(loader.gpuAvailable()).isFalse();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
