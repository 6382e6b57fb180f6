package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

/**
 * One committed audit record.
 *
 * @param index position in the log, from 0, without gaps
 * @param recordJson the exact bytes (UTF-8) that were hashed: canonical JSON, keys sorted
 * @param prevHash hash of the record before (64 zeros for the first)
 * @param hash {@code hex(SHA-256(prevHash || recordJson))}, both as UTF-8
 */
public record AuditEntry(long index, String recordJson, String prevHash, String hash) {
    public AuditEntry {
        requireNonNull(recordJson, "recordJson is null");
        requireNonNull(prevHash, "prevHash is null");
        requireNonNull(hash, "hash is null");
    }
}
