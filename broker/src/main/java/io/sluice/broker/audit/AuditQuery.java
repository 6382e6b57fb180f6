package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * Which records to return, oldest first.
 *
 * @param ownerOrganisation when present, only records about datasets this organisation owns
 * @param after the cursor: only records with an index greater than this
 * @param limit at most this many records, 1..1000
 */
public record AuditQuery(
        Optional<String> dataset,
        Optional<String> organisation,
        Optional<String> action,
        Optional<Instant> from,
        Optional<Instant> to,
        Optional<String> ownerOrganisation,
        long after,
        int limit) {

    public static final int MAX_LIMIT = 1000;

    public AuditQuery {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(action, "action is null");
        requireNonNull(from, "from is null");
        requireNonNull(to, "to is null");
        requireNonNull(ownerOrganisation, "ownerOrganisation is null");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in 1.." + MAX_LIMIT + ", was " + limit);
        }
    }
}
