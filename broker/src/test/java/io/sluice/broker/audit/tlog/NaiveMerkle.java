package io.sluice.broker.audit.tlog;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 9162 §2.1.3.1 and §2.1.4.1 proofs computed literally from their recursive definitions over
 * a list of leaf hashes, every subtree hash recomputed with {@link MerkleProofs#naiveRoot}: slow
 * and obviously right, the reference the stored tree is checked against.
 */
final class NaiveMerkle {
    private NaiveMerkle() {}

    /** PATH(m, D[n]). */
    static List<byte[]> path(int m, List<byte[]> d) {
        int n = d.size();
        if (n == 1) {
            return new ArrayList<>();
        }
        int k = largestPowerOfTwoBelow(n);
        List<byte[]> result;
        if (m < k) {
            result = path(m, d.subList(0, k));
            result.add(MerkleProofs.naiveRoot(d.subList(k, n)));
        } else {
            result = path(m - k, d.subList(k, n));
            result.add(MerkleProofs.naiveRoot(d.subList(0, k)));
        }
        return result;
    }

    /** PROOF(m, D[n]) for 0 < m < n. */
    static List<byte[]> consistency(int m, List<byte[]> d) {
        return subproof(m, d, true);
    }

    private static List<byte[]> subproof(int m, List<byte[]> d, boolean b) {
        int n = d.size();
        if (m == n) {
            List<byte[]> result = new ArrayList<>();
            if (!b) {
                result.add(MerkleProofs.naiveRoot(d));
            }
            return result;
        }
        int k = largestPowerOfTwoBelow(n);
        List<byte[]> result;
        if (m <= k) {
            result = subproof(m, d.subList(0, k), b);
            result.add(MerkleProofs.naiveRoot(d.subList(k, n)));
        } else {
            result = subproof(m - k, d.subList(k, n), false);
            result.add(MerkleProofs.naiveRoot(d.subList(0, k)));
        }
        return result;
    }

    private static int largestPowerOfTwoBelow(int n) {
        int k = 1;
        while (k << 1 < n) {
            k <<= 1;
        }
        return k;
    }
}
