package io.sluice.broker.audit.tlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class CheckpointTest {
    // The example of https://c2sp.org/tlog-checkpoint (C2SP/C2SP tlog-checkpoint.md).
    private static final String SPEC_EXAMPLE_BODY =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    @Test
    void parsesTheSpecExample() {
        Checkpoint checkpoint = Checkpoint.parseBody(SPEC_EXAMPLE_BODY);

        assertThat(checkpoint.origin()).isEqualTo("example.com/behind-the-sofa");
        assertThat(checkpoint.size()).isEqualTo(20_852_163L);
        assertThat(checkpoint.rootHash()).isEqualTo(Base64.getDecoder().decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="));
        assertThat(checkpoint.body()).isEqualTo(SPEC_EXAMPLE_BODY);
    }

    @Test
    void bodyIsOriginSizeAndBase64Root() {
        Checkpoint checkpoint = new Checkpoint("sluice.example/audit", 0, MerkleHash.emptyRoot());

        assertThat(checkpoint.body()).isEqualTo("sluice.example/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
        assertThat(Checkpoint.parseBody(checkpoint.body())).isEqualTo(checkpoint);
    }

    @Test
    void isAValueWithCopiedRoot() {
        byte[] root = MerkleHash.emptyRoot();
        Checkpoint checkpoint = new Checkpoint("o", 1, root);
        root[0] ^= 1;
        checkpoint.rootHash()[1] ^= 1;

        assertThat(checkpoint.rootHash()).isEqualTo(MerkleHash.emptyRoot());
        assertThat(checkpoint).isEqualTo(new Checkpoint("o", 1, MerkleHash.emptyRoot()));
        assertThat(checkpoint.hashCode()).isEqualTo(new Checkpoint("o", 1, MerkleHash.emptyRoot()).hashCode());
        assertThat(checkpoint).isNotEqualTo(new Checkpoint("o", 2, MerkleHash.emptyRoot()));
        assertThat(checkpoint.toString())
                .isEqualTo("Checkpoint[origin=o, size=1, rootHash=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855]");
    }

    @Test
    void rejectsInvalidFields() {
        assertThatThrownBy(() -> new Checkpoint("", 0, MerkleHash.emptyRoot()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint origin must not be empty");
        assertThatThrownBy(() -> new Checkpoint("a\nb", 0, MerkleHash.emptyRoot()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint origin must be one line of text without control characters, had a newline");
        assertThatThrownBy(() -> new Checkpoint("a\tb", 0, MerkleHash.emptyRoot()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint origin must be one line of text without control characters, had a control character U+0009 at offset 1");
        assertThatThrownBy(() -> new Checkpoint("o", -1, MerkleHash.emptyRoot()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint size must be >= 0, was -1");
        assertThatThrownBy(() -> new Checkpoint("o", 1, new byte[31]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint rootHash must be 32 bytes, was 31");
    }

    @Test
    void rejectsMalformedBodies() {
        String root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assertThatThrownBy(() -> Checkpoint.parseBody("o\n1\n" + root))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint body must end with a newline");
        assertThatThrownBy(() -> Checkpoint.parseBody("o\n1\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint body must have 3 lines (origin, tree size, root hash), had 2");
        assertThatThrownBy(() -> Checkpoint.parseBody("o\n1\n" + root + "\next\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint body has 1 extension line(s); this log issues none");
        for (String size : new String[] {"01", "-1", "+1", "1.0", "", " 1", "99999999999999999999"}) {
            assertThatThrownBy(() -> Checkpoint.parseBody("o\n" + size + "\n" + root + "\n"))
                    .as("size \"%s\"", size)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("checkpoint tree size ");
        }
        for (String badRoot : new String[] {root.substring(0, 43), "AAAA", root.replace('=', 'V'), "not base64!"}) {
            assertThatThrownBy(() -> Checkpoint.parseBody("o\n1\n" + badRoot + "\n"))
                    .as("root \"%s\"", badRoot)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("checkpoint root hash must be the padded base64 of 32 bytes, was \"" + badRoot + "\"");
        }
        assertThatThrownBy(() -> Checkpoint.parseBody("\n1\n" + root + "\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint origin must not be empty");
    }
}
