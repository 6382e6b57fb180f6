package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * Which records to return, oldest first.
 *
 * @param ownerOrganisation when present, only records about datasets this organisation owns
 * @param after the cursor: only records with an index greater than this
 * @param limit at most this many records
 */
public record AuditQuery(
        Optional<String> dataset,
        Optional<String> organisation,
        Optional<String> subject,
        Optional<String> action,
        Optional<String> purpose,
        Optional<Instant> from,
        Optional<Instant> to,
        Optional<String> ownerOrganisation,
        long after,
        int limit) {

    public static final int MAX_PAGE = 1000;

    public AuditQuery {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(action, "action is null");
        requireNonNull(purpose, "purpose is null");
        requireNonNull(from, "from is null");
        requireNonNull(to, "to is null");
        requireNonNull(ownerOrganisation, "ownerOrganisation is null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
    }

    /** Every record, in pages of {@code limit}. */
    public static AuditQuery all(long after, int limit) {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), after, limit);
    }

    public AuditQuery after(long newAfter) {
        return new AuditQuery(dataset, organisation, subject, action, purpose, from, to, ownerOrganisation, newAfter, limit);
    }
}
