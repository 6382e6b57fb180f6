package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A broker process stopped mid-stream: SIGTERM with a stream that outlives the grace (stopped,
 * recorded as aborted with what was sent, covered by a final checkpoint), SIGTERM with a stream
 * that finishes within it (delivered whole, recorded as closed), and SIGKILL (the restarted broker
 * closes the stream as interrupted). On H2 and PostgreSQL.
 */
class BrokerShutdownIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    /** About 30 MB of IPC: far more than the response's queue and the sockets' buffers hold. */
    private static final int ROWS = 1_500_000;
    private static final Duration EXIT_SLACK = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Path data;
    private Path sources;
    private String url;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void sigtermStopsAStreamThatOutlivesTheGraceAndRecordsWhatItSent(String kind) throws Exception {
        setUp(kind);
        // Long enough to see the gate shut on a loaded machine, short against the slow client's 20 s read.
        Duration grace = Duration.ofSeconds(5);
        String streamId;
        long received;
        try (BrokerProcess broker = BrokerProcess.start(data, sources, url, List.of("--shutdown-grace", grace.toString()))) {
            String lab = TestHttp.devToken(broker.uri(), "lab", "ai-lab", "data-consumer");
            String grantId = grant(broker.uri(), lab);
            try (SlowClient client = SlowClient.open(broker.uri(), "/v1/grants/" + grantId + "/stream", lab,
                    Duration.ofMillis(50))) {
                streamId = client.streamId();
                Poll.until(() -> client.received() > 1_000_000, Duration.ofSeconds(30), "the client received 1 MB");

                long signalled = System.nanoTime();
                broker.terminate();
                // Draining: a new request is refused with 503 while the running stream still has its grace.
                // (The signal is handled asynchronously: poll until the gate is shut.)
                AtomicReference<HttpResponse<String>> refused = new AtomicReference<>();
                Poll.until(() -> {
                    refused.set(getOrNull(broker.uri(), "/v1/catalog", lab));
                    return refused.get() != null && refused.get().statusCode() == 503;
                }, grace, "new requests refused with 503 while draining");
                assertThat(refused.get().body()).contains("\"error\":\"shutting_down\"").contains(
                        "\"message\":\"the broker is shutting down and accepts no new requests;"
                                + " retry against another broker or once it is back\"");
                // The probes still answer: live, and not ready, so a load balancer sends nothing more here.
                HttpResponse<String> ready = getOrNull(broker.uri(), "/health/ready", null);
                assertThat(ready).isNotNull();
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("\"status\":\"draining\"");
                HttpResponse<String> live = getOrNull(broker.uri(), "/health/live", null);
                assertThat(live).isNotNull();
                assertThat(live.statusCode()).isEqualTo(200);
                HttpResponse<String> metrics = getOrNull(broker.uri(), "/metrics", null);
                assertThat(metrics).isNotNull();
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("sluice_streams_running 1.0");

                OptionalInt exit = broker.awaitExit(grace.plus(EXIT_SLACK));
                Duration took = Duration.ofNanos(System.nanoTime() - signalled);
                assertThat(exit).as("exit code within grace + %s (took %s)", EXIT_SLACK, took).hasValue(0);
                assertThat(took).isGreaterThanOrEqualTo(grace);
                assertThat(client.awaitEnd(Duration.ofSeconds(30))).as("the stream ended cleanly").isFalse();
                received = client.received();
            }
        }
        try (Connection db = DriverManager.getConnection(url)) {
            Record aborted = record(db, "stream.aborted", streamId);
            assertThat(aborted.json()).contains("\"outcome\":\"aborted\"", "\"message\":\"the broker is shutting down\"");
            long bytes = Long.parseLong(field(aborted.json(), "bytes"));
            assertThat(bytes).isPositive().isGreaterThanOrEqualTo(received);
            assertThat(field(aborted.json(), "sha256")).matches("\"[0-9a-f]{64}\"");
            assertThat(streamStatus(db, streamId)).isEqualTo("ABORTED");
            assertThat(lastCheckpointSize(db)).as("the final checkpoint covers the abort record")
                    .isGreaterThan(aborted.index());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void sigtermLetsAStreamThatFitsInTheGraceFinish(String kind) throws Exception {
        setUp(kind);
        String streamId;
        byte[] body;
        try (BrokerProcess broker = BrokerProcess.start(data, sources, url, List.of("--shutdown-grace", "PT60S"))) {
            String lab = TestHttp.devToken(broker.uri(), "lab", "ai-lab", "data-consumer");
            String grantId = grant(broker.uri(), lab);
            try (SlowClient client = SlowClient.open(broker.uri(), "/v1/grants/" + grantId + "/stream", lab,
                    Duration.ofMillis(3))) {
                streamId = client.streamId();
                Poll.until(() -> client.received() > 1_000_000, Duration.ofSeconds(30), "the client received 1 MB");
                broker.terminate();
                assertThat(client.awaitEnd(Duration.ofSeconds(60))).as("the stream ended cleanly").isTrue();
                body = client.body();
            }
            assertThat(broker.awaitExit(Duration.ofSeconds(30))).hasValue(0);
        }
        try (Connection db = DriverManager.getConnection(url)) {
            Record closed = record(db, "stream.closed", streamId);
            assertThat(closed.json()).contains("\"outcome\":\"completed\"");
            assertThat(field(closed.json(), "bytes")).isEqualTo(Long.toString(body.length));
            assertThat(field(closed.json(), "sha256")).isEqualTo("\"" + sha256(body) + "\"");
            assertThat(streamStatus(db, streamId)).isEqualTo("COMPLETED");
            assertThat(lastCheckpointSize(db)).isGreaterThan(closed.index());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aStreamLeftRunningByAKilledBrokerIsClosedAsInterruptedOnRestart(String kind) throws Exception {
        setUp(kind);
        String streamId;
        try (BrokerProcess broker = BrokerProcess.start(data, sources, url)) {
            String lab = TestHttp.devToken(broker.uri(), "lab", "ai-lab", "data-consumer");
            String grantId = grant(broker.uri(), lab);
            try (SlowClient client = SlowClient.open(broker.uri(), "/v1/grants/" + grantId + "/stream", lab,
                    Duration.ofMillis(50))) {
                streamId = client.streamId();
                Poll.until(() -> client.received() > 1_000_000, Duration.ofSeconds(30), "the client received 1 MB");
                // The stream records how far it has come every 2 s: what the interrupted record will give.
                Poll.until(() -> recordedBytes(broker.uri(), lab, streamId) > 0, Duration.ofSeconds(30),
                        "the stream's progress in the store");
                broker.kill();
            }
        }
        try (BrokerProcess restarted = BrokerProcess.start(data, sources, url)) {
            String lab = TestHttp.devToken(restarted.uri(), "lab", "ai-lab", "data-consumer");
            String status = TestHttp.getText(restarted.uri(), "/v1/streams/" + streamId, lab);
            assertThat(status).contains("\"status\":\"interrupted\"");
            String auditor = TestHttp.devToken(restarted.uri(), "ines", "authority", "compliance-officer");
            String page = TestHttp.getText(restarted.uri(), "/v1/audit?action=stream.interrupted&limit=100", auditor);
            assertThat(page).contains("\"stream\":\"" + streamId + "\"", "\"outcome\":\"interrupted\"");
            com.fasterxml.jackson.databind.JsonNode record = null;
            for (var each : new com.fasterxml.jackson.databind.ObjectMapper().readTree(page).path("records")) {
                record = each.path("stream").asText().equals(streamId) ? each : record;
            }
            assertThat(record).as("the stream.interrupted record of %s", streamId).isNotNull();
            assertThat(record.path("bytes").asLong()).as("the bytes it last recorded").isPositive();
            assertThat(record.path("rows").asLong()).isPositive();
            assertThat(record.path("sha256").asText()).matches("[0-9a-f]{64}");
            assertThat(record.path("message").asText()).contains("it sent at least that much");
        }
    }

    /** The bytes the store has for the stream (its last recorded progress), or -1 when the broker does not answer. */
    private static long recordedBytes(java.net.URI broker, String token, String streamId) {
        try {
            String status = TestHttp.getText(broker, "/v1/streams/" + streamId, token);
            return Long.parseLong(field(status, "bytes"));
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void setUp(String kind) throws IOException {
        data = dir.resolve("data");
        sources = dir.resolve("sources");
        url = kind.equals("h2")
                ? "jdbc:h2:file:" + data.resolve("sluice") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0"
                : TestDatabases.fresh(kind, dir);
        TestParquet.write(sources.resolve("hospital-a/big.parquet"), ROWS, 1024 * 1024);
        Files.createDirectories(data);
    }

    /** Registers the big dataset and returns a grant on it. */
    static String grant(URI broker, String lab) throws Exception {
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        var registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"big\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"big.parquet\"},\"policy\":" + POLICY + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        var granted = TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + TestHttp.id(registered.body()) + "\",\"purpose\":\"scientific-research\"}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        return TestHttp.id(granted.body());
    }

    record Record(long index, String json) {}

    private static Record record(Connection db, String action, String streamId) throws Exception {
        try (PreparedStatement query = db.prepareStatement(
                "SELECT idx, record_json FROM audit_log WHERE action = ? AND record_json LIKE ? ORDER BY idx")) {
            query.setString(1, action);
            query.setString(2, "%\"stream\":\"" + streamId + "\"%");
            try (ResultSet rows = query.executeQuery()) {
                assertThat(rows.next()).as("a %s record for %s", action, streamId).isTrue();
                Record found = new Record(rows.getLong(1), rows.getString(2));
                assertThat(rows.next()).as("one %s record for %s", action, streamId).isFalse();
                return found;
            }
        }
    }

    private static String streamStatus(Connection db, String streamId) throws Exception {
        try (PreparedStatement query = db.prepareStatement("SELECT status FROM streams WHERE id = ?")) {
            query.setString(1, streamId);
            try (ResultSet rows = query.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }

    private static long lastCheckpointSize(Connection db) throws Exception {
        try (PreparedStatement query = db.prepareStatement("SELECT MAX(tree_size) FROM audit_checkpoints");
                ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** The raw JSON value of a top-level field of a canonical record (numbers bare, strings quoted). */
    private static String field(String json, String name) {
        Matcher matcher = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        assertThat(matcher.find()).as("%s in %s", name, json).isTrue();
        return matcher.group(1);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** The response, or null while the broker does not answer (it may be between signal and gate). */
    private static HttpResponse<String> getOrNull(URI broker, String path, String token) {
        try {
            return TestHttp.get(broker, path, token);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * A client on a plain socket that reads a chunked stream one chunk at a time, pausing after each
     * (a slow consumer), on a thread of its own, until the last chunk or the end of the connection.
     */
    static final class SlowClient implements AutoCloseable {
        private final Socket socket;
        private final String head;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final AtomicLong received = new AtomicLong();
        private final CompletableFuture<Boolean> ended = new CompletableFuture<>();
        private final Thread reader;

        private SlowClient(Socket socket, String head, Duration pause) {
            this.socket = socket;
            this.head = head;
            this.reader = Thread.ofPlatform().name("slow-client").daemon().start(() -> read(pause));
        }

        static SlowClient open(URI broker, String path, String token, Duration pause) throws IOException {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress(broker.getHost(), broker.getPort()), 10_000);
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + broker.getHost()
                    + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            StringBuilder head = new StringBuilder();
            InputStream in = socket.getInputStream();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("the connection ended in the headers: " + head);
                }
                head.append((char) b);
            }
            if (!head.toString().startsWith("HTTP/1.1 200")) {
                socket.close();
                throw new IOException("the stream was refused: " + head);
            }
            return new SlowClient(socket, head.toString(), pause);
        }

        String streamId() {
            Matcher matcher = Pattern.compile("(?i)sluice-stream-id: *(\\S+)").matcher(head);
            assertThat(matcher.find()).as(head).isTrue();
            return matcher.group(1);
        }

        long received() {
            return received.get();
        }

        synchronized byte[] body() {
            return body.toByteArray();
        }

        /** Whether the stream ended with its last chunk (true) or with the connection (false). */
        boolean awaitEnd(Duration timeout) throws Exception {
            return ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void read(Duration pause) {
            try {
                InputStream in = socket.getInputStream();
                while (true) {
                    int size = Integer.parseInt(line(in), 16);
                    if (size == 0) {
                        line(in);
                        ended.complete(true);
                        return;
                    }
                    byte[] chunk = in.readNBytes(size);
                    if (chunk.length < size || !line(in).isEmpty()) {
                        ended.complete(false);
                        return;
                    }
                    synchronized (this) {
                        body.writeBytes(chunk);
                    }
                    received.addAndGet(size);
                    Thread.sleep(pause);
                }
            } catch (IOException | RuntimeException e) {
                ended.complete(false);
            } catch (InterruptedException e) {
                ended.complete(false);
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder text = new StringBuilder();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("the connection ended");
                }
                if (b == '\r') {
                    if (in.read() != '\n') {
                        throw new IOException("CR without LF");
                    }
                    return text.toString();
                }
                text.append((char) b);
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            reader.join(10_000);
        }
    }
}
