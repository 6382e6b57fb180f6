package io.sluice.loader.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Wraps an HTTP response body: counts every byte read, feeds it to a SHA-256 digest, remembers the
 * last eight bytes (to recognise the Arrow IPC end-of-stream marker) and records how the body
 * ended (clean end of input, or a failure of the underlying stream).
 *
 * <p>Not thread-safe: one reader thread. {@link #bytesRead()} may be read from any thread.
 */
public final class MeteredInputStream extends InputStream {

    /** The Arrow IPC end-of-stream marker: continuation 0xFFFFFFFF, then a zero metadata length. */
    private static final long EOS_MARKER = 0xFFFF_FFFF_0000_0000L;

    private final InputStream body;
    private final MessageDigest digest;
    private volatile long bytesRead;
    private long lastBytes;
    private boolean endOfInput;
    private Optional<IOException> failure = Optional.empty();

    public MeteredInputStream(InputStream body) {
        this.body = Objects.requireNonNull(body, "body is null");
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    /** Body bytes read so far. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Whether the body reported its end (a read returned -1). */
    public boolean endOfInput() {
        return endOfInput;
    }

    /** The failure of the underlying stream, if one was thrown. */
    public Optional<IOException> failure() {
        return failure;
    }

    /** Whether the bytes read so far end with the Arrow IPC end-of-stream marker. */
    public boolean endsWithEndOfStreamMarker() {
        return bytesRead >= Long.BYTES && lastBytes == EOS_MARKER;
    }

    /**
     * Reads and digests whatever remains of the body.
     *
     * @return the number of bytes that remained
     */
    public long drain() throws IOException {
        byte[] scratch = new byte[8192];
        long drained = 0;
        for (int n = read(scratch, 0, scratch.length); n >= 0; n = read(scratch, 0, scratch.length)) {
            drained += n;
        }
        return drained;
    }

    /** The lower-case hex SHA-256 of all bytes read; call once, after {@link #drain()}. */
    public String sha256Hex() {
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public int read() throws IOException {
        int b;
        try {
            b = body.read();
        } catch (IOException e) {
            throw failed(e);
        }
        if (b < 0) {
            endOfInput = true;
            return b;
        }
        digest.update((byte) b);
        lastBytes = (lastBytes << 8) | b;
        bytesRead = bytesRead + 1;
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n;
        try {
            n = body.read(buffer, offset, length);
        } catch (IOException e) {
            throw failed(e);
        }
        if (n < 0) {
            endOfInput = true;
            return n;
        }
        digest.update(buffer, offset, n);
        for (int i = Math.max(offset, offset + n - Long.BYTES); i < offset + n; i++) {
            lastBytes = (lastBytes << 8) | (buffer[i] & 0xFF);
        }
        bytesRead = bytesRead + n;
        return n;
    }

    /** Skips by reading, so that skipped bytes are counted and digested too. */
    @Override
    public long skip(long count) throws IOException {
        byte[] scratch = new byte[(int) Math.min(8192, Math.max(count, 0))];
        long skipped = 0;
        while (skipped < count) {
            int n = read(scratch, 0, (int) Math.min(scratch.length, count - skipped));
            if (n < 0) {
                break;
            }
            skipped += n;
        }
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return body.available();
    }

    @Override
    public void close() throws IOException {
        body.close();
    }

    private IOException failed(IOException e) {
        if (failure.isEmpty()) {
            failure = Optional.of(e);
        }
        return e;
    }
}
