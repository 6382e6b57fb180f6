package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.MerkleHash.HASH_SIZE;
import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An append-only RFC 9162 Merkle tree held in memory, which computes tree heads (§2.1.1),
 * inclusion proofs (§2.1.3.1) and consistency proofs (§2.1.4.1) for the whole tree or for any
 * earlier size of it.
 *
 * <p><b>Storage.</b> The tree keeps the leaf hashes and the hash of every complete, aligned
 * subtree: level {@code l} holds, for each {@code i}, the hash of leaves
 * {@code [i * 2^l, (i + 1) * 2^l)} once all of them are present. That is about {@code 2n}
 * hashes (64 bytes a leaf) in chunks of 256 hashes, never copied. An append hashes amortised
 * one node (at most {@code log2 n}); a root or a proof reads {@code O(log n)} stored hashes and
 * hashes at most {@code O(log n)} nodes for the right edge of a tree whose size is not a power
 * of two.
 *
 * <p><b>Threading.</b> Appends are serialised on the tree's monitor, so one writer (or several)
 * may append while any number of readers call the other methods without locking. A reader sees
 * a prefix of the appends: the size it reads is published only after every hash of that prefix
 * is written, and everything a reader computes refers to sizes up to the one it checked.
 *
 * <p><b>Ownership.</b> Arrays passed in are copied; arrays returned are fresh and owned by the
 * caller.
 */
public final class MerkleTree {
    private static final int CHUNK_BITS = 8;
    private static final int CHUNK_HASHES = 1 << CHUNK_BITS;
    private static final int CHUNK_MASK = CHUNK_HASHES - 1;
    private static final int MAX_LEVELS = 64;

    private final Level[] levels = new Level[MAX_LEVELS];
    private volatile long size;

    /** An empty tree. */
    public MerkleTree() {
        for (int i = 0; i < MAX_LEVELS; i++) {
            levels[i] = new Level();
        }
    }

    /**
     * Appends one leaf, given as its leaf hash ({@link MerkleHash#leaf(byte[])} of the entry).
     *
     * @throws IllegalArgumentException if {@code leafHash} is not 32 bytes long
     */
    public synchronized void append(byte[] leafHash) {
        requireNonNull(leafHash, "leafHash is null");
        if (leafHash.length != HASH_SIZE) {
            throw new IllegalArgumentException("leafHash must be " + HASH_SIZE + " bytes, was " + leafHash.length);
        }
        long index = size;
        if (index == Long.MAX_VALUE) {
            throw new IllegalStateException("tree is full at " + index + " leaves");
        }
        Level leaves = levels[0];
        leaves.ensure(index);
        System.arraycopy(leafHash, 0, leaves.chunk(index), offset(index), HASH_SIZE);

        // Each odd index completes a subtree with its left sibling: hash it one level up.
        int level = 0;
        while ((index & 1) == 1) {
            Level children = levels[level];
            Level parents = levels[level + 1];
            long parent = index >>> 1;
            parents.ensure(parent);
            MerkleHash.node(
                    children.chunk(index - 1), offset(index - 1),
                    children.chunk(index), offset(index),
                    parents.chunk(parent), offset(parent));
            index = parent;
            level++;
        }
        size = size + 1; // publishes every hash written above
    }

    /** The number of leaves appended so far. */
    public long size() {
        return size;
    }

    /** The root of the whole tree as it is now: {@code MTH(D[0:size()])}. */
    public byte[] root() {
        return root(size);
    }

    /**
     * The root of the tree made of the first {@code treeSize} leaves, RFC 9162 §2.1.1 (the
     * empty tree's root for size 0).
     *
     * @throws IllegalArgumentException unless {@code 0 <= treeSize <= size()}
     */
    public byte[] root(long treeSize) {
        checkSize("treeSize", treeSize);
        return treeSize == 0 ? MerkleHash.emptyRoot() : subtreeHash(0, treeSize);
    }

    /**
     * The leaf hash at {@code index}.
     *
     * @throws IllegalArgumentException unless {@code 0 <= index < size()}
     */
    public byte[] leafHash(long index) {
        long n = size;
        if (index < 0 || index >= n) {
            throw new IllegalArgumentException("index must be in [0, " + n + "), was " + index);
        }
        return stored(0, index);
    }

