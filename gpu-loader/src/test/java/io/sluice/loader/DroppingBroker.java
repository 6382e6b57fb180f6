package io.sluice.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A broker that announces a whole stream with its Content-Length, sends only the first
 * {@code sent} bytes and then closes the connection: a connection dropped mid-stream. Serves one
 * request, on 127.0.0.1.
 */
final class DroppingBroker implements AutoCloseable {

    private final ServerSocket server;
    private final Thread acceptor;

    DroppingBroker(String streamId, byte[] bytes, long sent) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> serveOne(streamId, bytes, sent));
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void serveOne(String streamId, byte[] bytes, long sent) {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            int matched = 0;
            while (matched < 4) { // read the request head up to the blank line
                int b = in.read();
                if (b < 0) {
                    return;
                }
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\n"
                    + "Content-Type: " + GpuLoader.ARROW_STREAM_MEDIA_TYPE + "\r\n"
                    + GpuLoader.STREAM_ID_HEADER + ": " + streamId + "\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes, 0, Math.toIntExact(sent));
            out.flush();
        } catch (IOException e) {
            // the test sees the outcome on the client side
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
