package io.sluice.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RawHttpStreamTest {

    @Test
    void countsTheBodyAfterTheHeadersAndSeesTheLastChunk() throws Exception {
        String body = "5\r\nhello\r\n0\r\n\r\n";
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> request = answer(server, "HTTP/1.1 200 OK\r\nSluice-Stream-Id: st-1\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + body);
            try (RawHttpStream stream = RawHttpStream.open(URI.create("http://127.0.0.1:" + server.getLocalPort()),
                    "/v1/grants/gr-1/stream", "t0ken", OptionalInt.of(64 * 1024))) {
                ByteBuffer buffer = ByteBuffer.allocate(3);
                while (stream.read(buffer) >= 0) {
                    // Three bytes at a time: headers and tail cross read boundaries.
                }
                assertThat(stream.streamId()).contains("st-1");
                assertThat(stream.bodyBytes()).isEqualTo(body.length());
                assertThat(stream.complete()).isTrue();
            }
            assertThat(request.get()).startsWith("GET /v1/grants/gr-1/stream HTTP/1.1\r\n")
                    .contains("Authorization: Bearer t0ken\r\n", "Connection: close\r\n");
        }
    }

    @Test
    void aResponseCutBeforeTheLastChunkIsNotComplete() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            answer(server, "HTTP/1.1 200 OK\r\n\r\n5\r\nhello\r\n");
            try (RawHttpStream stream = RawHttpStream.open(URI.create("http://127.0.0.1:" + server.getLocalPort()),
                    "/", "t", OptionalInt.empty())) {
                ByteBuffer buffer = ByteBuffer.allocate(1024);
                while (stream.read(buffer) >= 0) {
                    // Read to the end.
                }
                assertThat(stream.complete()).isFalse();
            }
        }
    }

    @Test
    void aRefusalIsAnError() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            answer(server, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
            try (RawHttpStream stream = RawHttpStream.open(URI.create("http://127.0.0.1:" + server.getLocalPort()),
                    "/", "t", OptionalInt.empty())) {
                assertThatThrownBy(() -> stream.read(ByteBuffer.allocate(1024)))
                        .isInstanceOf(IOException.class)
                        .hasMessage("the broker answered HTTP/1.1 403 Forbidden");
            }
        }
    }

    /** Accepts one connection, reads the request head, writes {@code response} and closes. */
    private static CompletableFuture<String> answer(ServerSocket server, String response) {
        CompletableFuture<String> request = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (Socket socket = server.accept(); InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream()) {
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        throw new IOException("the client closed before the end of its request head: " + head);
                    }
                    head.append((char) b);
                }
                out.write(response.getBytes(StandardCharsets.US_ASCII));
                request.complete(head.toString());
            } catch (IOException e) {
                request.completeExceptionally(e);
            }
        });
        return request;
    }
}
