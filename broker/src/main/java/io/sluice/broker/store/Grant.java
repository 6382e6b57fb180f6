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
 * @param revokedAt when a policy change revoked the grant
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
        Optional<Instant> revokedAt) {
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
    }

    public boolean heldBy(String subject, String organisation) {
        return this.subject.equals(subject) && this.organisation.equals(organisation);
    }
}
