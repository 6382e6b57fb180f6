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
 * <p>Not thread-safe: one producer thread.
 */
final class ResponseChannel implements WritableByteChannel {
    private final MessageDigest sha256;
    private ByteBuf pending = Unpooled.buffer(0);
    private long bytes;

    ResponseChannel() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Makes room for about {@code bytes} more, so that a batch is copied once, not regrown. */
    void reserve(long bytes) {
        int wanted = (int) Math.min(Integer.MAX_VALUE - 8, pending.writerIndex() + bytes);
        if (pending.capacity() == 0) {
            pending.release();
            pending = Unpooled.directBuffer(wanted);
        } else {
            pending.ensureWritable(wanted - pending.writerIndex());
        }
    }

    @Override
    public int write(ByteBuffer source) {
        int length = source.remaining();
        if (pending.capacity() == 0) {
            pending.release();
            pending = Unpooled.directBuffer(Math.max(length, 64 * 1024));
        }
        sha256.update(source.duplicate());
        pending.writeBytes(source);
        bytes += length;
        return length;
    }

    /** The bytes written since the last call; the caller owns the returned buffer. */
    ByteBuf takePending() {
        ByteBuf taken = pending;
        pending = Unpooled.buffer(0);
        return taken;
    }

    /** Releases bytes that will never be sent. */
    void discardPending() {
        pending.release();
        pending = Unpooled.buffer(0);
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
