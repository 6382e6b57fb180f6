package io.sluice.broker.audit.tlog;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The signed statement of a log's size and root: the note text of a C2SP transparency-log
 * checkpoint (https://c2sp.org/tlog-checkpoint), three lines each ending in a newline:
 *
 * <pre>
 * origin
 * tree size in decimal
 * base64 of the RFC 9162 root hash
 * </pre>
 *
 * Sign {@link #body()} with {@link NoteSigner#sign(String)}; parse what
 * {@link NoteVerifier#verify(String)} returns with {@link #parseBody(String)}. Sluice issues no
 * extension lines, so a body with a fourth line is rejected rather than half-read.
 *
 * @param origin the log's identity, non-empty, one line without control characters; by
 *     convention a schema-less URL that is also the signing key's name
 * @param size the number of leaves, {@code >= 0}
 * @param rootHash the 32-byte root of the first {@code size} leaves; copied in and out
 */
public record Checkpoint(String origin, long size, byte[] rootHash) {
    public Checkpoint {
        requireNonNull(origin, "origin is null");
        requireNonNull(rootHash, "rootHash is null");
        if (origin.isEmpty()) {
            throw new IllegalArgumentException("checkpoint origin must not be empty");
        }
        String problem = NoteSyntax.textProblem(origin);
        if (problem != null || origin.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("checkpoint origin must be one line of text without control characters"
                    + (problem == null ? ", had a newline" : ", had a " + problem));
        }
        if (size < 0) {
            throw new IllegalArgumentException("checkpoint size must be >= 0, was " + size);
        }
        if (rootHash.length != MerkleHash.HASH_SIZE) {
            throw new IllegalArgumentException(
                    "checkpoint rootHash must be " + MerkleHash.HASH_SIZE + " bytes, was " + rootHash.length);
        }
        rootHash = rootHash.clone();
    }

    /** A copy of the root hash. */
    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    /** The note text: {@code origin + "\n" + size + "\n" + base64(rootHash) + "\n"}. */
    public String body() {
        return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n";
    }

    /**
     * Parses a checkpoint note text (the body, not the signed note).
     *
     * @throws IllegalArgumentException naming the line that breaks the format
     */
    public static Checkpoint parseBody(String body) {
        requireNonNull(body, "body is null");
        if (!body.endsWith("\n")) {
            throw new IllegalArgumentException("checkpoint body must end with a newline");
        }
        String[] lines = body.substring(0, body.length() - 1).split("\n", -1);
        if (lines.length < 3) {
            throw new IllegalArgumentException(
                    "checkpoint body must have 3 lines (origin, tree size, root hash), had " + lines.length);
        }
        if (lines.length > 3) {
            throw new IllegalArgumentException(
                    "checkpoint body has " + (lines.length - 3) + " extension line(s); this log issues none");
        }
        String sizeLine = lines[1];
        if (!sizeLine.matches("0|[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException(
                    "checkpoint tree size must be a decimal number without sign or leading zeros, was \""
                            + sizeLine + "\"");
        }
        long size;
        try {
            size = Long.parseLong(sizeLine);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint tree size is too large: " + sizeLine, e);
        }
        byte[] root = NoteSyntax.decodeCanonicalBase64(lines[2]);
        if (root == null || root.length != MerkleHash.HASH_SIZE) {
            throw new IllegalArgumentException(
                    "checkpoint root hash must be the padded base64 of 32 bytes, was \"" + lines[2] + "\"");
        }
        return new Checkpoint(lines[0], size, root);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Checkpoint that
                && size == that.size
                && origin.equals(that.origin)
                && Arrays.equals(rootHash, that.rootHash);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * origin.hashCode() + Long.hashCode(size)) + Arrays.hashCode(rootHash);
    }

    @Override
    public String toString() {
        return "Checkpoint[origin=" + origin + ", size=" + size
                + ", rootHash=" + HexFormat.of().formatHex(rootHash) + "]";
    }
}
