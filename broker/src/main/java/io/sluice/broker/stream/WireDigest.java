package io.sluice.broker.stream;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 and the count of the bytes a stream hands to the response, for its close record.
 * Hashes each part where it lies (heap arrays directly; direct memory through NIO views, which the
 * JDK copies into a small scratch array in 4 KiB steps before its SHA-256 intrinsic runs), so no
 * message is copied whole for hashing.
 *
 * <p>Not thread-safe: the stream's thread, before it hands a message over (after that the message
 * may be released at any moment).
 */
final class WireDigest {
    private final MessageDigest sha256;
    private long bytes;

    WireDigest() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Adds every byte of {@code message}, which must not be released yet. */
    void add(WireMessage message) {
        if (message.released()) {
            throw new IllegalStateException("cannot hash a released message");
        }
        for (ByteBuf part : message.parts()) {
            for (ByteBuffer view : part.nioBuffers(part.readerIndex(), part.readableBytes())) {
                sha256.update(view);
            }
        }
        bytes += message.length();
    }

    long bytes() {
        return bytes;
    }

    /** Hex SHA-256 of every byte added so far. */
    String sha256Hex() {
        try {
            return HexFormat.of().formatHex(((MessageDigest) sha256.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }
}
