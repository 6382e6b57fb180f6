package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.GoNoteVectors.PETER_NOTE;
import static io.sluice.broker.audit.tlog.GoNoteVectors.PETER_VERIFIER_KEY;
import static io.sluice.broker.audit.tlog.GoNoteVectors.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class NoteSignerTest {

    @Test
    void reproducesThePublishedGoNoteExactly() {
        NoteSigner signer = NoteSigner.fromPrivateKey("PeterNeumann", GoNoteVectors.peterSeed());

        assertThat(signer.verifierKey()).isEqualTo(PETER_VERIFIER_KEY);
        assertThat(signer.sign(TEXT)).isEqualTo(PETER_NOTE);
        assertThat(signer.privateKeySeed()).isEqualTo(GoNoteVectors.peterSeed());
    }

    @Test
    void verifierKeyIsNameKeyIdAndTypedPublicKey() throws Exception {
        NoteSigner signer = NoteSigner.generate("sluice.example/audit");
        String[] parts = signer.verifierKey().split("\\+", 3);

        assertThat(parts[0]).isEqualTo("sluice.example/audit");
        assertThat(parts[1]).matches("[0-9a-f]{8}");
        byte[] typedKey = Base64.getDecoder().decode(parts[2]);
        assertThat(typedKey).hasSize(33);
        assertThat(typedKey[0]).isEqualTo((byte) 0x01);
        // key id = SHA-256(name || 0x0A || 0x01 || public key)[:4]
        java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
        sha256.update("sluice.example/audit\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        sha256.update(typedKey);
        assertThat(parts[1]).isEqualTo(java.util.HexFormat.of().formatHex(sha256.digest(), 0, 4));
    }

    @Test
    void signedNoteIsBodyBlankLineAndOneSignatureLine() {
        NoteSigner signer = NoteSigner.generate("sluice.example/audit");
        String body = new Checkpoint("sluice.example/audit", 3, MerkleHash.emptyRoot()).body();

        String note = signer.sign(body);

        assertThat(note).startsWith(body + "\n\u2014 sluice.example/audit ").endsWith("\n");
        String signature = note.substring(body.length() + 1 + "\u2014 sluice.example/audit ".length(), note.length() - 1);
        byte[] keyIdAndSignature = Base64.getDecoder().decode(signature);
        assertThat(keyIdAndSignature).hasSize(4 + 64);
        assertThat(java.util.HexFormat.of().formatHex(keyIdAndSignature, 0, 4)).isEqualTo(signer.verifierKey().split("\\+")[1]);
    }

    @Test
    void signingIsDeterministicAndSurvivesAReload() {
        NoteSigner signer = NoteSigner.generate("log");
        NoteSigner reloaded = NoteSigner.fromPrivateKey("log", signer.privateKeySeed());

        assertThat(reloaded.verifierKey()).isEqualTo(signer.verifierKey());
        assertThat(reloaded.sign("hello\n")).isEqualTo(signer.sign("hello\n"));
        assertThat(NoteSigner.generate("log").verifierKey()).isNotEqualTo(signer.verifierKey());
    }

    @Test
    void doesNotPrintThePrivateKey() {
        NoteSigner signer = NoteSigner.fromPrivateKey("PeterNeumann", GoNoteVectors.peterSeed());

        assertThat(signer).hasToString("NoteSigner[PeterNeumann+c74f20a3]");
    }

    @Test
    void rejectsInvalidNamesSeedsAndTexts() {
        assertThatThrownBy(() -> NoteSigner.generate(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("key name must not be empty");
        assertThatThrownBy(() -> NoteSigner.generate("a+b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("key name must not contain '+', was \"a+b\"");
        assertThatThrownBy(() -> NoteSigner.generate("a b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("key name must not contain spaces, was \"a b\"");
        assertThatThrownBy(() -> NoteSigner.generate("a\u00a0b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("key name must not contain spaces");
        assertThatThrownBy(() -> NoteSigner.fromPrivateKey("log", new byte[31]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Ed25519 private key seed must be 32 bytes, was 31");

        NoteSigner signer = NoteSigner.generate("log");
        assertThatThrownBy(() -> signer.sign("no newline"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("note text must be non-empty and end with a newline");
        assertThatThrownBy(() -> signer.sign(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("note text must be non-empty and end with a newline");
        assertThatThrownBy(() -> signer.sign("tab\there\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("note text must not contain a control character U+0009 at offset 3");
        assertThatThrownBy(() -> signer.sign("\ud800\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("note text must not contain a lone surrogate at offset 0");
    }
}
