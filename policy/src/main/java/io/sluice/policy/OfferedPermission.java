package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One permission of a policy as the catalog offers it: the rule itself (its constraints and duties,
 * for a consumer to read) and what a grant under it would deliver when no columns are named.
 *
 * @param permission the rule as parsed
 * @param columns the columns that can leave under it, in schema order (never empty: a permission
 *     that drops every column offers nothing and is left out of the offer)
 * @param transforms what a grant of {@code columns} under it carries, as {@link PolicyDecision.Permit#transforms()}
 * @param outputSchema the Arrow schema of the batches such a grant streams: {@code columns} after the
 *     transforms (a pseudonymised column is utf8, a column masked with null nullable)
 * @param maxStreams the streams its {@code count} constraints allow one grant, if they limit them
 * @param expiresAt when its {@code dateTime} upper bounds stop holding, if it has any; an
 *     {@code elapsedTime} bound counts from each grant's issue and so is not an instant here
 */
public record OfferedPermission(Rule.Permission permission, List<String> columns, List<Transform> transforms,
        Schema outputSchema, OptionalLong maxStreams, Optional<Instant> expiresAt) {
    public OfferedPermission {
        requireNonNull(permission, "permission is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("an offered permission lets at least one column leave");
        }
        transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
        requireNonNull(outputSchema, "outputSchema is null");
        requireNonNull(maxStreams, "maxStreams is null");
        requireNonNull(expiresAt, "expiresAt is null");
    }
}
