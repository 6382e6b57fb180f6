package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A registered dataset: where its bytes are, which version was registered, and its policy.
 *
 * @param sourcePath the path as the owner gave it, relative to the organisation's directory; empty
 *     for sources that are not files (JDBC)
 * @param sourceOptions the connector's options as the owner gave them; may hold credentials, so
 *     never shown except redacted
 * @param version the connector's fingerprint of the registered bytes
 * @param subjectColumn the column naming the data subject, for opt-outs; empty = opt-outs not possible
 * @param withdrawnAt when its owner withdrew it (no longer in the catalog, no new grants); empty = listed
 */
public record Dataset(
        String id,
        String name,
        String description,
        String organisation,
        String sourceType,
        Optional<String> sourcePath,
        Map<String, String> sourceOptions,
        String version,
        Schema schema,
        OptionalLong rows,
        String policyJson,
        int policyVersion,
        Optional<String> subjectColumn,
        Instant registeredAt,
        Optional<Instant> withdrawnAt) {
    public Dataset {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(sourceType, "sourceType is null");
        requireNonNull(sourcePath, "sourcePath is null");
        sourceOptions = Map.copyOf(requireNonNull(sourceOptions, "sourceOptions is null"));
        requireNonNull(version, "version is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(rows, "rows is null");
        requireNonNull(policyJson, "policyJson is null");
        requireNonNull(subjectColumn, "subjectColumn is null");
        requireNonNull(registeredAt, "registeredAt is null");
        requireNonNull(withdrawnAt, "withdrawnAt is null");
    }

    public boolean isWithdrawn() {
        return withdrawnAt.isPresent();
    }

    /** This dataset under a new policy version, which may name another subject column. */
    public Dataset withPolicy(String newPolicyJson, int newVersion, Optional<String> newSubjectColumn) {
        return new Dataset(id, name, description, organisation, sourceType, sourcePath, sourceOptions, version, schema, rows,
                newPolicyJson, newVersion, newSubjectColumn, registeredAt, withdrawnAt);
    }
}
