package io.sluice.broker.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where the Arrow IPC writer puts its bytes: a buffer that collects one message at a time for
 * the HTTP response, counting and hashing every byte on the way, so the stream's SHA-256 is
 * exactly that of the bytes sent.
 *
 * <p>The buffers are on the heap on purpose: once handed to the response, Netty owns them, and a
 * client that disconnects mid-write must not leave native memory that nobody releases.
 *
 * <p>Not thread-safe: one producer thread.
 */
final class ResponseChannel implements WritableByteChannel {
    private static final int MIN_CAPACITY = 64 * 1024;

    private final MessageDigest sha256;
    private ByteBuf pending = Unpooled.buffer(MIN_CAPACITY);
    private long bytes;

    ResponseChannel() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Makes room for about {@code more} bytes, so that a batch is copied once, not regrown. */
    void reserve(long more) {
        pending.ensureWritable((int) Math.min(Integer.MAX_VALUE - 8L - pending.writerIndex(), more));
    }

    @Override
    public int write(ByteBuffer source) {
        int length = source.remaining();
        int start = pending.writerIndex();
        pending.writeBytes(source);
        sha256.update(pending.array(), pending.arrayOffset() + start, length);
        bytes += length;
        return length;
    }

    /** The bytes written since the last call; the response takes them over. */
    ByteBuf takePending() {
        ByteBuf taken = pending;
        pending = Unpooled.buffer(Math.max(MIN_CAPACITY, taken.capacity()));
        return taken;
    }

    long bytes() {
        return bytes;
    }

    /** Hex SHA-256 of every byte written so far. */
    String sha256Hex() {
        try {
            return HexFormat.of().formatHex(((MessageDigest) sha256.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
        // The response is ended by the streamer, not by the IPC writer.
    }
}
