package io.sluice.policy.internal;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Duty;
import io.sluice.policy.FieldPath;
import io.sluice.policy.Rule;
import io.sluice.policy.Transform;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What one permission's duties do to a dataset: which columns it drops and which may leave.
 *
 * @param dropped the dropped columns that exist in the schema, in the order the duties name them
 * @param droppedFields the dropped fields inside columns ({@code encounter.note}), in the order
 *     the duties name them; their columns still leave, without them
 * @param remaining the schema's columns that are not dropped, in schema order
 * @param columns all of the schema's top-level columns, against which a path's column is found
 */
record PermissionEffect(List<String> dropped, List<String> droppedFields, List<String> remaining,
        List<String> columns) {
    PermissionEffect {
        dropped = List.copyOf(requireNonNull(dropped, "dropped is null"));
        droppedFields = List.copyOf(requireNonNull(droppedFields, "droppedFields is null"));
        remaining = List.copyOf(requireNonNull(remaining, "remaining is null"));
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
    }

    static PermissionEffect of(Rule.Permission permission, List<String> schemaColumns) {
        Set<String> dropped = new LinkedHashSet<>();
        for (Duty duty : permission.duties()) {
            switch (duty) {
                case Duty.Drop drop -> dropped.addAll(drop.columns());
                case Duty.Pseudonymise p -> { }
                case Duty.Generalise g -> { }
                case Duty.Mask m -> { }
                case Duty.RowFilter r -> { }
            }
        }
        List<String> fields = new ArrayList<>();
        for (String path : dropped) {
            if (!schemaColumns.contains(path) && schemaColumns.contains(FieldPath.column(path, schemaColumns))) {
                fields.add(path);
            }
        }
        // A policy checked against an older schema may name a column that is gone: it drops nothing.
        dropped.retainAll(Set.copyOf(schemaColumns));
        List<String> remaining = schemaColumns.stream().filter(column -> !dropped.contains(column)).toList();
        return new PermissionEffect(List.copyOf(dropped), fields, remaining, schemaColumns);
    }

    /**
     * The transform a grant of {@code leaving} under this permission carries for its drops, if it
     * drops anything: the dropped columns, then the dropped fields of leaving columns.
     */
    Optional<Transform> dropTransform(List<String> leaving) {
        List<String> all = new ArrayList<>(dropped);
        droppedFields.stream().filter(path -> leaving.contains(FieldPath.column(path, columns))).forEach(all::add);
        return all.isEmpty() ? Optional.empty() : Optional.of(new Transform("drop", all));
    }

    /**
     * Every transform a grant of {@code leaving} under {@code permission} carries: its drops as one
     * transform, then each other duty in document order, limited to the leaving columns.
     */
    List<Transform> transforms(Rule.Permission permission, List<String> leaving) {
        List<Transform> transforms = new ArrayList<>(permission.duties().size());
        dropTransform(leaving).ifPresent(transforms::add);
        for (Duty duty : permission.duties()) {
            if (!(duty instanceof Duty.Drop)) {
                duty.transform(leaving, columns).ifPresent(transforms::add);
            }
        }
        return transforms;
    }
}
