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
 * @param message why a stream that did not complete stopped (the {@code stream.aborted} record's message)
 * @param failure what kind of cause stopped it, so a client can tell a failure that recurs from one that does not
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
        Optional<Instant> closedAt,
        Optional<String> message,
        Optional<Failure> failure) {

    /**
     * Where a stream stands. {@code INTERRUPTED}: the broker serving it stopped without recording
     * its end (killed); its counts are those last recorded, not what was sent.
     */
    public enum Status { RUNNING, COMPLETED, ABORTED, INTERRUPTED }

    /**
     * Why an aborted stream stopped, as a client acts on it. {@code SOURCE}: the source itself is
     * bad (corrupt, unreadable as configured, changed since registration): every later stream of
     * the same share fails the same way, so retrying cannot help. The others may succeed on retry:
     * {@code CLIENT} the client went away, {@code REVOKED} the grant was revoked and
     * {@code EXPIRED} it expired (a new stream is refused with 403 either way), {@code SHUTDOWN} the broker stopped, {@code ERROR} any other failure (an
     * I/O error, a memory bound, a bug). The wire name is the lower-case name.
     */
    public enum Failure {
        SOURCE, CLIENT, REVOKED, EXPIRED, SHUTDOWN, ERROR;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public StreamRecord {
        requireNonNull(id, "id is null");
        requireNonNull(grantId, "grantId is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(status, "status is null");
        requireNonNull(sha256, "sha256 is null");
        requireNonNull(openedAt, "openedAt is null");
        requireNonNull(closedAt, "closedAt is null");
        requireNonNull(message, "message is null");
        requireNonNull(failure, "failure is null");
    }
}
