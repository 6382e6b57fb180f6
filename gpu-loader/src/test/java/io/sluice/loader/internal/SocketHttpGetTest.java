package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SocketHttpGetTest {

    @Test
    void readsAChunkedBodyWhoseFramingArrivesInPieces() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Twice: a\r\nx-twice: b\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;name=value\r\nabc\r\n" + "10\r\n0123456789abcdef\r\n" + "1\r\nz\r\n" + "0\r\nTrailer: t\r\n\r\n";
        try (Server server = new Server(response, 5)) {
            SocketHttpGet.Response answer = SocketHttpGet.get(server.uri("/path?q=1"), Map.of("Authorization", "Bearer x"),
                    Duration.ofSeconds(5));

            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.header("Content-Type")).contains("text/plain");
            assertThat(answer.headers().get("x-twice")).containsExactly("a", "b");
            assertThat(readAll(answer)).isEqualTo("abc0123456789abcdefz");
            assertThat(server.request()).startsWith("GET /path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n");
        }
    }

    @Test
    void readsAFixedLengthBodyAndStopsAtItsEnd() throws Exception {
        try (Server server = new Server("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhello-and-more", 3)) {
            SocketHttpGet.Response answer = SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5));

            assertThat(answer.status()).isEqualTo(404);
            assertThat(readAll(answer)).isEqualTo("hello");
        }
    }

    @Test
    void reportsABodyCutShortOfItsLength() throws Exception {
        try (Server server = new Server("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly-twenty-bytes...", 64)) {
            SocketHttpGet.Response answer = SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5));

            assertThatThrownBy(() -> readAll(answer)).hasMessage("connection closed after 20 of 50 body bytes");
        }
    }

    @Test
    void reportsAChunkedBodyCutBeforeItsLastChunk() throws Exception {
        try (Server server = new Server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 64)) {
            SocketHttpGet.Response answer = SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5));

            assertThatThrownBy(() -> readAll(answer)).hasMessage("connection closed after 4 body bytes, before the last chunk");
        }
    }

    @Test
    void rejectsAnAnswerThatIsNotHttp() throws Exception {
        try (Server server = new Server("SSH-2.0-OpenSSH_9.6\r\n\r\n", 64)) {
            assertThatThrownBy(() -> SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5)))
                    .hasMessage("not an HTTP/1.x status line: SSH-2.0-OpenSSH_9.6");
        }
    }

    @Test
    void aServerThatStallsAfterItsHeadFailsTheReadWithinTheReadTimeout() throws Exception {
        // Accepts, answers the head, then sends nothing and keeps the connection open: a half-open peer.
        try (Server server = new Server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 64, true)) {
            SocketHttpGet.Response answer = SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5),
                    Duration.ofMillis(300));
            long started = System.nanoTime();

            assertThatThrownBy(() -> readAll(answer))
                    .isInstanceOf(SocketHttpGet.ReadTimeoutException.class)
                    .hasMessageContaining("read timeout of 0.3 s (PT0.3S)")
                    .hasMessageContaining("the broker at http://127.0.0.1:" + server.port());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
        }
    }

    @Test
    void aServerThatNeverAnswersFailsTheRequestWithinTheReadTimeout() throws Exception {
        try (Server server = new Server("", 64, true)) {
            assertThatThrownBy(() -> SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5), Duration.ofMillis(200)))
                    .isInstanceOf(SocketHttpGet.ReadTimeoutException.class)
                    .hasMessageContaining("PT0.2S");
        }
    }

    @Test
    void aReaderWaitingForAStalledServerWakesWhenTheBodyIsClosed() throws Exception {
        try (Server server = new Server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 64, true)) {
            SocketHttpGet.Response answer = SocketHttpGet.get(server.uri("/"), Map.of(), Duration.ofSeconds(5),
                    Duration.ofSeconds(30));
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(200);
                    answer.body().close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long started = System.nanoTime();

            assertThatThrownBy(() -> answer.body().read(ByteBuffer.allocateDirect(16))).isInstanceOf(IOException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            closer.join();
        }
    }

    @Test
    void refusesAHeaderValueWithALineBreakBeforeConnecting() throws Exception {
        try (Server server = new Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 64)) {
            assertThatThrownBy(() -> SocketHttpGet.get(server.uri("/"),
                    Map.of("Authorization", "Bearer abc\r\nX-Injected: yes"), Duration.ofSeconds(5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Authorization")
                    .hasMessageNotContaining("abc")
                    .hasMessageNotContaining("X-Injected");
            assertThatThrownBy(() -> SocketHttpGet.get(server.uri("/"), Map.of("Accept", "a\u0000b"), Duration.ofSeconds(5)))
                    .isInstanceOf(IllegalArgumentException.class);

            assertThat(server.accepted()).as("nothing reached the server").isFalse();
        }
    }

    private static String readAll(SocketHttpGet.Response answer) throws IOException {
        try (var body = answer.body()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocateDirect(7);
            for (int n = body.read(buffer); n >= 0; n = body.read(buffer.clear())) {
                buffer.flip();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                out.write(bytes);
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Answers one request with {@code response}, written in pieces of {@code piece} bytes, then closes. */
    private static final class Server implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final Thread thread;
        private volatile String request = "";
        private volatile boolean accepted;

        Server(String response, int piece) throws IOException {
            this(response, piece, false);
        }

        /** With {@code stall}, keeps the connection open after the response, sending nothing more, until closed. */
        Server(String response, int piece, boolean stall) throws IOException {
            thread = Thread.ofVirtual().start(() -> {
                try (Socket connection = socket.accept()) {
                    accepted = true;
                    InputStream in = connection.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        head.append((char) b);
                    }
                    request = head.toString();
                    OutputStream out = connection.getOutputStream();
                    byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
                    for (int offset = 0; offset < bytes.length; offset += piece) {
                        out.write(bytes, offset, Math.min(piece, bytes.length - offset));
                        out.flush();
                    }
                    if (stall) {
                        in.read(); // until the client closes (the test's end)
                    }
                } catch (IOException e) {
                    // the test sees the outcome
                }
            });
        }

        boolean accepted() {
            return accepted;
        }

        int port() {
            return socket.getLocalPort();
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port() + path);
        }

        String request() throws InterruptedException {
            thread.join();
            return request;
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