    /**
     * The audit path of leaf {@code index} in the tree of the first {@code treeSize} leaves,
     * RFC 9162 §2.1.3.1 ({@code PATH(m, D[n])}), nearest sibling first. Empty for a one-leaf
     * tree. Verify it with {@link MerkleProofs#verifyInclusion}.
     *
     * @throws IllegalArgumentException unless {@code 0 <= index < treeSize <= size()}
     */
    public List<byte[]> inclusionProof(long index, long treeSize) {
        checkSize("treeSize", treeSize);
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("index must be in [0, treeSize=" + treeSize + "), was " + index);
        }
        List<byte[]> proof = new ArrayList<>(64);
        path(index, 0, treeSize, proof);
        return List.copyOf(proof);
    }

    /**
     * The proof that the tree of the first {@code oldSize} leaves is a prefix of the tree of the
     * first {@code newSize} leaves, RFC 9162 §2.1.4.1 ({@code PROOF(m, D[n])}). Empty when
     * {@code oldSize} is 0 or equal to {@code newSize} (nothing to prove: RFC 9162 defines the
     * proof for {@code 0 < m < n} only). Verify it with {@link MerkleProofs#verifyConsistency}.
     *
     * @throws IllegalArgumentException unless {@code 0 <= oldSize <= newSize <= size()}
     */
    public List<byte[]> consistencyProof(long oldSize, long newSize) {
        checkSize("newSize", newSize);
        if (oldSize < 0 || oldSize > newSize) {
            throw new IllegalArgumentException("oldSize must be in [0, newSize=" + newSize + "], was " + oldSize);
        }
        if (oldSize == 0 || oldSize == newSize) {
            return List.of();
        }
        List<byte[]> proof = new ArrayList<>(64);
        subproof(oldSize, 0, newSize, true, proof);
        return List.copyOf(proof);
    }

    // PATH(m, D[start:end]): the recursion of RFC 9162 §2.1.3.1 on a window of the leaves.
    private void path(long m, long start, long end, List<byte[]> proof) {
        long n = end - start;
        if (n == 1) {
            return;
        }
        long k = Long.highestOneBit(n - 1); // largest power of two < n
        if (m < k) {
            path(m, start, start + k, proof);
            proof.add(subtreeHash(start + k, end));
        } else {
            path(m - k, start + k, end, proof);
            proof.add(subtreeHash(start, start + k));
        }
    }

    // SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1.
    private void subproof(long m, long start, long end, boolean wholeOldTree, List<byte[]> proof) {
        long n = end - start;
        if (m == n) {
            if (!wholeOldTree) {
                proof.add(subtreeHash(start, end));
            }
            return;
        }
        long k = Long.highestOneBit(n - 1);
        if (m <= k) {
            subproof(m, start, start + k, wholeOldTree, proof);
            proof.add(subtreeHash(start + k, end));
        } else {
            subproof(m - k, start + k, end, false, proof);
            proof.add(subtreeHash(start, start + k));
        }
    }

    /**
     * MTH(D[start:end]) for a non-empty window that the RFC recursion produces: {@code start} is
     * a multiple of a power of two at least {@code end - start}, so each power-of-two part is a
     * stored, aligned subtree.
     */
    private byte[] subtreeHash(long start, long end) {
        long n = end - start;
        long k = Long.highestOneBit(n);
        if (k == n) {
            int level = Long.numberOfTrailingZeros(n);
            return stored(level, start >>> level);
        }
        return MerkleHash.node(subtreeHash(start, start + k), subtreeHash(start + k, end));
    }

    private byte[] stored(int level, long index) {
        return Arrays.copyOfRange(levels[level].chunk(index), offset(index), offset(index) + HASH_SIZE);
    }

    private void checkSize(String name, long treeSize) {
        long n = size;
        if (treeSize < 0 || treeSize > n) {
            throw new IllegalArgumentException(name + " must be in [0, size=" + n + "], was " + treeSize);
        }
    }

    private static int offset(long index) {
        return (int) (index & CHUNK_MASK) * HASH_SIZE;
    }

    /** The hashes of one level, in chunks of {@link #CHUNK_HASHES}; only the writer adds chunks. */
    private static final class Level {
        // Volatile so that a reader who follows a newer directory also sees the chunk references
        // copied into it; chunk contents are published by the tree's volatile size.
        private volatile byte[][] chunks = new byte[0][];
        private int chunkCount;

        byte[] chunk(long index) {
            return chunks[(int) (index >>> CHUNK_BITS)];
        }

        /** Makes room for the hash at {@code index}; called by the writer only. */
        void ensure(long index) {
            long needed = (index >>> CHUNK_BITS) + 1;
            if (needed <= chunkCount) {
                return;
            }
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("tree level is full at index " + index);
            }
            byte[][] current = chunks;
            int capacity = (int) Math.max(needed, Math.min(Integer.MAX_VALUE - 8L, 2L * current.length));
            byte[][] next = current.length >= needed ? current : Arrays.copyOf(current, capacity);
            next[chunkCount] = new byte[CHUNK_HASHES * HASH_SIZE];
            chunkCount++;
            chunks = next;
        }
    }
}
