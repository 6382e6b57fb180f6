package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.GoNoteVectors.ENOCH_SIGNATURE_LINE;
import static io.sluice.broker.audit.tlog.GoNoteVectors.ENOCH_VERIFIER_KEY;
import static io.sluice.broker.audit.tlog.GoNoteVectors.PETER_NOTE;
import static io.sluice.broker.audit.tlog.GoNoteVectors.PETER_SIGNATURE_LINE;
import static io.sluice.broker.audit.tlog.GoNoteVectors.PETER_VERIFIER_KEY;
import static io.sluice.broker.audit.tlog.GoNoteVectors.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.audit.tlog.NoteVerificationException.Reason;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class NoteVerifierTest {
    private static final NoteVerifier PETER = NoteVerifier.parse(PETER_VERIFIER_KEY);

    private static void assertRejected(ThrowingCallable call, Reason reason, String message) {
        assertThatThrownBy(call)
                .isInstanceOf(NoteVerificationException.class)
                .hasMessage(message)
                .satisfies(e -> assertThat(((NoteVerificationException) e).reason()).isEqualTo(reason));
    }

    @Test
    void verifiesThePublishedGoNote() {
        assertThat(PETER.name()).isEqualTo("PeterNeumann");
        assertThat(PETER.verify(PETER_NOTE)).isEqualTo(TEXT);
    }

    @Test
    void ignoresSignaturesByOtherKeys() {
        String cosigned = TEXT + "\n" + PETER_SIGNATURE_LINE + ENOCH_SIGNATURE_LINE;

        assertThat(PETER.verify(cosigned)).isEqualTo(TEXT);
        assertThat(NoteVerifier.parse(ENOCH_VERIFIER_KEY).verify(cosigned)).isEqualTo(TEXT);
        assertThat(PETER.verify(TEXT + "\n" + ENOCH_SIGNATURE_LINE + PETER_SIGNATURE_LINE + PETER_SIGNATURE_LINE)).isEqualTo(TEXT);
    }

    @Test
    void roundTripsACheckpoint() {
        NoteSigner signer = NoteSigner.generate("sluice.example/audit");
        NoteVerifier verifier = NoteVerifier.parse(signer.verifierKey());
        Checkpoint checkpoint = new Checkpoint("sluice.example/audit", 42, MerkleHash.leaf(new byte[] {42}));

        String body = verifier.verify(signer.sign(checkpoint.body()));

        assertThat(Checkpoint.parseBody(body)).isEqualTo(checkpoint);
    }

    @Test
    void acceptsTextWithEmptyLines() {
        NoteSigner signer = NoteSigner.generate("log");

        assertThat(NoteVerifier.parse(signer.verifierKey()).verify(signer.sign("a\n\nb\n\n"))).isEqualTo("a\n\nb\n\n");
    }

    @Test
    void rejectsATamperedBody() {
        NoteSigner signer = NoteSigner.generate("sluice.example/audit");
        NoteVerifier verifier = NoteVerifier.parse(signer.verifierKey());
        String note = signer.sign(new Checkpoint("sluice.example/audit", 42, MerkleHash.emptyRoot()).body());
        String[] keyParts = signer.verifierKey().split("\\+", 3); // the base64 may contain '+'
        String keyName = keyParts[0] + "+" + keyParts[1];

        assertRejected(() -> verifier.verify(note.replace("\n42\n", "\n43\n")), Reason.BAD_SIGNATURE,
                "bad signature by key " + keyName + " on signature line 1: the note was altered");
        assertRejected(() -> PETER.verify(TEXT.replace("problem", "Problem") + "\n" + PETER_SIGNATURE_LINE), Reason.BAD_SIGNATURE,
                "bad signature by key PeterNeumann+c74f20a3 on signature line 1: the note was altered");
    }

    @Test
    void rejectsANoteSignedByAnotherKey() {
        NoteSigner other = NoteSigner.generate("PeterNeumann"); // same name, other key id

        assertRejected(() -> PETER.verify(other.sign(TEXT)), Reason.NO_SIGNATURE_BY_KEY,
                "note has no signature by key PeterNeumann+c74f20a3");
        assertRejected(() -> PETER.verify(TEXT + "\n" + ENOCH_SIGNATURE_LINE), Reason.NO_SIGNATURE_BY_KEY,
                "note has no signature by key PeterNeumann+c74f20a3");
        assertRejected(() -> PETER.verify(TEXT + "\n" + PETER_SIGNATURE_LINE.replace("x08g", "xxxx")), Reason.NO_SIGNATURE_BY_KEY,
                "note has no signature by key PeterNeumann+c74f20a3");
        assertRejected(() -> PETER.verify(TEXT + "\n" + PETER_SIGNATURE_LINE.replace("PeterNeumann", "CarmenSandiego")),
                Reason.NO_SIGNATURE_BY_KEY, "note has no signature by key PeterNeumann+c74f20a3");
    }

    @Test
    void rejectsTruncatedOrExtendedSignatures() {
        int cut = PETER_SIGNATURE_LINE.length() - 1 - 4; // drop the last four base64 characters (3 bytes)
        String truncated = TEXT + "\n" + PETER_SIGNATURE_LINE.substring(0, cut) + "\n";
        String extended = TEXT + "\n" + PETER_SIGNATURE_LINE.substring(0, 58) + "ABCD" + PETER_SIGNATURE_LINE.substring(58);

        assertRejected(() -> PETER.verify(truncated), Reason.BAD_SIGNATURE,
                "bad signature by key PeterNeumann+c74f20a3 on signature line 1: the note was altered");
        assertRejected(() -> PETER.verify(extended), Reason.BAD_SIGNATURE,
                "bad signature by key PeterNeumann+c74f20a3 on signature line 1: the note was altered");
    }

    @Test
    void rejectsAForgedSignatureEvenNextToAGoodOne() {
        String forged = PETER_SIGNATURE_LINE.substring(0, 40) + (PETER_SIGNATURE_LINE.charAt(40) == 'A' ? 'B' : 'A')
                + PETER_SIGNATURE_LINE.substring(41);

        assertRejected(() -> PETER.verify(TEXT + "\n" + PETER_SIGNATURE_LINE + forged), Reason.BAD_SIGNATURE,
                "bad signature by key PeterNeumann+c74f20a3 on signature line 2: the note was altered");
    }

    @Test
    void rejectsMalformedNotes() {
        assertRejected(() -> PETER.verify(TEXT), Reason.MALFORMED_NOTE,
                "malformed signed note: no blank line separates the text from the signatures");
        assertRejected(() -> PETER.verify(TEXT + "\n"), Reason.MALFORMED_NOTE,
                "malformed signed note: the signature lines must end with a newline");
        assertRejected(() -> PETER.verify(TEXT + "\n" + PETER_SIGNATURE_LINE.strip()), Reason.MALFORMED_NOTE,
                "malformed signed note: the signature lines must end with a newline");
        assertRejected(() -> PETER.verify("\u0001" + PETER_NOTE), Reason.MALFORMED_NOTE,
                "malformed signed note: it contains a control character U+0001 at offset 0");
        assertRejected(() -> PETER.verify(PETER_NOTE.replace("\n", "\r\n")), Reason.MALFORMED_NOTE,
                "malformed signed note: it contains a control character U+000D at offset 56");
        assertRejected(() -> PETER.verify(PETER_NOTE + "Unexpected line.\n"), Reason.MALFORMED_NOTE,
                "malformed signed note: signature line 2 does not start with an em dash and a space");
        assertRejected(() -> PETER.verify(TEXT + "\n" + PETER_SIGNATURE_LINE.replace("PeterNeumann", "Bad Name")), Reason.MALFORMED_NOTE,
                "malformed signed note: signature line 1 is not \"— name base64(keyid || signature)\"");
        assertRejected(() -> PETER.verify(TEXT + "\n\u2014 PeterNeumann\n"), Reason.MALFORMED_NOTE,
                "malformed signed note: signature line 1 has no space between key name and signature");
        assertRejected(() -> PETER.verify(TEXT + "\n\u2014 PeterNeumann x08g\n"), Reason.MALFORMED_NOTE,
                "malformed signed note: signature line 1 is not \"— name base64(keyid || signature)\"");
        assertRejected(() -> PETER.verify(TEXT + "\n" + PETER_SIGNATURE_LINE.repeat(101)), Reason.MALFORMED_NOTE,
                "malformed signed note: it has 101 signature lines, more than 100");
    }

    @Test
    void parsesOnlyWellFormedVerifierKeys() {
        assertThat(NoteVerifier.parse(ENOCH_VERIFIER_KEY).name()).isEqualTo("EnochRoot");
        assertThat(NoteVerifier.parse(PETER_VERIFIER_KEY).verifierKey()).isEqualTo(PETER_VERIFIER_KEY);

        // As golang.org/x/mod/sumdb/note TestNewVerifier: every proper substring and every
        // single-character change of a good key is rejected.
        String key = PETER_VERIFIER_KEY;
        for (int i = 0; i <= key.length(); i++) {
            for (int j = i + 1; j <= key.length(); j++) {
                if (i != 0 || j != key.length()) {
                    String part = key.substring(i, j);
                    assertThatThrownBy(() -> NoteVerifier.parse(part)).as(part).isInstanceOf(IllegalArgumentException.class);
                }
            }
        }
        for (int i = 0; i < key.length(); i++) {
            String changed = key.substring(0, i) + (char) (key.charAt(i) + 1) + key.substring(i + 1);
            assertThatThrownBy(() -> NoteVerifier.parse(changed)).as(changed).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void explainsWhyAVerifierKeyIsRejected() {
        assertThatThrownBy(() -> NoteVerifier.parse("PeterNeumann"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("verifier key must have the form name+keyid+base64key, was \"PeterNeumann\"");
        assertThatThrownBy(() -> NoteVerifier.parse("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed verifier key: key id must be 8 hex digits, was \"c74f20a\"");
        assertThatThrownBy(() -> NoteVerifier.parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed verifier key: key id c74f20a4 does not match name and key (expected c74f20a3)");
        // Go's test keys: a wrong-length key (also non-canonical base64 here) and an unknown
        // algorithm, each with a matching key id.
        assertThatThrownBy(() -> NoteVerifier.parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed verifier key: the key is not canonical padded base64");
        byte[] shortKey = new byte[32];
        shortKey[0] = 0x01;
        String shortKeyText = "short+" + NoteSyntax.keyIdHex(NoteSyntax.keyId("short", shortKey)) + "+"
                + java.util.Base64.getEncoder().encodeToString(shortKey);
        assertThatThrownBy(() -> NoteVerifier.parse(shortKeyText))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed verifier key: an Ed25519 key must be 32 bytes, was 31");
        assertThatThrownBy(() -> NoteVerifier.parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported verifier key algorithm 0x65: only Ed25519 (0x01) is supported");
        assertThatThrownBy(() -> NoteVerifier.parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed verifier key: key name must not contain spaces, was \"Peter Neumann\"");
        assertThatThrownBy(() -> NoteVerifier.parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed verifier key: the key is not canonical padded base64: \"ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T\"");
    }
}
