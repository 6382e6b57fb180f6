package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.ProofCorruptions.SOME_HASH;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.EMPTY_ROOT;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.LEAVES;
import static io.sluice.broker.audit.tlog.Rfc6962Vectors.ROOTS;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Edge cases after transparency-dev/merkle proof/verify_test.go (TestVerifyInclusion*, TestVerifyConsistency). */
class MerkleProofsTest {
    private static final byte[] NOT_A_HASH = new byte[0];

    @Test
    void singleLeafTreeVerifiesWithAnEmptyProof() {
        byte[] hash = MerkleHash.leaf("data".getBytes(StandardCharsets.US_ASCII));

        assertThat(MerkleProofs.verifyInclusion(0, 1, hash, List.of(), hash)).isTrue();
        assertThat(MerkleProofs.verifyInclusion(0, 1, hash, List.of(), NOT_A_HASH)).isFalse();
        assertThat(MerkleProofs.verifyInclusion(0, 1, NOT_A_HASH, List.of(), hash)).isFalse();
        assertThat(MerkleProofs.verifyInclusion(0, 1, NOT_A_HASH, List.of(), NOT_A_HASH)).isFalse();
    }

    @Test
    void inclusionRejectsIndexOutsideTheTree() {
        for (long[] probe : new long[][] {{0, 0}, {1, 0}, {2, 1}, {-1, 1}, {0, -1}}) {
            assertThat(MerkleProofs.verifyInclusion(probe[0], probe[1], SOME_HASH, List.of(), SOME_HASH))
                    .as("index %d in %d", probe[0], probe[1]).isFalse();
        }
        assertThat(MerkleProofs.verifyInclusion(0, 1, SOME_HASH, List.of(), EMPTY_ROOT)).isFalse();
    }

    @Test
    void inclusionRejectsNullOrShortProofElements() {
        MerkleTree tree = new MerkleTree();
        LEAVES.forEach(leaf -> tree.append(MerkleHash.leaf(leaf)));
        List<byte[]> withNull = new ArrayList<>(tree.inclusionProof(3, 8));
        withNull.set(1, null);
        List<byte[]> withShort = new ArrayList<>(tree.inclusionProof(3, 8));
        withShort.set(1, Arrays.copyOf(withShort.get(1), 31));

        assertThat(MerkleProofs.verifyInclusion(3, 8, tree.leafHash(3), withNull, ROOTS.get(7))).isFalse();
        assertThat(MerkleProofs.verifyInclusion(3, 8, tree.leafHash(3), withShort, ROOTS.get(7))).isFalse();
    }

    @Test
    void consistencyOfEqualSizesNeedsEqualRootsAndAnEmptyProof() {
        byte[] root1 = ROOTS.get(0);
        byte[] root2 = ROOTS.get(1);

        assertThat(MerkleProofs.verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, List.of())).isTrue();
        assertThat(MerkleProofs.verifyConsistency(1, 1, root2, root2, List.of())).isTrue();
        assertThat(MerkleProofs.verifyConsistency(1, 1, root1, root2, List.of())).isFalse();
        assertThat(MerkleProofs.verifyConsistency(0, 0, EMPTY_ROOT, root2, List.of())).isFalse();
        assertThat(MerkleProofs.verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, List.of(EMPTY_ROOT))).isFalse();
        assertThat(MerkleProofs.verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, List.of(EMPTY_ROOT))).isFalse();
    }

    @Test
    void theEmptyTreeIsConsistentWithEveryTree() {
        assertThat(MerkleProofs.verifyConsistency(0, 1, EMPTY_ROOT, ROOTS.get(0), List.of())).isTrue();
        assertThat(MerkleProofs.verifyConsistency(0, 8, EMPTY_ROOT, ROOTS.get(7), List.of())).isTrue();
        assertThat(MerkleProofs.verifyConsistency(0, 1, EMPTY_ROOT, ROOTS.get(0), List.of(EMPTY_ROOT))).isFalse();
        assertThat(MerkleProofs.verifyConsistency(0, 1, SOME_HASH, ROOTS.get(0), List.of()))
                .as("a size-0 checkpoint must carry the empty root").isFalse();
    }

    @Test
    void consistencyRejectsTimeTravelAndEmptyProofs() {
        assertThat(MerkleProofs.verifyConsistency(1, 0, ROOTS.get(0), EMPTY_ROOT, List.of())).isFalse();
        assertThat(MerkleProofs.verifyConsistency(2, 1, ROOTS.get(1), ROOTS.get(0), List.of())).isFalse();
        assertThat(MerkleProofs.verifyConsistency(1, 2, ROOTS.get(0), ROOTS.get(1), List.of())).isFalse();
        assertThat(MerkleProofs.verifyConsistency(-1, 2, ROOTS.get(0), ROOTS.get(1), List.of())).isFalse();
    }

    @Test
    void naiveRootFollowsTheRecursiveDefinition() {
        List<byte[]> leafHashes = LEAVES.stream().map(MerkleHash::leaf).toList();

        assertThat(MerkleProofs.naiveRoot(List.of())).isEqualTo(EMPTY_ROOT);
        for (int size = 1; size <= 8; size++) {
            assertThat(MerkleProofs.naiveRoot(leafHashes.subList(0, size))).as("MTH of %d leaves", size).isEqualTo(ROOTS.get(size - 1));
        }
    }
}
