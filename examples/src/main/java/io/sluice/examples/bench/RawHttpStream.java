package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A grant stream read as raw bytes from a plain socket, the cheapest client there is: one
 * {@code GET} with {@code Connection: close}, the status line and headers parsed (status, the
 * {@code Sluice-Stream-Id}), the body counted and thrown away. The body's bytes include the chunked
 * encoding's framing (about 10 bytes per 64 KiB chunk); a stream is complete when the connection
 * closes right after the last chunk ({@code 0\r\n\r\n}).
 *
 * <p>Threading: read by one thread; {@link #bodyBytes()} may be read from any thread, and
 * {@link #close()} called from another thread stops a blocked read.
 */
final class RawHttpStream implements AutoCloseable {
    private static final byte[] HEADER_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final SocketChannel channel;
    private final ByteArrayOutputStream header = new ByteArrayOutputStream();
    private final byte[] tail = new byte[LAST_CHUNK.length];
    private boolean headerDone;
    private int status;
    private Optional<String> streamId = Optional.empty();
    private volatile long bodyBytes;
    private volatile boolean ended;

    private RawHttpStream(SocketChannel channel) {
        this.channel = channel;
    }

    /**
     * Connects and sends the request.
     *
     * @param receiveBuffer when present, the socket's receive buffer (set before connecting, which
     *     turns the kernel's autotuning off), so that a slow reader holds little in the kernel and
     *     the broker's own queue fills
     */
    static RawHttpStream open(URI broker, String path, String token, OptionalInt receiveBuffer) throws IOException {
        requireNonNull(broker, "broker is null");
        SocketChannel channel = SocketChannel.open();
        try {
            if (receiveBuffer.isPresent()) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer.getAsInt());
            }
            channel.connect(new InetSocketAddress(broker.getHost(), broker.getPort()));
            String request = "GET " + path + " HTTP/1.1\r\nHost: " + broker.getHost() + ":" + broker.getPort()
                    + "\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n";
            ByteBuffer bytes = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            return new RawHttpStream(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Reads what the socket has, into {@code buffer} (cleared first; its contents are dropped).
     *
     * @return bytes read, or -1 when the broker closed the connection
     * @throws IOException also when the response is not a 200
     */
    int read(ByteBuffer buffer) throws IOException {
        buffer.clear();
        int read = channel.read(buffer);
        if (read < 0) {
            ended = true;
            return read;
        }
        buffer.flip();
        if (!headerDone) {
            while (buffer.hasRemaining() && !headerDone) {
                header.write(buffer.get());
                headerDone = endsWith(header.toByteArray(), HEADER_END);
            }
            if (headerDone) {
                parseHeader(header.toString(StandardCharsets.ISO_8859_1));
            }
        }
        int body = buffer.remaining();
        if (body > 0) {
            keepTail(buffer);
            bodyBytes += body;
        }
        return read;
    }

    private void parseHeader(String text) throws IOException {
        String[] lines = text.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : 0;
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("sluice-stream-id")) {
                streamId = Optional.of(line.substring(colon + 1).trim());
            }
        }
        if (status != 200) {
            throw new IOException("the broker answered " + lines[0]);
        }
    }

    private void keepTail(ByteBuffer buffer) {
        int n = Math.min(tail.length, buffer.remaining());
        System.arraycopy(tail, n, tail, 0, tail.length - n);
        buffer.get(buffer.limit() - n, tail, tail.length - n, n);
    }

    private static boolean endsWith(byte[] bytes, byte[] suffix) {
        if (bytes.length < suffix.length) {
            return false;
        }
        for (int i = 0; i < suffix.length; i++) {
            if (bytes[bytes.length - suffix.length + i] != suffix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Body bytes read so far (chunk framing included). */
    long bodyBytes() {
        return bodyBytes;
    }

    /** The stream's id from the response headers, once they arrived. */
    Optional<String> streamId() {
        return streamId;
    }

    /** Whether the whole response arrived: the connection closed right after the last chunk. */
    boolean complete() {
        return ended && java.util.Arrays.equals(tail, LAST_CHUNK);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
