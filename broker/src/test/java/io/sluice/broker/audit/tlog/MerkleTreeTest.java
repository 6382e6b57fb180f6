package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.Rfc6962Vectors.CONSISTENCY_PROOFS;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.EMPTY_ROOT;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.INCLUSION_PROOFS;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.LEAVES;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.ROOTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MerkleTreeTest {

    private static MerkleTree vectorTree() {
        MerkleTree tree = new MerkleTree();
        for (byte[] leaf : LEAVES) {
            tree.append(MerkleHash.leaf(leaf));
        }
        return tree;
    }

    @Test
    void emptyTreeHasTheEmptyRoot() {
        MerkleTree tree = new MerkleTree();

        assertThat(tree.size()).isZero();
        assertThat(tree.root()).isEqualTo(EMPTY_ROOT);
        assertThat(vectorTree().root(0)).isEqualTo(EMPTY_ROOT);
    }

    @Test
    void rootsOfEveryPrefixMatchThePublishedVectors() {
        MerkleTree tree = vectorTree();
        for (int size = 1; size <= 8; size++) {
            assertThat(tree.root(size)).as("root(%d)", size).isEqualTo(ROOTS.get(size - 1));
        }
        assertThat(tree.root()).isEqualTo(ROOTS.get(7));
    }

    @Test
    void rootGrowsAsLeavesAreAppended() {
        MerkleTree tree = new MerkleTree();
        for (int size = 1; size <= 8; size++) {
            tree.append(MerkleHash.leaf(LEAVES.get(size - 1)));
            assertThat(tree.size()).isEqualTo(size);
            assertThat(tree.root()).as("root after %d appends", size).isEqualTo(ROOTS.get(size - 1));
        }
    }

    @Test
    void inclusionProofsMatchThePublishedVectorsAndVerify() {
        MerkleTree tree = vectorTree();
        for (Rfc6962Vectors.Inclusion vector : INCLUSION_PROOFS) {
            List<byte[]> proof = tree.inclusionProof(vector.index(), vector.treeSize());

            assertThat(proof).as("proof of %d in %d", vector.index(), vector.treeSize())
                    .usingElementComparator(java.util.Arrays::compare)
                    .containsExactlyElementsOf(vector.proof());
            byte[] leafHash = MerkleHash.leaf(LEAVES.get((int) vector.index()));
            byte[] root = ROOTS.get((int) vector.treeSize() - 1);
            assertThat(MerkleProofs.verifyInclusion(vector.index(), vector.treeSize(), leafHash, proof, root)).isTrue();
            for (ProofCorruptions.InclusionProbe probe : ProofCorruptions.inclusion(vector.index(), vector.treeSize(), leafHash, proof, root)) {
                assertThat(probe.verifies()).as("%s of proof of %d in %d", probe.description(), vector.index(), vector.treeSize()).isFalse();
            }
        }
    }

    @Test
    void consistencyProofsMatchThePublishedVectorsAndVerify() {
        MerkleTree tree = vectorTree();
        for (Rfc6962Vectors.Consistency vector : CONSISTENCY_PROOFS) {
            List<byte[]> proof = tree.consistencyProof(vector.oldSize(), vector.newSize());

            assertThat(proof).as("proof %d -> %d", vector.oldSize(), vector.newSize())
                    .usingElementComparator(java.util.Arrays::compare)
                    .containsExactlyElementsOf(vector.proof());
            byte[] oldRoot = ROOTS.get((int) vector.oldSize() - 1);
            byte[] newRoot = ROOTS.get((int) vector.newSize() - 1);
            assertThat(MerkleProofs.verifyConsistency(vector.oldSize(), vector.newSize(), oldRoot, newRoot, proof)).isTrue();
            if (proof.isEmpty()) {
                continue;
            }
            for (ProofCorruptions.ConsistencyProbe probe : ProofCorruptions.consistency(vector.oldSize(), vector.newSize(), oldRoot, newRoot, proof)) {
                assertThat(probe.verifies()).as("%s of proof %d -> %d", probe.description(), vector.oldSize(), vector.newSize()).isFalse();
            }
        }
    }

    @Test
    void everyProofOfTheVectorTreeVerifies() {
        MerkleTree tree = vectorTree();
        for (int size = 1; size <= 8; size++) {
            for (int index = 0; index < size; index++) {
                assertThat(MerkleProofs.verifyInclusion(index, size, tree.leafHash(index), tree.inclusionProof(index, size), ROOTS.get(size - 1)))
                        .as("inclusion of %d in %d", index, size).isTrue();
            }
            for (int old = 0; old <= size; old++) {
                byte[] oldRoot = old == 0 ? EMPTY_ROOT : ROOTS.get(old - 1);
                assertThat(MerkleProofs.verifyConsistency(old, size, oldRoot, ROOTS.get(size - 1), tree.consistencyProof(old, size)))
                        .as("consistency %d -> %d", old, size).isTrue();
            }
        }
    }

    @Test
    void randomTreesAgreeWithTheNaiveDefinitions() {
        Random random = new Random(20_240_917L);
        int maxSize = 300;
        List<byte[]> leafHashes = new ArrayList<>();
        MerkleTree tree = new MerkleTree();
        for (int i = 0; i < maxSize; i++) {
            byte[] entry = new byte[random.nextInt(40)];
            random.nextBytes(entry);
            leafHashes.add(MerkleHash.leaf(entry));
            tree.append(leafHashes.getLast());
        }

        byte[][] roots = new byte[maxSize + 1][];
        for (int size = 0; size <= maxSize; size++) {
            roots[size] = MerkleProofs.naiveRoot(leafHashes.subList(0, size));
            assertThat(tree.root(size)).as("root(%d)", size).isEqualTo(roots[size]);
        }
        for (int index = 0; index < maxSize; index++) {
            assertThat(tree.leafHash(index)).isEqualTo(leafHashes.get(index));
        }

        // Every (index, size) up to 40 leaves, then random pairs up to 300.
        List<long[]> inclusionCases = new ArrayList<>();
        for (int size = 1; size <= 40; size++) {
            for (int index = 0; index < size; index++) {
                inclusionCases.add(new long[] {index, size});
            }
        }
        for (int i = 0; i < 400; i++) {
            int size = 1 + random.nextInt(maxSize);
            inclusionCases.add(new long[] {random.nextInt(size), size});
        }
        int corrupted = 0;
        for (long[] c : inclusionCases) {
            int index = (int) c[0];
            int size = (int) c[1];
            List<byte[]> proof = tree.inclusionProof(index, size);
            assertThat(proof).as("proof of %d in %d", index, size)
                    .usingElementComparator(java.util.Arrays::compare)
                    .containsExactlyElementsOf(NaiveMerkle.path(index, leafHashes.subList(0, size)));
            assertThat(MerkleProofs.verifyInclusion(index, size, leafHashes.get(index), proof, roots[size]))
                    .as("verify %d in %d", index, size).isTrue();
            if (random.nextInt(4) == 0) {
                corrupted++;
                for (ProofCorruptions.InclusionProbe probe : ProofCorruptions.inclusion(index, size, leafHashes.get(index), proof, roots[size])) {
                    assertThat(probe.verifies()).as("%s of proof of %d in %d", probe.description(), index, size).isFalse();
                }
            }
        }

        List<long[]> consistencyCases = new ArrayList<>();
        for (int size = 1; size <= 40; size++) {
            for (int old = 0; old <= size; old++) {
                consistencyCases.add(new long[] {old, size});
            }
        }
        for (int i = 0; i < 400; i++) {
            int size = 1 + random.nextInt(maxSize);
            consistencyCases.add(new long[] {random.nextInt(size + 1), size});
        }
        for (long[] c : consistencyCases) {
            int old = (int) c[0];
            int size = (int) c[1];
            List<byte[]> proof = tree.consistencyProof(old, size);
            List<byte[]> expected = old == 0 || old == size ? List.of() : NaiveMerkle.consistency(old, leafHashes.subList(0, size));
            assertThat(proof).as("proof %d -> %d", old, size)
                    .usingElementComparator(java.util.Arrays::compare)
                    .containsExactlyElementsOf(expected);
            assertThat(MerkleProofs.verifyConsistency(old, size, roots[old], roots[size], proof))
                    .as("verify %d -> %d", old, size).isTrue();
            if (!proof.isEmpty() && random.nextInt(4) == 0) {
                corrupted++;
                for (ProofCorruptions.ConsistencyProbe probe : ProofCorruptions.consistency(old, size, roots[old], roots[size], proof)) {
                    assertThat(probe.verifies()).as("%s of proof %d -> %d", probe.description(), old, size).isFalse();
                }
            }
        }
        assertThat(corrupted).isGreaterThan(300);
    }

    @Test
    void hashesReturnedAreCopies() {
        MerkleTree tree = vectorTree();
        tree.root()[0] ^= 1;
        tree.leafHash(3)[0] ^= 1;
        tree.inclusionProof(2, 8).getFirst()[0] ^= 1;

        assertThat(tree.root()).isEqualTo(ROOTS.get(7));
        assertThat(tree.leafHash(3)).isEqualTo(MerkleHash.leaf(LEAVES.get(3)));
        assertThat(MerkleProofs.verifyInclusion(2, 8, tree.leafHash(2), tree.inclusionProof(2, 8), ROOTS.get(7))).isTrue();
    }

    @Test
    void appendCopiesTheLeafHash() {
        MerkleTree tree = new MerkleTree();
        byte[] leafHash = MerkleHash.leaf(LEAVES.getFirst());
        tree.append(leafHash);
        leafHash[0] ^= 1;

        assertThat(tree.root()).isEqualTo(ROOTS.getFirst());
    }

    @Test
    void rejectsArgumentsOutsideTheTree() {
        MerkleTree tree = vectorTree();

        assertThatThrownBy(() -> tree.append(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("leafHash must be 32 bytes, was 31");
        assertThatThrownBy(() -> tree.root(9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("treeSize must be in [0, size=8], was 9");
        assertThatThrownBy(() -> tree.root(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("treeSize must be in [0, size=8], was -1");
        assertThatThrownBy(() -> tree.leafHash(8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("index must be in [0, 8), was 8");
        assertThatThrownBy(() -> tree.inclusionProof(5, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("index must be in [0, treeSize=5), was 5");
        assertThatThrownBy(() -> tree.inclusionProof(0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("index must be in [0, treeSize=0), was 0");
        assertThatThrownBy(() -> tree.inclusionProof(0, 9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("treeSize must be in [0, size=8], was 9");
        assertThatThrownBy(() -> tree.consistencyProof(6, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("oldSize must be in [0, newSize=5], was 6");
        assertThatThrownBy(() -> tree.consistencyProof(2, 9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("newSize must be in [0, size=8], was 9");
    }

    @Test
    void readersSeeConsistentPrefixesWhileOneWriterAppends() throws InterruptedException {
        int leaves = 3_000; // spans several storage chunks on the lower levels
        List<byte[]> leafHashes = new ArrayList<>(leaves);
        for (int i = 0; i < leaves; i++) {
            leafHashes.add(MerkleHash.leaf(Integer.toString(i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        MerkleTree tree = new MerkleTree();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                long seen = 0;
                while (seen < leaves) {
                    long size = tree.size();
                    if (size > 0) {
                        byte[] root = tree.root(size);
                        long index = size / 2;
                        if (!MerkleProofs.verifyInclusion(index, size, leafHashes.get((int) index), tree.inclusionProof(index, size), root)) {
                            throw new AssertionError("inclusion of " + index + " in " + size + " failed to verify");
                        }
                        if (seen > 0 && !MerkleProofs.verifyConsistency(seen, size, tree.root(seen), root, tree.consistencyProof(seen, size))) {
                            throw new AssertionError("consistency " + seen + " -> " + size + " failed to verify");
                        }
                    }
                    seen = size;
                    Thread.onSpinWait();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        for (byte[] leafHash : leafHashes) {
            tree.append(leafHash);
        }
        reader.join(30_000);

        assertThat(reader.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
        assertThat(tree.root()).isEqualTo(MerkleProofs.naiveRoot(leafHashes));
    }
}
