package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.MerkleHash.HASH_SIZE;
import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.util.List;

/**
 * Verification of RFC 9162 Merkle proofs, for clients that hold only hashes: the algorithms of
 * §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), and the recursive tree-head definition of
 * §2.1.1 for recomputing a root from all leaf hashes.
 *
 * <p>Verification never throws on a wrong or malformed proof (wrong sizes, hashes that are not
 * 32 bytes, null elements): it returns {@code false}. Only null arguments are rejected with a
 * {@link NullPointerException}. Hashes are compared in constant time. Thread-safe.
 */
public final class MerkleProofs {
    private static final byte[] EMPTY_ROOT = MerkleHash.emptyRoot();

    private MerkleProofs() {}

    /**
     * Whether {@code proof} shows that the leaf with hash {@code leafHash} is at {@code index} in
     * the tree of {@code treeSize} leaves whose root is {@code root} (RFC 9162 §2.1.3.2).
     */
    public static boolean verifyInclusion(long index, long treeSize, byte[] leafHash, List<byte[]> proof, byte[] root) {
        requireNonNull(leafHash, "leafHash is null");
        requireNonNull(proof, "proof is null");
        requireNonNull(root, "root is null");
        if (index < 0 || index >= treeSize || !isHash(leafHash) || !isHash(root)) {
            return false;
        }
        long fn = index;
        long sn = treeSize - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0 || !isHash(p)) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = MerkleHash.node(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = MerkleHash.node(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /**
     * Whether {@code proof} shows that the tree of {@code oldSize} leaves with root
     * {@code oldRoot} is a prefix of the tree of {@code newSize} leaves with root
     * {@code newRoot} (RFC 9162 §2.1.4.2).
     *
     * <p>The cases RFC 9162 leaves out are decided as follows: equal sizes verify with an empty
     * proof and equal roots; an old size of 0 verifies with an empty proof when {@code oldRoot} is
     * the empty tree's root; a new size below the old one never verifies.
     */
    public static boolean verifyConsistency(
            long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
        requireNonNull(oldRoot, "oldRoot is null");
        requireNonNull(newRoot, "newRoot is null");
        requireNonNull(proof, "proof is null");
        if (oldSize < 0 || newSize < oldSize || !isHash(oldRoot) || !isHash(newRoot)) {
            return false;
        }
        if (oldSize == newSize) {
            return proof.isEmpty() && MessageDigest.isEqual(oldRoot, newRoot);
        }
        if (oldSize == 0) {
            return proof.isEmpty() && MessageDigest.isEqual(oldRoot, EMPTY_ROOT);
        }
        if (proof.isEmpty()) {
            return false;
        }
        for (byte[] c : proof) {
            if (!isHash(c)) {
                return false;
            }
        }
        // Step 2: when the old tree is a complete subtree, its root is the first node of the path.
        boolean oldIsPowerOfTwo = Long.bitCount(oldSize) == 1;
        byte[] first = oldIsPowerOfTwo ? oldRoot : proof.getFirst();
        int next = oldIsPowerOfTwo ? 0 : 1;

        long fn = oldSize - 1;
        long sn = newSize - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = first;
        byte[] sr = first;
        for (int i = next; i < proof.size(); i++) {
            byte[] c = proof.get(i);
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = MerkleHash.node(c, fr);
                sr = MerkleHash.node(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = MerkleHash.node(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, oldRoot) && MessageDigest.isEqual(sr, newRoot);
    }

    /**
     * The tree head of the given leaf hashes by the recursive definition of RFC 9162 §2.1.1:
     * {@code MTH({}) = SHA-256()}, {@code MTH({d0}) = d0's leaf hash}, and
     * {@code MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))} with {@code k} the largest power of two
     * below {@code n}. Independent of {@link MerkleTree}: the reference for tests and for
     * recomputing an exported log. {@code n - 1} node hashes; recursion depth {@code log2 n}; the
     * list should offer fast random access.
     */
    public static byte[] naiveRoot(List<byte[]> leafHashes) {
        requireNonNull(leafHashes, "leafHashes is null");
        if (leafHashes.isEmpty()) {
            return MerkleHash.emptyRoot();
        }
        return mth(leafHashes, 0, leafHashes.size());
    }

    private static byte[] mth(List<byte[]> leafHashes, int start, int end) {
        int n = end - start;
        if (n == 1) {
            byte[] leafHash = leafHashes.get(start);
            if (leafHash == null) {
                throw new NullPointerException("leafHashes[" + start + "] is null");
            }
            return leafHash.clone();
        }
        int k = Integer.highestOneBit(n - 1);
        return MerkleHash.node(mth(leafHashes, start, start + k), mth(leafHashes, start + k, end));
    }

    private static boolean isHash(byte[] hash) {
        return hash != null && hash.length == HASH_SIZE;
    }
}
