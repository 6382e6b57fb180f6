package io.sluice.broker.stream;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 client on a plain socket that a test drives byte by byte: it can read a chunked
 * body to its end, read part of it and vanish (a TCP reset), or send the request and read nothing
 * at all. Knows just enough HTTP for one chunked response.
 */
final class RawHttpClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private String head;
    private boolean ended;

    /** Connects and sends {@code GET path}; with a small receive buffer when {@code receiveBuffer > 0}. */
    RawHttpClient(int port, String path, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(60_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        in = socket.getInputStream();
    }

    /** The status line and headers. */
    String head() throws IOException {
        if (head == null) {
            StringBuilder text = new StringBuilder();
            while (!text.toString().endsWith("\r\n\r\n")) {
                text.append((char) readByte());
            }
            head = text.toString();
        }
        return head;
    }

    /**
     * Reads chunks until the terminating chunk (returns true) or until the connection ends or
     * {@code limit} body bytes have been read (returns false).
     */
    boolean readBody(long limit, Runnable onLastChunk) throws IOException {
        head();
        try {
            while (!ended && body.size() < limit) {
                int size = Integer.parseInt(line(), 16);
                if (size == 0) {
                    onLastChunk.run();
                    if (!line().isEmpty()) {
                        throw new IOException("trailers are not expected");
                    }
                    ended = true;
                    break;
                }
                body.writeBytes(in.readNBytes(size));
                if (!line().isEmpty()) {
                    throw new IOException("a chunk must end with CRLF");
                }
            }
        } catch (EOFException | SocketException e) {
            return false;
        }
        return ended;
    }

    /** The body bytes read so far (chunk framing removed). */
    byte[] body() {
        return body.toByteArray();
    }

    /** Leaves with a TCP reset (unread data and linger 0), as a crashed client does. */
    void vanish() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private String line() throws IOException {
        StringBuilder text = new StringBuilder();
        while (true) {
            int b = readByte();
            if (b == '\r') {
                if (readByte() != '\n') {
                    throw new IOException("CR without LF");
                }
                return text.toString();
            }
            text.append((char) b);
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("the connection ended");
        }
        return b;
    }
}
