package io.sluice.broker.audit.tlog;

import static io.sluice.broker.audit.tlog.NoteVerificationException.Reason.BAD_SIGNATURE;
import static io.sluice.broker.audit.tlog.NoteVerificationException.Reason.MALFORMED_NOTE;
import static io.sluice.broker.audit.tlog.NoteVerificationException.Reason.NO_SIGNATURE_BY_KEY;
import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Verifies C2SP signed notes (https://c2sp.org/signed-note) against one Ed25519 verifier key,
 * as a client configured with that key would.
 *
 * <p>Following the spec: the note text runs up to and including the newline before the last
 * blank line; every following line must be a signature line ({@code — name base64(keyid ||
 * sig)}); lines by other keys (another name or key id) are ignored, so witnesses and rotated
 * keys may co-sign; every line by this key must verify, and at least one must be present.
 * At most {@value #MAX_SIGNATURES} signature lines are read (the spec asks for at least 16).
 *
 * <p>Immutable and thread-safe.
 */
public final class NoteVerifier {
    /** Notes with more signature lines than this are rejected as malformed. */
    public static final int MAX_SIGNATURES = 100;

    private static final int SIGNATURE_SIZE = Ed25519PublicKeyParameters.KEY_SIZE * 2;

    private final String name;
    private final int keyId;
    private final Ed25519PublicKeyParameters publicKey;
    private final String verifierKey;

    private NoteVerifier(String name, int keyId, Ed25519PublicKeyParameters publicKey, String verifierKey) {
        this.name = name;
        this.keyId = keyId;
        this.publicKey = publicKey;
        this.verifierKey = verifierKey;
    }

    /**
     * Parses a verifier key {@code name+keyid+base64(0x01 || publicKey)} as
     * {@link NoteSigner#verifierKey()} writes it.
     *
     * @throws IllegalArgumentException saying which part is malformed: the name, the 8 hex digit
     *     key id, the base64, an algorithm other than Ed25519 ({@code 0x01}), the key length, or a
     *     key id that does not match the name and key
     */
    public static NoteVerifier parse(String verifierKey) {
        requireNonNull(verifierKey, "verifierKey is null");
        int first = verifierKey.indexOf('+');
        int second = first < 0 ? -1 : verifierKey.indexOf('+', first + 1);
        if (second < 0) {
            throw new IllegalArgumentException(
                    "verifier key must have the form name+keyid+base64key, was \"" + verifierKey + "\"");
        }
        String name = verifierKey.substring(0, first);
        String keyIdText = verifierKey.substring(first + 1, second);
        String keyText = verifierKey.substring(second + 1);
        String nameProblem = NoteSyntax.keyNameProblem(name);
        if (nameProblem != null) {
            throw new IllegalArgumentException("malformed verifier key: " + nameProblem);
        }
        if (!keyIdText.matches("[0-9a-fA-F]{8}")) {
            throw new IllegalArgumentException(
                    "malformed verifier key: key id must be 8 hex digits, was \"" + keyIdText + "\"");
        }
        int keyId = Integer.parseUnsignedInt(keyIdText, 16);
        byte[] typedKey = NoteSyntax.decodeCanonicalBase64(keyText);
        if (typedKey == null || typedKey.length == 0) {
            throw new IllegalArgumentException(
                    "malformed verifier key: the key is not canonical padded base64: \"" + keyText + "\"");
        }
        if (typedKey[0] != NoteSyntax.ED25519) {
            throw new IllegalArgumentException(String.format(
                    "unsupported verifier key algorithm 0x%02x: only Ed25519 (0x01) is supported", typedKey[0] & 0xff));
        }
        if (typedKey.length != 1 + Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("malformed verifier key: an Ed25519 key must be "
                    + Ed25519PublicKeyParameters.KEY_SIZE + " bytes, was " + (typedKey.length - 1));
        }
        int expectedId = NoteSyntax.keyId(name, typedKey);
        if (expectedId != keyId) {
            throw new IllegalArgumentException("malformed verifier key: key id " + keyIdText
                    + " does not match name and key (expected " + NoteSyntax.keyIdHex(expectedId) + ")");
        }
        Ed25519PublicKeyParameters publicKey;
        try {
            publicKey = new Ed25519PublicKeyParameters(typedKey, 1);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed verifier key: not a valid Ed25519 public key", e);
        }
        return new NoteVerifier(name, keyId, publicKey, verifierKey);
    }

    /** The key name. */
    public String name() {
        return name;
    }

    /** The verifier key this was parsed from. */
    public String verifierKey() {
        return verifierKey;
    }

    /**
     * Verifies {@code signedNote} and returns its text (the body that was signed, ending in a
     * newline).
     *
     * @throws NoteVerificationException with reason {@code MALFORMED_NOTE},
     *     {@code NO_SIGNATURE_BY_KEY} or {@code BAD_SIGNATURE}
     */
    public String verify(String signedNote) {
        requireNonNull(signedNote, "signedNote is null");
        String problem = NoteSyntax.textProblem(signedNote);
        if (problem != null) {
            throw malformed("it contains a " + problem);
        }
        int split = signedNote.lastIndexOf("\n\n");
        if (split < 0) {
            throw malformed("no blank line separates the text from the signatures");
        }
        String text = signedNote.substring(0, split + 1);
        String signatures = signedNote.substring(split + 2);
        if (signatures.isEmpty() || !signatures.endsWith("\n")) {
            throw malformed("the signature lines must end with a newline");
        }
        byte[] message = text.getBytes(StandardCharsets.UTF_8);
        String[] lines = signatures.substring(0, signatures.length() - 1).split("\n", -1);
        if (lines.length > MAX_SIGNATURES) {
            throw malformed("it has " + lines.length + " signature lines, more than " + MAX_SIGNATURES);
        }
        boolean verified = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (!line.startsWith(NoteSyntax.SIGNATURE_PREFIX)) {
                throw malformed("signature line " + (i + 1) + " does not start with an em dash and a space");
            }
            int space = line.indexOf(' ', NoteSyntax.SIGNATURE_PREFIX.length());
            if (space < 0) {
                throw malformed("signature line " + (i + 1) + " has no space between key name and signature");
            }
            String lineName = line.substring(NoteSyntax.SIGNATURE_PREFIX.length(), space);
            byte[] decoded = NoteSyntax.decodeCanonicalBase64(line.substring(space + 1));
            if (NoteSyntax.keyNameProblem(lineName) != null || decoded == null || decoded.length < 5) {
                throw malformed("signature line " + (i + 1) + " is not \"— name base64(keyid || signature)\"");
            }
            int lineKeyId = ByteBuffer.wrap(decoded, 0, 4).getInt();
            if (!lineName.equals(name) || lineKeyId != keyId) {
                continue; // another key's signature: ignored, as the spec requires
            }
            byte[] signature = Arrays.copyOfRange(decoded, 4, decoded.length);
            if (!verifies(message, signature)) {
                throw new NoteVerificationException(BAD_SIGNATURE,
                        "bad signature by key " + keyName() + " on signature line " + (i + 1)
                                + ": the note was altered");
            }
            verified = true;
        }
        if (!verified) {
            throw new NoteVerificationException(NO_SIGNATURE_BY_KEY, "note has no signature by key " + keyName());
        }
        return text;
    }

    @Override
    public String toString() {
        return "NoteVerifier[" + keyName() + "]";
    }

    private boolean verifies(byte[] message, byte[] signature) {
        if (signature.length != SIGNATURE_SIZE) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, publicKey);
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }

    private String keyName() {
        return name + "+" + NoteSyntax.keyIdHex(keyId);
    }

    private static NoteVerificationException malformed(String why) {
        return new NoteVerificationException(MALFORMED_NOTE, "malformed signed note: " + why);
    }
}
