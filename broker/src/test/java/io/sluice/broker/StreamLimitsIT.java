package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumers that open streams and read nothing cannot hold the broker: past the limits per
 * consumer and per broker a stream is refused with 429 (audited), and a stream whose client takes
 * nothing for the idle timeout is ended, which frees its place.
 */
class StreamLimitsIT {
    @TempDir
    Path dir;

    @Test
    void streamsPastTheLimitsAreRefusedWith429AndIdleOnesEndAndFreeTheirPlace() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir)
                .withStreamLimits(new BrokerConfig.StreamLimits(3, 2, Duration.ofSeconds(10)));
        // More than the broker's write queue and the sockets hold, so that a stream waits on its reader.
        TestParquet.write(config.sourcesDir().resolve("hospital-a/big.parquet"), 1_000_000, 4 * 1024 * 1024);
        List<Socket> idle = new ArrayList<>();
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String alice = TestHttp.devToken(broker, "alice", "ai-lab", "data-consumer");
            String bob = TestHttp.devToken(broker, "bob", "ai-lab", "data-consumer");
            String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
            String datasetId = TestHttp.id(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"big\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"big.parquet\"},\"policy\":{\"@type\":\"Set\",\"permission\":"
                    + "[{\"action\":\"use\"}]}}").body());
            String aliceGrant = grant(broker, alice, datasetId);
            String bobGrant = grant(broker, bob, datasetId);
            try {
                List<String> aliceStreams = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    Socket socket = openIdle(broker, aliceGrant, alice);
                    idle.add(socket);
                    aliceStreams.add(streamId(head(socket)));
                }
                var third = TestHttp.get(broker, "/v1/grants/" + aliceGrant + "/stream", alice);
                assertThat(third.statusCode()).isEqualTo(429);
                assertThat(third.body()).contains("\"error\":\"too_many_streams\"", "its limit per consumer");
                assertThat(third.headers().firstValue("Retry-After")).hasValue("5");
                String refusedId = third.headers().firstValue("Sluice-Request-Id").orElseThrow();

                Socket bobs = openIdle(broker, bobGrant, bob);
                idle.add(bobs);
                String bobsHead = head(bobs);
                assertThat(bobsHead).as(() -> bobsHead + new String(readQuietly(bobs), StandardCharsets.UTF_8))
                        .startsWith("HTTP/1.1 200");
                var full = TestHttp.get(broker, "/v1/grants/" + bobGrant + "/stream", bob);
                assertThat(full.statusCode()).isEqualTo(429);
                assertThat(full.body()).contains("its limit of 3 streams");

                String denied = TestHttp.getText(broker, "/v1/audit?action=grant.denied&limit=100", auditor);
                assertThat(denied).contains(refusedId, "TOO_MANY_STREAMS");
                assertThat(TestHttp.get(broker, "/health", null).statusCode()).isEqualTo(200);

                // Nobody reads: after the idle timeout the streams end as aborted by the client, and free their places.
                for (String streamId : aliceStreams) {
                    Poll.until(() -> status(broker, alice, streamId).contains("\"status\":\"aborted\""),
                            Duration.ofSeconds(30), "stream " + streamId + " ended by the idle timeout");
                    assertThat(status(broker, alice, streamId)).contains("\"failure\":\"client\"");
                }
                // The place is free once the stream's buffers are released, just after its end is on record.
                Poll.until(() -> opensAgain(broker, aliceGrant, alice), Duration.ofSeconds(30),
                        "a new stream admitted once the idle ones ended");
            } finally {
                for (Socket socket : idle) {
                    socket.close();
                }
            }
        }
    }

    private static String grant(Broker broker, String token, String datasetId) throws Exception {
        var response = TestHttp.post(broker, "/v1/grants", token, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"research\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return TestHttp.id(response.body());
    }

    /** A stream whose client reads its headers and then nothing (a small receive buffer, so the broker waits). */
    private static Socket openIdle(Broker broker, String grantId, String token) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.setSoTimeout(30_000);
        socket.connect(new InetSocketAddress(broker.uri().getHost(), broker.uri().getPort()));
        socket.getOutputStream().write(("GET /v1/grants/" + grantId + "/stream HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    private static String head(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private static boolean opensAgain(Broker broker, String grantId, String token) {
        try (Socket socket = openIdle(broker, grantId, token)) {
            return head(socket).startsWith("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] readQuietly(Socket socket) {
        try {
            return socket.getInputStream().readNBytes(200);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static String streamId(String head) {
        assertThat(head).startsWith("HTTP/1.1 200");
        return head.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sluice-stream-id:"))
                .findFirst().orElseThrow().substring("sluice-stream-id:".length()).trim();
    }

    private static String status(Broker broker, String token, String streamId) {
        try {
            return TestHttp.getText(broker, "/v1/streams/" + streamId, token);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
