package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A grant that expires while its stream runs stops the stream before its next batch, audited. */
class StreamExpiryIT {
    @TempDir
    Path dir;

    @Test
    void aStreamStopsWhenItsGrantExpiresMidStream() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        int rows = 1_500_000;
        TestParquet.write(config.sourcesDir().resolve("hospital-a/big.parquet"), rows, 4 * 1024 * 1024);
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String auditor = TestHttp.devToken(broker, "officer", "hospital-a", "compliance-officer");
            // Far enough ahead that registering, granting and opening finish before it, even on a loaded machine.
            Instant limit = Instant.now().plusSeconds(20).truncatedTo(ChronoUnit.SECONDS);
            String datasetId = TestHttp.id(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"big\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"big.parquet\"},\"policy\":{\"@type\":\"Set\",\"permission\":"
                    + "[{\"action\":\"use\",\"constraint\":[{\"leftOperand\":\"dateTime\",\"operator\":\"lt\","
                    + "\"rightOperand\":\"" + limit + "\"}]}]}}").body());
            var grant = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"research\"}");
            assertThat(grant.statusCode()).as(grant.body()).isEqualTo(201);
            String grantId = TestHttp.id(grant.body());

            long received;
            String streamId;
            // A raw socket with a small receive buffer, so that the broker waits on this reader (an HTTP
            // client library would buffer the whole body) while the grant's time runs out.
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(64 * 1024);
                socket.setSoTimeout(30_000);
                socket.connect(new InetSocketAddress(broker.uri().getHost(), broker.uri().getPort()));
                socket.getOutputStream().write(("GET /v1/grants/" + grantId + "/stream HTTP/1.1\r\nHost: localhost\r\n"
                        + "Authorization: Bearer " + lab + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream body = socket.getInputStream();
                byte[] first = body.readNBytes(256 * 1024);
                String head = new String(first, 0, 1024, StandardCharsets.ISO_8859_1);
                assertThat(head).startsWith("HTTP/1.1 200");
                streamId = head.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sluice-stream-id:"))
                        .findFirst().orElseThrow().substring("sluice-stream-id:".length()).trim();
                received = first.length;
                Poll.until(() -> Instant.now().isAfter(limit.plusMillis(200)), Duration.ofSeconds(30), "the grant's limit");
                received += drain(body);
            }

            var status = TestHttp.getText(broker, "/v1/streams/" + streamId, lab);
            assertThat(status).contains("\"status\":\"aborted\"").contains("\"failure\":\"expired\"")
                    .contains("the grant expired at " + limit);
            assertThat(received).isLessThan((long) rows * 16);
            String audit = TestHttp.getText(broker, "/v1/audit?action=stream.aborted&limit=10", auditor);
            assertThat(audit).contains(streamId).contains("\"failure\":\"expired\"");
            assertThat(TestHttp.get(broker, "/v1/grants/" + grantId + "/stream", lab).statusCode()).isEqualTo(403);
            assertThat(TestHttp.get(broker, "/health", null).statusCode()).isEqualTo(200);
        }
    }

    /** Reads to the end; a reset ends it too (the broker resets a stream it stops). */
    private static long drain(InputStream body) {
        long read = 0;
        try {
            for (byte[] chunk = body.readNBytes(1 << 20); chunk.length > 0; chunk = body.readNBytes(1 << 20)) {
                read += chunk.length;
            }
        } catch (IOException cut) {
            // expected: the stream is cut, not ended
        }
        return read;
    }
}
