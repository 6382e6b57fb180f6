package io.sluice.loader.internal;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP/1.1 {@code GET} over a plain {@link SocketChannel}, whose response body is a
 * {@link ReadableByteChannel} that reads from the socket straight into the caller's buffer: when
 * Arrow's IPC reader asks for a batch body, the kernel copies the bytes directly into the pinned
 * arena, with no heap buffer and no client-side copy on the way. Only the response head and chunk
 * framing pass through a small staging buffer.
 *
 * <p>Supports {@code Content-Length}, {@code Transfer-Encoding: chunked} and close-delimited
 * bodies; sends {@code Connection: close}. A body that ends before its announced length (or before
 * the last chunk) fails with an {@link EOFException}; a chunked body that ends cleanly with its last
 * chunk is a clean end of input. Plain {@code http} only: {@code https} goes through
 * {@code java.net.http}, its body read through a {@link TimedBodyChannel} with the same read timeout.
 *
 * <p>Every read waits at most the read timeout for the next bytes (a half-open connection, whose
 * peer vanished without a FIN, would otherwise block a training rank forever) and then fails with a
 * {@link ReadTimeoutException}. The socket is non-blocking: a read that finds bytes costs one
 * system call, and only a read that finds none waits in a {@link Selector}. Header values holding
 * CR, LF or another control character are refused before anything is sent: a token file with a
 * stray line break must not become a second header.
 *
 * <p>Not thread-safe: one reader thread.
 */
public final class SocketHttpGet {

    private static final int STAGING_BYTES = 64 * 1024;
    private static final int MAX_HEAD_BYTES = 64 * 1024;
    private static final int FRAMING_REFILL = 64;

    /** A response: status, headers (names lower case), and the body. */
    public record Response(int status, Map<String, List<String>> headers, ReadableByteChannel body) {
        public Response {
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body is null");
        }

