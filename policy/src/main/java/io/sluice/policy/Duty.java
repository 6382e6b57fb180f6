package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowPredicate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Something a permission obliges the broker to do to the data before it leaves. Sealed, so every
 * {@code switch} over duties must handle each one: a duty is never silently skipped. The parser
 * checks each against the dataset's schema (column exists, type fits) and that no column is the
 * target of two different duties of one permission.
 */
public sealed interface Duty {

    /**
     * The columns or field paths ({@link FieldPath}, e.g. {@code encounter.diagnosis.code}) the duty
     * changes or reads, in the order written.
     */
    List<String> columns();

    /**
     * The transform a consumer is told about, limited to {@code leaving} columns; empty if it touches none.
     *
     * @param leaving the top-level columns a grant streams
     * @param schemaColumns the dataset's top-level column names, against which each path's column is found
     *     ({@link FieldPath#column}: a column's name may itself contain dots)
     */
    Optional<Transform> transform(List<String> leaving, Collection<String> schemaColumns);

    /**
     * Keeps columns from leaving at all ({@code sluice:drop}).
     *
     * @param columns the dropped columns, non-empty, each named once (a repeat is ignored), in the
     *     order written
     */
    record Drop(List<String> columns) implements Duty {
        public Drop {
            columns = distinct(columns, "a drop needs at least one column");
        }

        /** Drops are reported together, as one {@code drop} transform per permission. */
        @Override
        public Optional<Transform> transform(List<String> leaving, Collection<String> schemaColumns) {
            return Optional.of(new Transform("drop", columns));
        }
    }

    /**
     * Replaces each value of integer, utf8 or binary columns (or fields) with a keyed pseudonym
     * ({@code sluice:pseudonymise}): the lower-case hex of HMAC-SHA256 over the value's canonical
     * bytes, under a key derived from the broker's master key, the dataset and the grant's project.
     * Output is utf8 of exactly 64 characters; nulls stay null.
     *
     * @param columns non-empty, each once
     */
    record Pseudonymise(List<String> columns) implements Duty {
        public Pseudonymise {
            columns = distinct(columns, "a pseudonymise duty needs at least one column");
        }

        @Override
        public Optional<Transform> transform(List<String> leaving, Collection<String> schemaColumns) {
            return report("pseudonymise", columns, leaving, schemaColumns, Map.of("output", "hmac-sha256-hex"));
        }
    }

    /**
     * Coarsens values ({@code sluice:generalise}), keeping the column's type; nulls stay null.
     *
     * @param columns non-empty, each once
     * @param how to year or month, to buckets of a width, or to a prefix
     */
    record Generalise(List<String> columns, Generalisation how) implements Duty {
        public Generalise {
            columns = distinct(columns, "a generalise duty needs at least one column");
            requireNonNull(how, "how is null");
        }

        @Override
        public Optional<Transform> transform(List<String> leaving, Collection<String> schemaColumns) {
            return report("generalise", columns, leaving, schemaColumns, Map.of(how.parameterName(), how.parameterValue()));
        }
    }

    /**
     * Replaces every value ({@code sluice:mask}) with null ({@code "with": null}, the column becomes
     * nullable) or with a constant of the column's type.
     *
     * @param columns non-empty, each once
     * @param with the constant; empty = null
     */
    record Mask(List<String> columns, Optional<Literal> with) implements Duty {
        public Mask {
            columns = distinct(columns, "a mask duty needs at least one column");
            requireNonNull(with, "with is null");
        }

        @Override
        public Optional<Transform> transform(List<String> leaving, Collection<String> schemaColumns) {
            return report("mask", columns, leaving, schemaColumns, Map.of("with", with.map(Literal::sql).orElse("NULL")));
        }
    }

    /**
     * Keeps only the rows for which {@code predicate} is true ({@code sluice:rowFilter}), judged on
     * the values before any other duty changes them; it may read columns that do not leave.
     *
     * @param expression the expression as the owner wrote it
     * @param predicate what it means, type-checked against the schema
     */
    record RowFilter(String expression, RowPredicate predicate) implements Duty {
        public RowFilter {
            requireNonNull(expression, "expression is null");
            requireNonNull(predicate, "predicate is null");
        }

        @Override
        public List<String> columns() {
            return predicate.columns();
        }

        /** Always reported: it applies to every stream whatever columns leave. */
        @Override
        public Optional<Transform> transform(List<String> leaving, Collection<String> schemaColumns) {
            return Optional.of(new Transform("rowFilter", predicate.columns(), Map.of("expression", predicate.sql())));
        }
    }

    private static List<String> distinct(List<String> columns, String emptyMessage) {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(requireNonNull(columns, "columns is null")));
        if (distinct.isEmpty()) {
            throw new IllegalArgumentException(emptyMessage);
        }
        return distinct;
    }

    private static Optional<Transform> report(String type, List<String> targets, List<String> leaving,
            Collection<String> schemaColumns, Map<String, String> parameters) {
        List<String> affected = targets.stream()
                .filter(path -> leaving.contains(FieldPath.column(path, schemaColumns))).toList();
        return affected.isEmpty() ? Optional.empty() : Optional.of(new Transform(type, affected, parameters));
    }
}
