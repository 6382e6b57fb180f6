package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import io.sluice.loader.TestStreams.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The read timeout over {@code https}: every read of a body, not only the wait for the response
 * head, gives up after {@link LoaderConfig#readTimeout()}. The brokers are the plain test brokers
 * behind a {@link TlsProxy} with a self-signed certificate the loader trusts.
 */
class HttpsReadTimeoutIT {

    private static final SelfSignedTls TLS = SelfSignedTls.forLoopback();
    private static final List<List<Row>> DATASET = TestStreams.dataset(12, 40);
    /**
     * Also the wait for the response head, so it covers the TLS handshake through the proxy: 2 s,
     * after {@link #warmUp()} made the first, cold handshake of this JVM.
     */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    private static final String WITHIN = "within the read timeout of 2.0 s (PT2S)";
    /** Far above the read timeout, far below forever: a test that hangs fails here instead. */
    private static final Duration NEVER_HUNG = Duration.ofSeconds(30);

    /** The first TLS handshake of a JVM loads and initialises the provider: not part of any timeout below. */
    @BeforeAll
    static void warmUp() throws IOException {
        try (FakeBroker broker = new FakeBroker().route("g-1", new FakeBroker.Dataset("d", DATASET));
                TlsProxy proxy = new TlsProxy(TLS.server(), broker.uri());
                GpuLoader loader = GpuLoader.createWithoutDevice(TestStreams.config(proxy.uri()).withTls(TLS.client())
                        .withReadTimeout(Duration.ofSeconds(60)));
                GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
            while (stream.hasNext()) {
                stream.next().close();
            }
        }
    }

    @Test
    void aBrokerThatStallsInTheMiddleOfABatchFailsTheReadWithinTheReadTimeout() throws IOException {
        try (DroppingBroker stalling = DroppingBroker.stalling("h", DATASET, DroppingBroker.MID_FIRST_BATCH);
                TlsProxy proxy = new TlsProxy(TLS.server(), stalling.uri());
                GpuLoader loader = GpuLoader.createWithoutDevice(httpsConfig(proxy.uri()))) {
            LoaderException e = assertTimeoutPreemptively(NEVER_HUNG, () -> {
                try (GrantStream stream = loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)) {
                    assertThat(stream.schema()).isEqualTo(TestStreams.SCHEMA);
                    long started = System.nanoTime();
                    LoaderException failure = catchThrowableOfType(LoaderException.class, stream::hasNext);
                    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(READ_TIMEOUT);
                    return failure;
                }
            });

            assertThat(e.error()).isEqualTo("stream_broken");
            assertThat(e).hasMessageStartingWith("connection to " + proxy.uri() + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0"
                            + " failed while reading batch 1 of stream h-1 at byte ")
                    .hasMessageEndingWith(": no bytes from the broker at " + proxy.uri() + " " + WITHIN
                            + "; the connection is taken as dead");
            assertThat(e.getCause()).isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    @Test
    void aBrokerThatStallsBeforeTheSchemaFailsTheOpenWithinTheReadTimeout() throws IOException {
        try (DroppingBroker stalling = DroppingBroker.stalling("h", DATASET, written -> written.schemaEnd() / 2);
                TlsProxy proxy = new TlsProxy(TLS.server(), stalling.uri());
                GpuLoader loader = GpuLoader.createWithoutDevice(httpsConfig(proxy.uri()))) {
            LoaderException e = assertTimeoutPreemptively(NEVER_HUNG, () -> catchThrowableOfType(LoaderException.class,
                    () -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)));

            assertThat(e.error()).isEqualTo("stream_broken");
            assertThat(e).hasMessageContaining("failed while reading the schema of stream h-1")
                    .hasMessageContaining(WITHIN);
            assertThat(loader.allocatedBytes()).isZero();
        }
    }

    @Test
    void aBrokerThatNeverAnswersFailsTheOpenAsUnreachableNamingTheReadTimeout() throws IOException {
        // The kernel completes the proxy's connection from the backlog; nobody ever answers: a hung broker.
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
                TlsProxy proxy = new TlsProxy(TLS.server(), silent.getLocalPort());
                GpuLoader loader = GpuLoader.createWithoutDevice(httpsConfig(proxy.uri()))) {
            LoaderException e = assertTimeoutPreemptively(NEVER_HUNG, () -> catchThrowableOfType(LoaderException.class,
                    () -> loader.open("g-1", StreamRequest.whole(), () -> FakeBroker.TOKEN)));

            assertThat(e.error()).isEqualTo("broker_unreachable");
            assertThat(e).hasMessage("cannot reach the broker at " + proxy.uri() + " (GET " + proxy.uri()
                    + "/v1/grants/g-1/stream?shard=0&shards=1&epoch=0): no bytes from the broker at " + proxy.uri()
                    + " " + WITHIN + "; the connection is taken as dead");
        }
    }

    @Test
    void aTrainingStreamOverHttpsReconnectsWhenTheBrokerGoesSilentAndDeliversEveryBatchOnce() throws IOException {
        List<Row> rows = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        try (DroppingBroker stalling = DroppingBroker.stalling("h", DATASET, DroppingBroker.MID_SECOND_BATCH);
                TlsProxy proxy = new TlsProxy(TLS.server(), stalling.uri());
                GpuLoader loader = GpuLoader.createWithoutDevice(httpsConfig(proxy.uri()))) {
            assertTimeoutPreemptively(NEVER_HUNG, () -> {
                try (TrainingStream stream = loader.openTraining("g-1", Checkpoint.start(0, 1, 0, 7), () -> FakeBroker.TOKEN)) {
                    while (stream.hasNext()) {
                        try (HostBatch batch = (HostBatch) stream.next()) {
                            positions.add(batch.position());
                            rows.addAll(TestStreams.rows(batch.root()));
                        }
                    }
                    assertThat(stream.metrics().retries()).isEqualTo(1);
                    assertThat(stream.streams().getFirst().failure()).get().asString()
                            .contains("no bytes from the broker at " + proxy.uri() + " " + WITHIN);
                }
            });
            assertThat(stalling.queries()).containsExactly("shard=0&shards=1&epoch=0&seed=7",
                    "shard=0&shards=1&epoch=0&seed=7&from=1");
        }
        assertThat(positions).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
        assertThat(rows).isEqualTo(TestStreams.flatten(FakeBroker.order(DATASET, "shard=0&shards=1&epoch=0&seed=7")));
    }

    @Test
    void aReceiptWhoseBodyStallsFailsWithinTheReadTimeout() throws IOException {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n";
        try (StallingServer stalling = new StallingServer(head + "{\"grant\": \"g-1\", \"records\": [");
                TlsProxy proxy = new TlsProxy(TLS.server(), stalling.port());
                GpuLoader loader = GpuLoader.createWithoutDevice(httpsConfig(proxy.uri()))) {
            long started = System.nanoTime();
            LoaderException e = assertTimeoutPreemptively(NEVER_HUNG, () -> catchThrowableOfType(LoaderException.class,
                    () -> loader.receipt("g-1", () -> FakeBroker.TOKEN)));

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(READ_TIMEOUT);
            assertThat(e.error()).isEqualTo("broker_unreachable");
            assertThat(e).hasMessage("cannot reach the broker at " + proxy.uri() + " (GET " + proxy.uri()
                    + "/v1/grants/g-1/receipt): no bytes from the broker at " + proxy.uri()
                    + " " + WITHIN + "; the connection is taken as dead");
        }
    }

    @Test
    void readsAReceiptOverHttps() throws IOException {
        String leaf = "{\"action\":\"stream.closed\",\"stream\":\"s-1\",\"bytes\":42,\"sha256\":\"ab\"}";
        String json = "{\"format\":\"sluice-receipt/1\",\"grant\":\"g-1\",\"treeSize\":1,\"records\":[{\"index\":0,\"leaf\":\""
                + Base64.getEncoder().encodeToString(leaf.getBytes(StandardCharsets.UTF_8)) + "\",\"proof\":[]}]}";
        try (FakeBroker broker = new FakeBroker().receipt("g-1", json);
                TlsProxy proxy = new TlsProxy(TLS.server(), broker.uri());
                GpuLoader loader = GpuLoader.createWithoutDevice(httpsConfig(proxy.uri()))) {
            GrantReceipt receipt = loader.receipt("g-1", () -> FakeBroker.TOKEN);

            assertThat(receipt.grantId()).isEqualTo("g-1");
            assertThat(new String(receipt.json(), StandardCharsets.UTF_8)).isEqualTo(json);
            assertThat(receipt.end("s-1")).get().extracting(GrantReceipt.StreamEnd::bytes).isEqualTo(42L);
        }
    }

    @Test
    void refusesAReceiptLongerThanTheCapWithoutAskingTheNextBroker() throws IOException {
        String json = "{\"format\":\"sluice-receipt/1\",\"grant\":\"g-1\",\"treeSize\":0,\"records\":[]}";
        try (FakeBroker first = new FakeBroker().receipt("g-1", json);
                FakeBroker second = new FakeBroker().receipt("g-1", json)) {
            HttpClient client = HttpClient.newHttpClient();
            try {
                ReceiptClient fits = new ReceiptClient(client, List.of(first.uri()), READ_TIMEOUT, json.length());
                assertThat(fits.fetch("g-1", () -> FakeBroker.TOKEN).grantId()).isEqualTo("g-1");

                ReceiptClient capped = new ReceiptClient(client, List.of(first.uri(), second.uri()), READ_TIMEOUT, json.length() - 1);
                LoaderException e = catchThrowableOfType(LoaderException.class, () -> capped.fetch("g-1", () -> FakeBroker.TOKEN));

                assertThat(e.error()).isEqualTo("unexpected_response");
                assertThat(e).hasMessage("broker answered GET " + first.uri() + "/v1/grants/g-1/receipt with a receipt longer than "
                        + (json.length() - 1) + " bytes, the most the loader reads");
                assertThat(second.queries()).isEmpty();
            } finally {
                client.shutdownNow();
            }
        }
    }

    private static LoaderConfig httpsConfig(URI broker) {
        return TestStreams.config(broker).withTls(TLS.client()).withReadTimeout(READ_TIMEOUT);
    }

    /**
     * A plain server that answers every connection with {@code answer} and then nothing more,
     * holding the connection open until the client closes it.
     */
    private static final class StallingServer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread acceptor;

        StallingServer(String answer) throws IOException {
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try (Socket socket = server.accept()) {
                        accepted.add(socket);
                        InputStream in = socket.getInputStream();
                        readHead(in);
                        OutputStream out = socket.getOutputStream();
                        out.write(answer.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        in.transferTo(OutputStream.nullOutputStream()); // silent until the client closes
                    } catch (IOException e) {
                        // closed, or the client went away
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private static void readHead(InputStream in) throws IOException {
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("request ended early");
                }
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : accepted) {
                socket.close(); // ends a connection held silent, whether or not the client let go
            }
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