        public Optional<String> header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
        }
    }

    /** The read timeout of {@link #get(URI, Map, Duration)}. */
    static final Duration DEFAULT_READ_TIMEOUT = Duration.ofMinutes(2);

    /** No bytes arrived within the read timeout; the message names the timeout and the server. */
    public static final class ReadTimeoutException extends SocketTimeoutException {
        ReadTimeoutException(String message) {
            super(message);
        }

        /** Nothing from {@code peer} (e.g. {@code the broker at https://host:443}) within {@code timeout}. */
        public static ReadTimeoutException after(Duration timeout, String peer) {
            return new ReadTimeoutException("no bytes from " + peer + " within the read timeout of "
                    + timeout.toMillis() / 1000.0 + " s (" + timeout + "); the connection is taken as dead");
        }
    }

    private SocketHttpGet() {
    }

    /** {@link #get(URI, Map, Duration, Duration)} with a read timeout of two minutes. */
    public static Response get(URI uri, Map<String, String> headers, Duration connectTimeout) throws IOException {
        return get(uri, headers, connectTimeout, DEFAULT_READ_TIMEOUT);
    }

    /**
     * Connects to {@code uri} (which must be {@code http}), sends the request and reads the
     * response head. The caller owns the returned body and must close it (that closes the socket).
     */
    public static Response get(URI uri, Map<String, String> headers, Duration connectTimeout, Duration readTimeout)
            throws IOException {
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("readTimeout must be > 0, was " + readTimeout);
        }
        headers.forEach(SocketHttpGet::checkHeader);
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        SocketChannel channel = SocketChannel.open();
        TimedChannel socket = null;
        try {
            channel.socket().connect(new InetSocketAddress(uri.getHost(), port),
                    (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            channel.socket().setTcpNoDelay(true);
            channel.socket().setReceiveBufferSize(4 << 20);
            socket = new TimedChannel(channel, readTimeout, peer(uri));
            StringBuilder request = new StringBuilder()
                    .append("GET ").append(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                    .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(uri.getHost()).append(uri.getPort() < 0 ? "" : ":" + uri.getPort()).append("\r\n");
            headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
            request.append("Connection: close\r\n\r\n");
            socket.write(ByteBuffer.wrap(request.toString().getBytes(StandardCharsets.ISO_8859_1)));
            ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES).flip();
            String statusLine = readLine(socket, staging);
            int status = parseStatus(statusLine);
            Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
            int headBytes = statusLine.length();
            for (String line = readLine(socket, staging); !line.isEmpty(); line = readLine(socket, staging)) {
                headBytes += line.length();
                if (headBytes > MAX_HEAD_BYTES) {
                    throw new ProtocolException("response head longer than " + MAX_HEAD_BYTES + " bytes");
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new ProtocolException("malformed response header line: " + line);
                }
                responseHeaders.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        _ -> new ArrayList<>()).add(line.substring(colon + 1).strip());
            }
            Body body = body(socket, staging, responseHeaders);
            return new Response(status, responseHeaders, body);
        } catch (IOException | RuntimeException e) {
            if (socket != null) {
                socket.close();
            }
            channel.close();
            throw e;
        }
    }

    /**
     * Refuses a header whose name or value holds a control character (other than a tab in the
     * value): CR or LF would end the header line and let the rest be read as another header. The
     * message names the header but never shows its value, which may be a token.
     */
    static void checkHeader(String name, String value) {
        if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c >= 0x7F || c == ':')) {
            throw new IllegalArgumentException("refusing to send a request header with a malformed name");
        }
        if (value.chars().anyMatch(c -> (c < ' ' && c != '\t') || c == 0x7F || c > 0xFF)) {
            throw new IllegalArgumentException("refusing to send header " + name
                    + ": its value holds CR, LF or another control character (a token file with a line break?)");
        }
    }

    private static Body body(TimedChannel socket, ByteBuffer staging, Map<String, List<String>> headers)
            throws ProtocolException {
        List<String> encoding = headers.getOrDefault("transfer-encoding", List.of());
        if (encoding.stream().anyMatch(value -> value.toLowerCase(Locale.ROOT).contains("chunked"))) {
            return new Body(socket, staging, Body.CHUNKED);
        }
        List<String> length = headers.getOrDefault("content-length", List.of());
        if (!length.isEmpty()) {
            try {
                long bytes = Long.parseLong(length.getFirst());
                if (bytes < 0) {
                    throw new NumberFormatException();
                }
                return new Body(socket, staging, bytes);
            } catch (NumberFormatException e) {
                throw new ProtocolException("malformed Content-Length: " + length.getFirst());
            }
        }
        return new Body(socket, staging, Body.UNTIL_CLOSE);
    }

    private static int parseStatus(String line) throws ProtocolException {
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new ProtocolException("not an HTTP/1.x status line: " + line);
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolException("not an HTTP/1.x status line: " + line);
        }
    }

    /** {@code the broker at SCHEME://HOST:PORT}: how read-timeout messages name the server, over http and https. */
    static String peer(URI uri) {
        int port = uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
        return "the broker at " + uri.getScheme() + "://" + uri.getHost() + ":" + port;
    }

    /** Reads one CRLF-terminated line (without the CRLF) through {@code staging}, refilling it from the socket. */
    static String readLine(ReadableByteChannel socket, ByteBuffer staging) throws IOException {
        return readLine(socket, staging, staging.capacity());
    }

    /**
     * Reads one line, refilling {@code staging} with at most {@code refill} bytes at a time: chunk
     * framing reads little, so that the body bytes behind it go straight to their destination
     * instead of through staging.
     */
    static String readLine(ReadableByteChannel socket, ByteBuffer staging, int refill) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            while (staging.hasRemaining()) {
                char c = (char) (staging.get() & 0xFF);
                if (c == '\n') {
                    int end = line.length();
                    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
                }
                line.append(c);
                if (line.length() > MAX_HEAD_BYTES) {
                    throw new ProtocolException("line longer than " + MAX_HEAD_BYTES + " bytes");
                }
            }
            staging.clear().limit(Math.min(refill, staging.capacity()));
            int n = socket.read(staging);
            staging.flip();
            if (n < 0) {
                throw new EOFException("connection closed in the middle of the response head or chunk framing");
            }
        }
    }

    /** The response body: reads straight from the socket into the destination once the staging buffer is empty. */
    static final class Body implements ReadableByteChannel {
        static final long CHUNKED = -1;
        static final long UNTIL_CLOSE = -2;

        private final TimedChannel socket;
        private final ByteBuffer staging;
        private final long framing;
        private long remaining; // in the body (fixed length) or in the current chunk (chunked)
        private long delivered;
        private boolean firstChunk = true;
        private boolean ended;

        Body(TimedChannel socket, ByteBuffer staging, long framing) {
            this.socket = socket;
            this.staging = staging;
            this.framing = framing;
            this.remaining = framing >= 0 ? framing : 0;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (ended) {
                return -1;
            }
            if (!dst.hasRemaining()) {
                return 0;
            }
            if (framing == UNTIL_CLOSE) {
                int n = transfer(dst, dst.remaining());
                if (n < 0) {
                    ended = true;
                }
                return n;
            }
            if (remaining == 0) {
                if (framing >= 0 || !nextChunk()) {
                    ended = true;
                    return -1;
                }
            }
            int n = transfer(dst, (int) Math.min(dst.remaining(), remaining));
            if (n < 0) {
                throw new EOFException(framing >= 0
                        ? "connection closed after " + delivered + " of " + framing + " body bytes"
                        : "connection closed after " + delivered + " body bytes, inside a chunk");
            }
            remaining -= n;
            delivered += n;
            return n;
        }

        /** Moves up to {@code max} bytes into {@code dst}: from staging if it holds any, else from the socket. */
        private int transfer(ByteBuffer dst, int max) throws IOException {
            if (staging.hasRemaining()) {
                int n = Math.min(max, staging.remaining());
                ByteBuffer slice = staging.slice(staging.position(), n);
                dst.put(slice);
                staging.position(staging.position() + n);
                return n;
            }
            int limit = dst.limit();
            dst.limit(dst.position() + max);
            try {
                return socket.read(dst);
            } finally {
                dst.limit(limit);
            }
        }

        /** Reads the next chunk header; false at the last (zero) chunk, after its trailers. */
        private boolean nextChunk() throws IOException {
            try {
                if (!firstChunk) {
                    String crlf = readLine(socket, staging, FRAMING_REFILL);
                    if (!crlf.isEmpty()) {
                        throw new ProtocolException("chunk not followed by CRLF");
                    }
                }
                firstChunk = false;
                String header = readLine(socket, staging, FRAMING_REFILL);
                int semicolon = header.indexOf(';');
                long size = Long.parseLong((semicolon < 0 ? header : header.substring(0, semicolon)).strip(), 16);
                if (size < 0) {
                    throw new ProtocolException("negative chunk size");
                }
                if (size == 0) {
                    while (!readLine(socket, staging, FRAMING_REFILL).isEmpty()) {
                        // trailers are ignored
                    }
                    return false;
                }
                remaining = size;
                return true;
            } catch (NumberFormatException e) {
                throw new ProtocolException("malformed chunk header");
            } catch (EOFException e) {
                throw new EOFException("connection closed after " + delivered + " body bytes, before the last chunk");
            }
        }

        @Override
        public boolean isOpen() {
            return socket.isOpen();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * A connected socket in non-blocking mode whose reads block until at least one byte arrives, the
     * peer closes, or the read timeout passes; writes block until everything is written (bounded by
     * the same timeout between progress).
     */
    static final class TimedChannel implements ReadableByteChannel {
        private final SocketChannel channel;
        private final Selector selector;
        private final SelectionKey key;
        private final long timeoutNanos;
        private final Duration timeout;
        private final String peer;

        TimedChannel(SocketChannel channel, Duration timeout, String peer) throws IOException {
            this.channel = channel;
            this.timeout = timeout;
            this.timeoutNanos = timeout.toNanos();
            this.peer = peer;
            channel.configureBlocking(false);
            this.selector = Selector.open();
            try {
                this.key = channel.register(selector, 0);
            } catch (IOException | RuntimeException e) {
                selector.close();
                throw e;
            }
        }

        /** Reads at least one byte (when {@code dst} has room), or -1 at the end of input. */
        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = channel.read(dst);
            if (n != 0 || !dst.hasRemaining()) {
                return n;
            }
            long deadline = System.nanoTime() + timeoutNanos;
            while (true) {
                await(SelectionKey.OP_READ, deadline);
                n = channel.read(dst);
                if (n != 0) {
                    return n;
                }
            }
        }

        void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                if (channel.write(src) == 0) {
                    await(SelectionKey.OP_WRITE, System.nanoTime() + timeoutNanos);
                }
            }
        }

        private void await(int operation, long deadline) throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw ReadTimeoutException.after(timeout, peer);
            }
            try {
                key.interestOps(operation);
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            } catch (ClosedSelectorException | CancelledKeyException e) {
                // closed by another thread (a stream being closed) while this one waited
                throw new AsynchronousCloseException();
            }
            if (Thread.currentThread().isInterrupted()) {
                channel.close();
                throw new java.nio.channels.ClosedByInterruptException();
            }
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        /** Closes the socket; a thread waiting in {@link #read} wakes and fails with {@link AsynchronousCloseException}. */
        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                selector.close(); // wakes a waiting reader
            }
        }
    }
}
