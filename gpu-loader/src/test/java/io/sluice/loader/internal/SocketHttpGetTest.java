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

        Server(String response, int piece) throws IOException {
            thread = Thread.ofVirtual().start(() -> {
                try (Socket connection = socket.accept()) {
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
                } catch (IOException e) {
                    // the test sees the outcome
                }
            });
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
