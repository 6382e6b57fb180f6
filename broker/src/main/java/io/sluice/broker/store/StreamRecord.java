package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * One read of one shard under a grant, and what it delivered.
 *
 * @param rows rows sent, after the policy's row filter and opt-outs
 * @param rowsIn rows read from the source for this stream, before them
 * @param sha256 lower-case hex SHA-256 of every byte sent; present once the stream has ended
 */
public record StreamRecord(
        String id,
        String grantId,
        String subject,
        String organisation,
        int shard,
        int shards,
        int epoch,
        Status status,
        long rows,
        long rowsIn,
        long batches,
        long bytes,
        Optional<String> sha256,
        Instant openedAt,
        Optional<Instant> closedAt) {

    /**
     * Where a stream stands. {@code INTERRUPTED}: the broker serving it stopped without recording
     * its end (killed); its counts are those last recorded, not what was sent.
     */
    public enum Status { RUNNING, COMPLETED, ABORTED, INTERRUPTED }

    public StreamRecord {
        requireNonNull(id, "id is null");
        requireNonNull(grantId, "grantId is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(status, "status is null");
        requireNonNull(sha256, "sha256 is null");
        requireNonNull(openedAt, "openedAt is null");
        requireNonNull(closedAt, "closedAt is null");
    }
}
