package io.sluice.broker.audit.tlog;

import static java.util.Objects.requireNonNull;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The two hash functions of an RFC 9162 Merkle tree (§2.1, "Definitions"): SHA-256 with domain
 * separation between leaves ({@code 0x00} prefix) and interior nodes ({@code 0x01} prefix), so
 * that no leaf can be passed off as a node (second-preimage resistance).
 *
 * <p>Every method is thread-safe and returns a fresh 32-byte array that the caller owns.
 */
public final class MerkleHash {
    /** Size in bytes of every hash in the tree (SHA-256). */
    public static final int HASH_SIZE = 32;

    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;
    private static final byte[] EMPTY_ROOT = newDigest().digest();

    // One digest per thread: MessageDigest is not thread-safe and getInstance costs a provider
    // lookup. Under virtual threads this degrades to one instance per thread, as getInstance would.
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(MerkleHash::newDigest);

    private MerkleHash() {}

    /** The hash of a log entry: {@code SHA-256(0x00 || entry)}. */
    public static byte[] leaf(byte[] entry) {
        requireNonNull(entry, "entry is null");
        MessageDigest digest = SHA_256.get();
        digest.update(LEAF_PREFIX);
        digest.update(entry);
        return digest.digest();
    }

    /**
     * The hash of an interior node: {@code SHA-256(0x01 || left || right)}. The inputs are
     * normally 32-byte hashes, but any length is hashed as given (the RFC's definition).
     */
    public static byte[] node(byte[] left, byte[] right) {
        requireNonNull(left, "left is null");
        requireNonNull(right, "right is null");
        MessageDigest digest = SHA_256.get();
        digest.update(NODE_PREFIX);
        digest.update(left);
        digest.update(right);
        return digest.digest();
    }

    /** The root of the empty tree: {@code SHA-256("")}, RFC 9162 §2.1.1. */
    public static byte[] emptyRoot() {
        return EMPTY_ROOT.clone();
    }

    /**
     * Allocation-free variant of {@link #node(byte[], byte[])} for the tree's own storage: hashes
     * the 32-byte hashes at {@code left[leftOffset]} and {@code right[rightOffset]} into
     * {@code out[outOffset]}.
     */
    static void node(byte[] left, int leftOffset, byte[] right, int rightOffset, byte[] out, int outOffset) {
        MessageDigest digest = SHA_256.get();
        digest.update(NODE_PREFIX);
        digest.update(left, leftOffset, HASH_SIZE);
        digest.update(right, rightOffset, HASH_SIZE);
        try {
            digest.digest(out, outOffset, HASH_SIZE);
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 digest failed", e);
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
