package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Transform;
import java.time.Instant;
import java.util.List;

/**
 * A decided, time-bound right of one requester to one dataset under one purpose.
 *
 * @param policyVersion the policy version the grant was decided under
 */
public record Grant(
        String id,
        String datasetId,
        String subject,
        String organisation,
        String purpose,
        List<String> columns,
        List<Transform> transforms,
        int policyVersion,
        Instant issuedAt,
        Instant expiresAt) {
    public Grant {
        requireNonNull(id, "id is null");
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(subject, "subject is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(purpose, "purpose is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
        requireNonNull(issuedAt, "issuedAt is null");
        requireNonNull(expiresAt, "expiresAt is null");
    }

    public boolean heldBy(String subject, String organisation) {
        return this.subject.equals(subject) && this.organisation.equals(organisation);
    }
}
