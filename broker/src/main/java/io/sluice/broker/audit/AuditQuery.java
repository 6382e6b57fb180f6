package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * Which records to return, oldest first unless {@code newestFirst}.
 *
 * @param ownerOrganisation when present, only records about datasets this organisation owns
 * @param after the cursor: only records after this index in the chosen order (greater, or with
 *     {@code newestFirst} smaller); negative for the first page
 * @param limit at most this many records
 * @param text when present, only records with a value that contains it, ignoring case: the actor's subject or
 *     organisation, the dataset's id or name, the purpose, a reason's code or message, the message, the grant or
 *     stream id (see {@link AuditSearchText}); never a field's name
 * @param newestFirst whether pages run from the newest record back
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
        int limit,
        Optional<String> text,
        boolean newestFirst) {

    public static final int MAX_PAGE = 1000;
    public static final int MAX_TEXT = 200;

    public AuditQuery {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(action, "action is null");
        requireNonNull(purpose, "purpose is null");
        requireNonNull(from, "from is null");
        requireNonNull(to, "to is null");
        requireNonNull(ownerOrganisation, "ownerOrganisation is null");
        requireNonNull(text, "text is null");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        if (text.isPresent() && (text.get().isBlank() || text.get().length() > MAX_TEXT)) {
            throw new IllegalArgumentException("the search text must be 1-" + MAX_TEXT + " characters and not blank");
        }
    }

    /** Oldest first, no text search. */
    public AuditQuery(Optional<String> dataset, Optional<String> organisation, Optional<String> subject,
            Optional<String> action, Optional<String> purpose, Optional<Instant> from, Optional<Instant> to,
            Optional<String> ownerOrganisation, long after, int limit) {
        this(dataset, organisation, subject, action, purpose, from, to, ownerOrganisation, after, limit, Optional.empty(),
                false);
    }

    /** Every record, in pages of {@code limit}. */
    public static AuditQuery all(long after, int limit) {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), after, limit);
    }

    /** Whether this asks for every record from the first: no filter of any kind, no cursor, no search. */
    public boolean wholeLog() {
        return dataset.isEmpty() && organisation.isEmpty() && subject.isEmpty() && action.isEmpty() && purpose.isEmpty()
                && from.isEmpty() && to.isEmpty() && ownerOrganisation.isEmpty() && after < 0 && text.isEmpty();
    }

    public AuditQuery after(long newAfter) {
        return new AuditQuery(dataset, organisation, subject, action, purpose, from, to, ownerOrganisation, newAfter, limit,
                text, newestFirst);
    }

    public AuditQuery withLimit(int newLimit) {
        return new AuditQuery(dataset, organisation, subject, action, purpose, from, to, ownerOrganisation, after, newLimit,
                text, newestFirst);
    }
}
