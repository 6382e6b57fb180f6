package io.sluice.policy.enforce;

import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.util.MemoryUtil;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Computes pseudonyms: lower-case hex of HMAC-SHA256(key, canonical bytes). The canonical bytes of
 * an integer (any width) are {@code 0x01} then the value as 8 bytes big-endian; of a string,
 * {@code 0x02} then its UTF-8 bytes; of binary (variable or fixed size), {@code 0x03} then its
 * bytes; the tags keep the integer 49, the string "1" and the byte 0x31 apart. Not
 * thread-safe (one MAC and scratch buffers); one per pipeline.
 */
final class Pseudonymiser {
    static final int WIDTH = 64;
    private static final byte INTEGER_TAG = 0x01;
    private static final byte STRING_TAG = 0x02;
    private static final byte BINARY_TAG = 0x03;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final HMac mac = new HMac(new SHA256Digest());
    private final byte[] digest = new byte[32];
    private final byte[] hex = new byte[WIDTH];
    private final byte[] integer = new byte[9];
    private byte[] scratch = new byte[64];

    Pseudonymiser(PseudonymKey key) {
        mac.init(new KeyParameter(key.keyBytes()));
        integer[0] = INTEGER_TAG;
    }

    /** Writes the 64 hex bytes of an integer id's pseudonym at {@code address}. */
    void writeInteger(long id, long address) {
        for (int i = 0; i < 8; i++) {
            integer[1 + i] = (byte) (id >>> (56 - 8 * i));
        }
        mac.update(integer, 0, integer.length);
        finish(address);
    }

    /** Writes the 64 hex bytes of the pseudonym of the UTF-8 string at {@code from} ({@code length} bytes). */
    void writeString(long from, int length, long address) {
        writeTagged(STRING_TAG, from, length, address);
    }

    /** Writes the 64 hex bytes of the pseudonym of the {@code length} bytes at {@code from}. */
    void writeBinary(long from, int length, long address) {
        writeTagged(BINARY_TAG, from, length, address);
    }

    private void writeTagged(byte tag, long from, int length, long address) {
        if (scratch.length < length + 1) {
            scratch = new byte[Math.max(length + 1, scratch.length * 2)];
        }
        scratch[0] = tag;
        MemoryUtil.copyFromMemory(from, scratch, 1, length);
        mac.update(scratch, 0, length + 1);
        finish(address);
    }

    private void finish(long address) {
        mac.doFinal(digest, 0); // also resets the MAC to its keyed initial state
        for (int i = 0; i < 32; i++) {
            int b = digest[i] & 0xFF;
            hex[2 * i] = HEX[b >>> 4];
            hex[2 * i + 1] = HEX[b & 0x0F];
        }
        MemoryUtil.copyToMemory(hex, 0, address, WIDTH);
    }

    String pseudonym(long id) {
        for (int i = 0; i < 8; i++) {
            integer[1 + i] = (byte) (id >>> (56 - 8 * i));
        }
        mac.update(integer, 0, integer.length);
        return hexString();
    }

    String pseudonym(String id) {
        byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
        mac.update(STRING_TAG);
        mac.update(bytes, 0, bytes.length);
        return hexString();
    }

    private String hexString() {
        mac.doFinal(digest, 0);
        StringBuilder text = new StringBuilder(WIDTH);
        for (byte b : digest) {
            text.append((char) HEX[(b & 0xFF) >>> 4]).append((char) HEX[b & 0x0F]);
        }
        return text.toString();
    }
}
