package io.sluice.policy.internal;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Duty;
import io.sluice.policy.Rule;
import io.sluice.policy.Transform;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What one permission's duties do to a dataset: which columns it drops and which may leave.
 *
 * @param dropped the dropped columns that exist in the schema, in the order the duties name them
 * @param remaining the schema's columns that are not dropped, in schema order
 */
record PermissionEffect(List<String> dropped, List<String> remaining) {
    PermissionEffect {
        dropped = List.copyOf(requireNonNull(dropped, "dropped is null"));
        remaining = List.copyOf(requireNonNull(remaining, "remaining is null"));
    }

    static PermissionEffect of(Rule.Permission permission, List<String> schemaColumns) {
        Set<String> dropped = new LinkedHashSet<>();
        for (Duty duty : permission.duties()) {
            switch (duty) {
                case Duty.Drop drop -> dropped.addAll(drop.columns());
            }
        }
        // A policy checked against an older schema may name a column that is gone: it drops nothing.
        dropped.retainAll(Set.copyOf(schemaColumns));
        List<String> remaining = schemaColumns.stream().filter(column -> !dropped.contains(column)).toList();
        return new PermissionEffect(List.copyOf(dropped), remaining);
    }

    /** The transform a grant under this permission carries, if it drops anything. */
    Optional<Transform> transform() {
        return dropped.isEmpty() ? Optional.empty() : Optional.of(new Transform("drop", dropped));
    }
}
