package io.sluice.broker.audit.tlog;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The syntactic rules of C2SP signed notes (https://c2sp.org/signed-note) shared by the signer,
 * the verifier and checkpoints: key names, note text, key ids and the strict base64 they use.
 */
final class NoteSyntax {
    /** Signature type byte of Ed25519 note signatures. */
    static final byte ED25519 = 0x01;
    /** Every signature line starts with an em dash (U+2014) and a space. */
    static final String SIGNATURE_PREFIX = "\u2014 ";

    private NoteSyntax() {}

    /**
     * Why {@code name} cannot be a key name, or {@code null} if it can: a key name is non-empty
     * and contains no Unicode space, no plus (U+002B), no control character and no lone
     * surrogate.
     */
    static String keyNameProblem(String name) {
        if (name.isEmpty()) {
            return "key name must not be empty";
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if (cp == '+') {
                return "key name must not contain '+', was \"" + name + "\"";
            }
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85) {
                return "key name must not contain spaces, was \"" + name + "\"";
            }
            if (Character.isISOControl(cp)) {
                return "key name must not contain control characters";
            }
            if (Character.isSurrogate((char) cp) && Character.charCount(cp) == 1) {
                return "key name must not contain a lone surrogate";
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    /**
     * Why {@code text} cannot appear in a signed note, or {@code null} if it can: notes are UTF-8
     * (so no lone surrogates) with no ASCII control character other than newline.
     */
    static String textProblem(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\n') {
                return String.format("control character U+%04X at offset %d", (int) c, i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "lone surrogate at offset " + i;
            }
        }
        return null;
    }

    /** {@code SHA-256(name || 0x0A || typedKey)[:4]} as a big-endian uint32 (C2SP key ID). */
    static int keyId(String name, byte[] typedKey) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        digest.update(name.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) '\n');
        digest.update(typedKey);
        byte[] hash = digest.digest();
        return (hash[0] & 0xff) << 24 | (hash[1] & 0xff) << 16 | (hash[2] & 0xff) << 8 | (hash[3] & 0xff);
    }

    /** A key id as 8 lower-case hex digits. */
    static String keyIdHex(int keyId) {
        return HexFormat.of().toHexDigits(keyId);
    }

    /**
     * Decodes standard, padded base64 (RFC 4648 §4) and returns {@code null} unless
     * {@code text} is exactly the canonical encoding of the result, so that one value has one
     * spelling.
     */
    static byte[] decodeCanonicalBase64(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return Base64.getEncoder().encodeToString(bytes).equals(text) ? bytes : null;
    }
}
