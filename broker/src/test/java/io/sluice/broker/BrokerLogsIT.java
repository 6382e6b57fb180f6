package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application log of a real {@code sluice serve} process: JSON lines with request ids, the
 * access log, a stream's fields on its own lines, hostile {@code X-Request-Id}s kept out, and a
 * start that fails on a busy port in one line.
 */
class BrokerLogsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;

    @TempDir
    Path dir;

    @Test
    void jsonLogsCarryRequestIdsTheAccessLineAndTheStreamsFields() throws Exception {
        Path data = dir.resolve("data");
        Path sources = dir.resolve("sources");
        TestParquet.write(sources.resolve("hospital-a/small.parquet"));
        Files.createDirectories(data);
        String url = "jdbc:h2:file:" + data.resolve("sluice") + ";DB_CLOSE_ON_EXIT=FALSE";

        HttpResponse<String> health;
        HttpResponse<byte[]> stream;
        List<HttpResponse<String>> hostile = new ArrayList<>();
        String forgedId = "abc\r\n {\"level\":\"ERROR\",\"message\":\"forged\"}";
        String longId = "x".repeat(10_000);
        String grantId;
        String datasetId;
        Path stderr;
        try (BrokerProcess broker = BrokerProcess.start(data, sources, url, List.of("--log-format", "json"))) {
            stderr = broker.stderr();
            health = HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/health"))
                    .header("X-Request-Id", "abc-123").build(), HttpResponse.BodyHandlers.ofString());

            String owner = TestHttp.devToken(broker.uri(), "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker.uri(), "lab", "ai-lab", "data-consumer");
            datasetId = TestHttp.id(TestHttp.post(broker.uri(), "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}").body());
            grantId = TestHttp.id(TestHttp.post(broker.uri(), "/v1/grants", lab,
                    "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}").body());
            stream = HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/v1/grants/" + grantId + "/stream"))
                    .header("Authorization", "Bearer " + lab).header("X-Request-Id", "train-rank-0").build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            // Too long to echo or log, though within the broker's header limit.
            hostile.add(HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/health"))
                    .header("X-Request-Id", "y".repeat(1000)).build(), HttpResponse.BodyHandlers.ofString()));
            hostile.add(HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/health"))
                    .header("X-Request-Id", "two words \"quoted\"").build(), HttpResponse.BodyHandlers.ofString()));
            // What a client that builds its own requests can send: a line break inside the header (obsolete line
            // folding) that tries to start a log line of its own, and 10 kB.
            String folded = rawGet(broker.uri(), "X-Request-Id: " + forgedId);
            String huge = rawGet(broker.uri(), "X-Request-Id: " + longId);
            assertThat(folded).doesNotContain("forged");
            assertThat(huge).doesNotContain(longId.substring(0, 200)).startsWith("HTTP/1.1 4");

            broker.terminate();
            assertThat(broker.awaitExit(Duration.ofSeconds(60))).hasValue(0);
        }
        // The copy of the process's stderr may trail its exit by a moment.
        Poll.until(() -> lines(stderr).stream().anyMatch(line -> line.contains("final audit checkpoint")),
                Duration.ofSeconds(10), "the broker's last log line");

        List<JsonNode> log = new ArrayList<>();
        for (String line : lines(stderr)) {
            log.add(JSON.readTree(line)); // every line is one JSON object, or this throws
            assertThat(log.getLast().isObject()).as(line).isTrue();
        }
        for (JsonNode event : log) {
            assertThat(OffsetDateTime.parse(event.get("time").asText())).as("RFC 3339 with an offset").isNotNull();
            assertThat(event.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)");
            assertThat(event.has("level") && event.has("logger") && event.has("message") && event.has("thread")).isTrue();
        }

        // The client's id is echoed and logged beside the broker's own.
        String healthId = health.headers().firstValue("Sluice-Request-Id").orElseThrow();
        assertThat(healthId).startsWith("rq-");
        assertThat(health.headers().firstValue("X-Request-Id")).hasValue("abc-123");
        JsonNode access = only(log, e -> e.path("logger").asText().equals("sluice.access")
                && e.path("requestId").asText().equals(healthId));
        assertThat(access.get("clientRequestId").asText()).isEqualTo("abc-123");
        assertThat(access.get("method").asText()).isEqualTo("GET");
        assertThat(access.get("path").asText()).isEqualTo("/health");
        assertThat(access.get("status").asInt()).isEqualTo(200);
        assertThat(access.get("bytes").asLong()).isEqualTo(health.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(access.get("durationMs").asLong()).isNotNegative();
        assertThat(access.get("remote").asText()).isEqualTo("127.0.0.1");
        assertThat(access.get("completed").asBoolean()).isTrue();
        assertThat(access.get("level").asText()).isEqualTo("INFO");
        assertThat(access.has("actor")).as("not authenticated").isFalse();

        // The stream: its access line and its own lines carry who, what and which request.
        assertThat(stream.statusCode()).isEqualTo(200);
        String streamRequestId = stream.headers().firstValue("Sluice-Request-Id").orElseThrow();
        String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        JsonNode streamAccess = only(log, e -> e.path("logger").asText().equals("sluice.access")
                && e.path("requestId").asText().equals(streamRequestId));
        assertThat(streamAccess.get("path").asText()).isEqualTo("/v1/grants/" + grantId + "/stream");
        assertThat(streamAccess.get("bytes").asLong()).isEqualTo(stream.body().length).isPositive();
        List<JsonNode> streamLines = log.stream().filter(e -> e.path("stream").asText().equals(streamId)).toList();
        assertThat(streamLines).extracting(e -> e.get("message").asText())
                .anyMatch(message -> message.startsWith("stream " + streamId + " completed: 1000 rows"));
        for (JsonNode line : streamLines) {
            assertThat(line.get("requestId").asText()).isEqualTo(streamRequestId);
            assertThat(line.get("clientRequestId").asText()).isEqualTo("train-rank-0");
            assertThat(line.get("actor").asText()).isEqualTo("lab@ai-lab");
            assertThat(line.get("dataset").asText()).isEqualTo(datasetId);
            assertThat(line.get("grant").asText()).isEqualTo(grantId);
        }
        JsonNode ended = streamLines.stream().filter(e -> e.get("message").asText().contains("completed")).findFirst()
                .orElseThrow();
        assertThat(ended.get("thread").asText()).startsWith("sluice-stream-");
        assertThat(ended.get("bytes").asLong()).isEqualTo(stream.body().length);

        // Hostile ids are replaced by the broker's own, never echoed, never logged.
        for (HttpResponse<String> response : hostile) {
            String brokerId = response.headers().firstValue("Sluice-Request-Id").orElseThrow();
            assertThat(response.headers().firstValue("X-Request-Id")).hasValue(brokerId);
            JsonNode line = only(log, e -> e.path("logger").asText().equals("sluice.access")
                    && e.path("requestId").asText().equals(brokerId));
            assertThat(line.has("clientRequestId")).isFalse();
        }
        String everything = String.join("\n", lines(stderr));
        assertThat(everything).doesNotContain("y".repeat(1000), "two words", "forged", longId.substring(0, 200));
    }

    @Test
    void aLogReaderThatStopsReadingDoesNotStopTheBrokerAndTheQueuedLinesComeOutWhole() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        List<String> arguments = List.of("--port", "0", "--data-dir", data.toString(), "--sources",
                Files.createDirectories(dir.resolve("sources")).toString(), "--log-format", "json");
        // 3000 access lines of about 300 bytes: many times what a pipe holds (64 KiB on Linux).
        int requests = 3000;
        Path stderr;
        try (BrokerProcess broker = BrokerProcess.serveWithStderrUnread(arguments, dir)) {
            stderr = broker.stderr();
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(broker.uri().resolve("/health"))
                        .header("X-Request-Id", "stalled-" + i).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).as("request %d, with nobody reading the log", i).isEqualTo(200);
                if (i % 10 == 0) {
                    // A warning any client can cause: it must not wait for stderr either.
                    assertThat(rawGet(broker.uri(), "Content-Length: 0\r\nTransfer-Encoding: chunked"))
                            .as("ambiguous framing %d, with nobody reading the log", i).startsWith("HTTP/1.1 400");
                }
            }

            broker.readStderr();
            broker.terminate();
            assertThat(broker.awaitExit(Duration.ofSeconds(60))).hasValue(0);
            assertThat(broker.awaitOutputCopied(Duration.ofSeconds(30))).as("the broker's output copied to its end").isTrue();
        }
        List<JsonNode> log = new ArrayList<>();
        for (String line : lines(stderr)) {
            log.add(JSON.readTree(line)); // a line torn by the stall would not parse
        }
        List<String> ids = log.stream().filter(event -> event.path("logger").asText().equals("sluice.access"))
                .map(event -> event.path("clientRequestId").asText()).toList();
        // The queue (8192 lines) held what the pipe could not: every access line comes out once and whole, the
        // last ones drained when the broker stopped.
        assertThat(ids).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.range(0, requests).mapToObj(i -> "stalled-" + i).toList());
        assertThat(log).anyMatch(event -> event.path("message").asText().startsWith("final audit checkpoint"));
        assertThat(log).filteredOn(event -> event.path("logger").asText().endsWith("StrictFraming"))
                .hasSize(requests / 10);
    }

    @Test
    void aSecondServeOnABusyPortSaysSoInOneLineAndExitsNonZero() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            BrokerProcess.Exited exited = BrokerProcess.run(List.of("serve", "--port", Integer.toString(port),
                    "--data-dir", dir.resolve("data").toString()), Duration.ofSeconds(120));

            assertThat(exited.exitCode()).isEqualTo(1);
            assertThat(exited.stdout()).noneMatch(line -> line.startsWith("listening on"));
            List<String> said = exited.stderr().stream().filter(line -> line.startsWith("sluice: ")).toList();
            assertThat(said).containsExactly("sluice: cannot listen on 127.0.0.1:" + port + ": the address is already"
                    + " in use (another process holds it; choose another --port or stop that process)");
            assertThat(exited.stderr().getLast()).isEqualTo(said.getFirst());
            assertThat(exited.stderr()).as("no stack trace").noneMatch(line -> line.startsWith("\tat ")
                    || line.contains("Exception"));
            // What was logged before it is the text format: date, time and zone first.
            assertThat(exited.stderr().subList(0, exited.stderr().size() - 1))
                    .allMatch(line -> line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) .*"));
        }
    }

    @Test
    void aBadPurposesFileIsOneLineNamingTheFile() throws Exception {
        Path purposes = Files.writeString(dir.resolve("purposes.json"), "{\"research\": [\"a\",");
        BrokerProcess.Exited exited = BrokerProcess.run(List.of("serve", "--port", "0", "--data-dir",
                dir.resolve("data").toString(), "--purposes", purposes.toString()), Duration.ofSeconds(120));

        assertThat(exited.exitCode()).isEqualTo(1);
        assertThat(exited.stderr()).hasSize(1);
        assertThat(exited.stderr().getFirst()).startsWith("sluice: cannot read the purposes file " + purposes + ": ")
                .contains("(line 1, column ");
    }

    private static JsonNode only(List<JsonNode> log, Predicate<JsonNode> which) {
        List<JsonNode> found = log.stream().filter(which).toList();
        assertThat(found).hasSize(1);
        return found.getFirst();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A GET /health written by hand, with a header no well-behaved client would send; the broker's answer. */
    private static String rawGet(URI broker, String header) throws IOException {
        try (Socket socket = new Socket(broker.getHost(), broker.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /health HTTP/1.1\r\nHost: " + broker.getHost() + "\r\n" + header + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
