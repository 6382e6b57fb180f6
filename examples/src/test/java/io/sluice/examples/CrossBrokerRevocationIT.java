package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two brokers on one store: a policy change made through one stops a stream running on the other. */
class CrossBrokerRevocationIT {
    @TempDir
    Path dir;

    @Test
    void aRevocationOnOneBrokerStopsAStreamOnAnother() throws Exception {
        Path sources = dir.resolve("sources");
        String store = "jdbc:h2:file:" + dir.resolve("shared") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        HospitalDataset.write(sources.resolve("hospital-a/big.parquet"), 1_000_000, 4, n -> {});
        try (Broker a = Broker.start(BrokerConfig.embedded(dir.resolve("a")).withSourcesDir(sources).withDatabase(store));
                Broker b = Broker.start(BrokerConfig.embedded(dir.resolve("b")).withSourcesDir(sources).withDatabase(store))) {
            BrokerClient viaA = new BrokerClient(a.uri());
            String owner = new BrokerClient(b.uri()).devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String ownerOnA = viaA.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = viaA.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "big");
            registration.putObject("source").put("type", "parquet").put("path", "big.parquet");
            registration.set("policy", BrokerClient.json().readTree(Demo.POLICY));
            String datasetId = viaA.post("/v1/datasets", Optional.of(ownerOnA), registration).orThrow().path("id").asText();
            String grantId = viaA.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "medical-research")).orThrow().path("id").asText();

            // A slow reader on a raw socket with a small receive buffer, so that back-pressure reaches
            // the broker (an HTTP client library would buffer the whole body).
            long received = 0;
            String streamId;
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.setReceiveBufferSize(64 * 1024);
                socket.connect(new java.net.InetSocketAddress(a.uri().getHost(), a.uri().getPort()));
                socket.getOutputStream().write(("GET /v1/grants/" + grantId + "/stream HTTP/1.1\r\nHost: localhost\r\n"
                        + "Authorization: Bearer " + lab + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.InputStream body = socket.getInputStream();
                byte[] first = body.readNBytes(1 << 20);
                received += first.length;
                String headers = new String(first, 0, 2048, java.nio.charset.StandardCharsets.ISO_8859_1);
                streamId = headers.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("sluice-stream-id:"))
                        .findFirst().orElseThrow().substring("sluice-stream-id:".length()).trim();
                String changed = Demo.POLICY.replace("medical-research", "public-health");
                HttpResponse<String> change = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                b.uri().resolve("/v1/datasets/" + datasetId + "/policy"))
                        .header("Authorization", "Bearer " + owner)
                        .PUT(HttpRequest.BodyPublishers.ofString(changed)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(change.statusCode()).as(change.body()).isEqualTo(200);
                assertThat(change.body()).contains(grantId);
                // Broker A learns of B's change from the store, which it asks at most every 2 s before a
                // batch. Read on, slowly (64 KB per 10 ms at most: the rest of the dataset takes far longer
                // than that interval), until A reports the stream ended or ends the connection.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                try {
                    for (byte[] chunk = body.readNBytes(64 * 1024); chunk.length > 0; chunk = body.readNBytes(64 * 1024)) {
                        received += chunk.length;
                        if (!status(viaA, streamId, lab).path("status").asText().equals("running")) {
                            break;
                        }
                        assertThat(System.nanoTime()).as("stream still running 60 s after the revocation").isLessThan(deadline);
                        Thread.sleep(10);
                    }
                    // Whatever the sockets still hold was sent before the stop.
                    for (byte[] chunk = body.readNBytes(1 << 20); chunk.length > 0; chunk = body.readNBytes(1 << 20)) {
                        received += chunk.length;
                    }
                } catch (java.io.IOException cut) {
                    // the broker resets the connection of a stream it stops
                }
            }
            assertThat(received).isLessThan(54_000_000);
            // Recorded before the connection is cut, so it is there once the reader saw the end.
            JsonNode status = status(viaA, streamId, lab);
            assertThat(status.path("status").asText()).isEqualTo("aborted");
            assertThat(status.path("failure").asText()).isEqualTo("revoked");
            assertThat(status.path("rows").asLong()).isLessThan(1_000_000);
        }
    }

    private static JsonNode status(BrokerClient broker, String streamId, String token) {
        return broker.get("/v1/streams/" + streamId, Optional.of(token)).orThrow();
    }
}
