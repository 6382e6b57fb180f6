package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * One version of a dataset's policy, as it was stored.
 *
 * @param subjectColumn the subject column in force with this version
 * @param changedBySubject who made it; empty for versions made before the broker recorded it (the
 *     audit log's {@code dataset.registered} or {@code policy.changed} record still says)
 * @param changedByOrganisation the organisation of {@code changedBySubject}
 */
public record PolicyVersion(String datasetId, int version, String policyJson, Optional<String> subjectColumn,
        Instant createdAt, Optional<String> changedBySubject, Optional<String> changedByOrganisation) {
    public PolicyVersion {
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(policyJson, "policyJson is null");
        requireNonNull(subjectColumn, "subjectColumn is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(changedBySubject, "changedBySubject is null");
        requireNonNull(changedByOrganisation, "changedByOrganisation is null");
    }
}
