package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * Something a permission obliges the broker to do to the data before it leaves. Sealed, like
 * {@link Constraint}, so that the planned duties (pseudonymise, generalise, mask, row filter) are
 * added as new records and every {@code switch} over duties must then handle them: a duty is
 * never silently skipped.
 */
public sealed interface Duty {

    /**
     * Keeps columns from leaving at all ({@code sluice:drop}).
     *
     * @param columns the dropped columns, non-empty, each named once (a repeat is ignored), in the order
     *     written
     */
    record Drop(List<String> columns) implements Duty {
        public Drop {
            columns = List.copyOf(new LinkedHashSet<>(requireNonNull(columns, "columns is null")));
            if (columns.isEmpty()) {
                throw new IllegalArgumentException("a drop needs at least one column");
            }
        }
    }
}
