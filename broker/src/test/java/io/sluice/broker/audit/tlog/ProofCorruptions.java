package io.sluice.broker.audit.tlog;

import java.util.ArrayList;
import java.util.List;

/**
 * Altered variants of a valid proof, each of which must be rejected: the corruptions of
 * transparency-dev/merkle proof/verify_test.go ({@code corruptInclusionProof},
 * {@code corruptConsistencyProof}) — wrong index or sizes, wrong roots, a flipped bit in each
 * hash, a hash dropped, added in front, added at the end or inserted.
 */
final class ProofCorruptions {
    static final byte[] SOME_HASH = Rfc6962Vectors.hex("abacaba000000000000000000000000000000000000000000060061e00123456");

    record InclusionProbe(String description, long index, long treeSize, byte[] leafHash, List<byte[]> proof, byte[] root) {
        boolean verifies() {
            return MerkleProofs.verifyInclusion(index, treeSize, leafHash, proof, root);
        }
    }

    record ConsistencyProbe(String description, long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
        boolean verifies() {
            return MerkleProofs.verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof);
        }
    }

    private ProofCorruptions() {}

    static List<InclusionProbe> inclusion(long index, long treeSize, byte[] leafHash, List<byte[]> proof, byte[] root) {
        List<InclusionProbe> probes = new ArrayList<>();
        probes.add(new InclusionProbe("index - 1", index - 1, treeSize, leafHash, proof, root));
        probes.add(new InclusionProbe("index + 1", index + 1, treeSize, leafHash, proof, root));
        probes.add(new InclusionProbe("index ^ 2", index ^ 2, treeSize, leafHash, proof, root));
        probes.add(new InclusionProbe("treeSize * 2", index, treeSize * 2, leafHash, proof, root));
        probes.add(new InclusionProbe("treeSize / 2", index, treeSize / 2, leafHash, proof, root));
        probes.add(new InclusionProbe("wrong leaf", index, treeSize, MerkleHash.leaf(new byte[] {1}), proof, root));
        probes.add(new InclusionProbe("flipped bit in leaf", index, treeSize, flip(leafHash, 31), proof, root));
        probes.add(new InclusionProbe("empty root", index, treeSize, leafHash, proof, MerkleHash.emptyRoot()));
        probes.add(new InclusionProbe("random root", index, treeSize, leafHash, proof, SOME_HASH));
        probes.add(new InclusionProbe("flipped bit in root", index, treeSize, leafHash, proof, flip(root, 0)));
        probes.add(new InclusionProbe("trailing empty", index, treeSize, leafHash, append(proof, new byte[0]), root));
        probes.add(new InclusionProbe("trailing root", index, treeSize, leafHash, append(proof, root), root));
        probes.add(new InclusionProbe("trailing hash", index, treeSize, leafHash, append(proof, SOME_HASH), root));
        probes.add(new InclusionProbe("preceding empty", index, treeSize, leafHash, prepend(proof, new byte[0]), root));
        probes.add(new InclusionProbe("preceding root", index, treeSize, leafHash, prepend(proof, root), root));
        for (int i = 0; i < proof.size(); i++) {
            probes.add(new InclusionProbe("flipped bit in proof[" + i + "]", index, treeSize, leafHash, flipAt(proof, i), root));
        }
        if (!proof.isEmpty()) {
            probes.add(new InclusionProbe("last hash dropped", index, treeSize, leafHash, proof.subList(0, proof.size() - 1), root));
            probes.add(new InclusionProbe("first hash dropped", index, treeSize, leafHash, proof.subList(1, proof.size()), root));
        }
        if (proof.size() > 1) {
            probes.add(new InclusionProbe("hash inserted", index, treeSize, leafHash, insert(proof, 1, SOME_HASH), root));
        }
        return probes;
    }

    static List<ConsistencyProbe> consistency(long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
        List<ConsistencyProbe> probes = new ArrayList<>();
        probes.add(new ConsistencyProbe("oldSize - 1", oldSize - 1, newSize, oldRoot, newRoot, proof));
        probes.add(new ConsistencyProbe("oldSize + 1", oldSize + 1, newSize, oldRoot, newRoot, proof));
        probes.add(new ConsistencyProbe("oldSize ^ 2", oldSize ^ 2, newSize, oldRoot, newRoot, proof));
        probes.add(new ConsistencyProbe("newSize * 2", oldSize, newSize * 2, oldRoot, newRoot, proof));
        probes.add(new ConsistencyProbe("newSize / 2", oldSize, newSize / 2, oldRoot, newRoot, proof));
        probes.add(new ConsistencyProbe("wrong old root", oldSize, newSize, SOME_HASH, newRoot, proof));
        probes.add(new ConsistencyProbe("wrong new root", oldSize, newSize, oldRoot, SOME_HASH, proof));
        probes.add(new ConsistencyProbe("flipped bit in old root", oldSize, newSize, flip(oldRoot, 7), newRoot, proof));
        probes.add(new ConsistencyProbe("flipped bit in new root", oldSize, newSize, oldRoot, flip(newRoot, 7), proof));
        probes.add(new ConsistencyProbe("swapped roots", oldSize, newSize, newRoot, oldRoot, proof));
        probes.add(new ConsistencyProbe("empty proof", oldSize, newSize, oldRoot, newRoot, List.of()));
        probes.add(new ConsistencyProbe("trailing empty", oldSize, newSize, oldRoot, newRoot, append(proof, new byte[0])));
        probes.add(new ConsistencyProbe("trailing old root", oldSize, newSize, oldRoot, newRoot, append(proof, oldRoot)));
        probes.add(new ConsistencyProbe("trailing new root", oldSize, newSize, oldRoot, newRoot, append(proof, newRoot)));
        probes.add(new ConsistencyProbe("preceding empty", oldSize, newSize, oldRoot, newRoot, prepend(proof, new byte[0])));
        probes.add(new ConsistencyProbe("preceding old root", oldSize, newSize, oldRoot, newRoot, prepend(proof, oldRoot)));
        probes.add(new ConsistencyProbe("preceding new root", oldSize, newSize, oldRoot, newRoot, prepend(proof, newRoot)));
        if (!proof.isEmpty()) {
            probes.add(new ConsistencyProbe("preceding proof[0]", oldSize, newSize, oldRoot, newRoot, prepend(proof, proof.getFirst())));
            probes.add(new ConsistencyProbe("last hash dropped", oldSize, newSize, oldRoot, newRoot, proof.subList(0, proof.size() - 1)));
            probes.add(new ConsistencyProbe("first hash dropped", oldSize, newSize, oldRoot, newRoot, proof.subList(1, proof.size())));
        }
        if (proof.size() > 1) {
            probes.add(new ConsistencyProbe("hash inserted", oldSize, newSize, oldRoot, newRoot, insert(proof, 1, SOME_HASH)));
        }
        for (int i = 0; i < proof.size(); i++) {
            probes.add(new ConsistencyProbe("flipped bit in proof[" + i + "]", oldSize, newSize, oldRoot, newRoot, flipAt(proof, i)));
        }
        return probes;
    }

    static byte[] flip(byte[] hash, int byteIndex) {
        byte[] copy = hash.clone();
        copy[byteIndex] ^= 0x10;
        return copy;
    }

    private static List<byte[]> flipAt(List<byte[]> proof, int i) {
        List<byte[]> copy = new ArrayList<>(proof);
        copy.set(i, flip(proof.get(i), 0));
        return copy;
    }

    private static List<byte[]> append(List<byte[]> proof, byte[] hash) {
        List<byte[]> copy = new ArrayList<>(proof);
        copy.add(hash);
        return copy;
    }

    private static List<byte[]> prepend(List<byte[]> proof, byte[] hash) {
        return insert(proof, 0, hash);
    }

    private static List<byte[]> insert(List<byte[]> proof, int at, byte[] hash) {
        List<byte[]> copy = new ArrayList<>(proof);
        copy.add(at, hash);
        return copy;
    }
}
