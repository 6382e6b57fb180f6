package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Transform;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A decided, time-bound right of one requester to one dataset under one purpose.
 *
 * @param project the project pseudonyms are keyed for (the requester's organisation unless named)
 * @param roles the requester's roles when the grant was decided, for deciding again later
 * @param policyVersion the policy version the grant was decided under
 * @param maxStreams the policy's stream quota, when it has one
 * @param revokedAt when the grant was revoked (a policy change, the dataset's withdrawal, its owner or its holder)
 * @param revokedReason why, in words, when it was revoked
 */
public record Grant(
        String id,
        String datasetId,
        String subject,
        String organisation,
        String purpose,
        String project,
        List<String> roles,
        List<String> columns,
        List<Transform> transforms,
        int policyVersion,
        OptionalLong maxStreams,
        Instant issuedAt,
        Instant expiresAt,
        Optional<Instant> revokedAt,
        Optional<String> revokedReason) {
    public Grant {
        requireNonNull(id, "id is null");
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(purpose, "purpose is null");
        requireNonNull(project, "project is null");
        roles = List.copyOf(requireNonNull(roles, "roles is null"));
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
        requireNonNull(issuedAt, "issuedAt is null");
        requireNonNull(maxStreams, "maxStreams is null");
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(revokedAt, "revokedAt is null");
        requireNonNull(revokedReason, "revokedReason is null");
    }

    /** Where the grant stands at {@code now}: revoked wins over expired. */
    public Status status(Instant now) {
        if (revokedAt.isPresent()) {
            return Status.REVOKED;
        }
        return now.isBefore(expiresAt) ? Status.ACTIVE : Status.EXPIRED;
    }

    /** Where a grant stands; the wire name is the lower-case name. */
    public enum Status {
        ACTIVE, REVOKED, EXPIRED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public boolean heldBy(String subject, String organisation) {
        return this.subject.equals(subject) && this.organisation.equals(organisation);
    }
}
