package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.Rfc6962Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Vectors from transparency-dev/merkle rfc6962/rfc6962_test.go (TestRFC6962Hasher). */
class MerkleHashTest {

    @Test
    void emptyRootIsSha256OfNothing() {
        assertThat(MerkleHash.emptyRoot()).isEqualTo(hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    @Test
    void emptyLeafIsNotTheEmptyRoot() {
        assertThat(MerkleHash.leaf(new byte[0])).isEqualTo(hex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
    }

    @Test
    void leafHashPrefixesZero() {
        assertThat(MerkleHash.leaf("L123456".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(hex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"));
    }

    @Test
    void nodeHashPrefixesOne() {
        assertThat(MerkleHash.node("N123".getBytes(StandardCharsets.US_ASCII), "N456".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(hex("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"));
    }

    @Test
    void nodeIsNotTheLeafOfTheConcatenation() {
        byte[] left = MerkleHash.leaf("Hello".getBytes(StandardCharsets.US_ASCII));
        byte[] right = MerkleHash.leaf("World".getBytes(StandardCharsets.US_ASCII));
        byte[] concatenation = new byte[64];
        System.arraycopy(left, 0, concatenation, 0, 32);
        System.arraycopy(right, 0, concatenation, 32, 32);

        assertThat(MerkleHash.node(left, right)).isNotEqualTo(MerkleHash.leaf(concatenation));
        assertThat(MerkleHash.node(left, right)).isNotEqualTo(MerkleHash.node(right, left));
    }

    @Test
    void emptyRootIsACopy() {
        MerkleHash.emptyRoot()[0] ^= 1;

        assertThat(MerkleHash.emptyRoot()).isEqualTo(Rfc6962Vectors.EMPTY_ROOT);
    }
}
