package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

/**
 * One committed audit record: a leaf of the log's Merkle tree.
 *
 * @param index position in the log, from 0, without gaps
 * @param recordJson the record as RFC 8785 canonical JSON; its UTF-8 bytes are the leaf's bytes
 * @param leafHash lower-case hex of SHA-256(0x00 || record bytes) (RFC 9162)
 */
public record AuditEntry(long index, String recordJson, String leafHash) {
    public AuditEntry {
        requireNonNull(recordJson, "recordJson is null");
        requireNonNull(leafHash, "leafHash is null");
    }

    /** The exact bytes that were hashed into the tree. */
    public byte[] leafBytes() {
        return recordJson.getBytes(StandardCharsets.UTF_8);
    }
}
