package io.sluice.broker.audit.tlog;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Signs C2SP signed notes (https://c2sp.org/signed-note) with one named Ed25519 key (RFC 8032,
 * signature type {@code 0x01}), the format of the Go checksum database's {@code note} package.
 *
 * <p>The key id is {@code SHA-256(name || 0x0A || 0x01 || publicKey)[:4]}; the verifier key that
 * clients configure is {@code name+<key id in 8 hex digits>+base64(0x01 || publicKey)}. Ed25519
 * signatures are deterministic, so one key signs one text to one note.
 *
 * <p>Immutable and thread-safe. The private key never appears in {@link #toString()}; the
 * caller owns what {@link #privateKeySeed()} returns and must keep it secret.
 */
public final class NoteSigner {
    private static final int SEED_SIZE = Ed25519PrivateKeyParameters.KEY_SIZE;

    private final String name;
    private final Ed25519PrivateKeyParameters privateKey;
    private final int keyId;
    private final String verifierKey;

    private NoteSigner(String name, Ed25519PrivateKeyParameters privateKey) {
        this.name = name;
        this.privateKey = privateKey;
        byte[] typedKey = new byte[1 + Ed25519PrivateKeyParameters.KEY_SIZE];
        typedKey[0] = NoteSyntax.ED25519;
        privateKey.generatePublicKey().encode(typedKey, 1);
        this.keyId = NoteSyntax.keyId(name, typedKey);
        this.verifierKey = name + "+" + NoteSyntax.keyIdHex(keyId) + "+" + Base64.getEncoder().encodeToString(typedKey);
    }

    /**
     * A new key pair from a {@link SecureRandom}.
     *
     * @throws IllegalArgumentException if {@code name} is not a valid key name (empty, or with
     *     spaces, '+' or control characters)
     */
    public static NoteSigner generate(String name) {
        checkName(name);
        return new NoteSigner(name, new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    /**
     * The signer for a stored key: {@code seed32} is the 32-byte RFC 8032 private key (seed), as
     * returned by {@link #privateKeySeed()}.
     *
     * @throws IllegalArgumentException if the name is invalid or the seed is not 32 bytes
     */
    public static NoteSigner fromPrivateKey(String name, byte[] seed32) {
        checkName(name);
        requireNonNull(seed32, "seed32 is null");
        if (seed32.length != SEED_SIZE) {
            throw new IllegalArgumentException(
                    "Ed25519 private key seed must be " + SEED_SIZE + " bytes, was " + seed32.length);
        }
        return new NoteSigner(name, new Ed25519PrivateKeyParameters(seed32, 0));
    }

    /** The key name that appears in signature lines. */
    public String name() {
        return name;
    }

    /** A copy of the 32-byte private key seed; secret. */
    public byte[] privateKeySeed() {
        return privateKey.getEncoded();
    }

    /** The public verifier key, {@code name+keyid+base64(0x01 || publicKey)}. */
    public String verifierKey() {
        return verifierKey;
    }

    /**
     * Signs {@code body} and returns the signed note: {@code body + "\n" + "— " + name + " " +
     * base64(keyId || signature) + "\n"}, where the signature covers the UTF-8 bytes of
     * {@code body} including its final newline.
     *
     * @throws IllegalArgumentException if {@code body} is empty, does not end with a newline, or
     *     has a control character other than newline or a lone surrogate
     */
    public String sign(String body) {
        requireNonNull(body, "body is null");
        if (body.isEmpty() || !body.endsWith("\n")) {
            throw new IllegalArgumentException("note text must be non-empty and end with a newline");
        }
        String problem = NoteSyntax.textProblem(body);
        if (problem != null) {
            throw new IllegalArgumentException("note text must not contain a " + problem);
        }
        byte[] message = body.getBytes(StandardCharsets.UTF_8);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(message, 0, message.length);
        byte[] signature = signer.generateSignature();
        byte[] keyIdAndSignature = ByteBuffer.allocate(4 + signature.length).putInt(keyId).put(signature).array();
        return body + "\n" + NoteSyntax.SIGNATURE_PREFIX + name + " "
                + Base64.getEncoder().encodeToString(keyIdAndSignature) + "\n";
    }

    @Override
    public String toString() {
        return "NoteSigner[" + name + "+" + NoteSyntax.keyIdHex(keyId) + "]";
    }

    private static void checkName(String name) {
        requireNonNull(name, "name is null");
        String problem = NoteSyntax.keyNameProblem(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }
}
