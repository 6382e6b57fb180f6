package io.sluice.loader.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Optional;

/**
 * Reads a small response body (an error, a stream status, a receipt) into memory with a bound on
 * its size, growing the buffer as bytes arrive rather than trusting a Content-Length: a broker or a
 * proxy in the way decides how much it sends, never how much the loader holds.
 */
public final class BodyBytes {

    private BodyBytes() {
    }

    /** The first {@code max} bytes of the body, or all of it when shorter; the rest is not read. */
    public static byte[] upTo(ReadableByteChannel in, int max) throws IOException {
        return read(in, max);
    }

    /** The whole body, or empty when it is longer than {@code max} bytes (it is then not read further). */
    public static Optional<byte[]> whole(ReadableByteChannel in, int max) throws IOException {
        byte[] bytes = read(in, max + 1L);
        return bytes.length > max ? Optional.empty() : Optional.of(bytes);
    }

    private static byte[] read(ReadableByteChannel in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(64 * 1024, limit));
        while (out.size() < limit) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), limit - out.size()));
            if (in.read(buffer) < 0) {
                break;
            }
            out.write(buffer.array(), 0, buffer.position());
        }
        return out.toByteArray();
    }
}
