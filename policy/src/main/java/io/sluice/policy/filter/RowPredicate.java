package io.sluice.policy.filter;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A row filter in structured form: what a {@code sluice:rowFilter} expression means, and what the
 * broker hands a connector that can push a filter down (never the expression text). Values compare
 * with SQL's three-valued logic: a comparison with a null value is unknown, {@code NOT unknown} is
 * unknown, {@code false AND unknown} is false, {@code true OR unknown} is true, and a row is kept
 * only when the whole predicate is true.
 *
 * <p>Obtain one type-checked against a schema from {@link RowFilters#parse}; the records only check
 * their own shape. {@code BETWEEN a AND b} is {@code >= a AND <= b}, {@code NOT IN} and
 * {@code IS NOT NULL} are {@link Not} of {@link In} and {@link IsNull}, and a boolean column on its
 * own is {@code column = TRUE}.
 */
public sealed interface RowPredicate {

    /** The columns the predicate reads, each once, in the order they first appear. */
    default List<String> columns() {
        Set<String> columns = new LinkedHashSet<>();
        collectColumns(this, columns);
        return List.copyOf(columns);
    }

    /** The predicate in the row-filter language, fully parenthesised, e.g. {@code (age >= 18 AND consent = TRUE)}. */
    String sql();

    /** {@code column op value}. */
    record Compare(String column, ComparisonOperator operator, Literal value) implements RowPredicate {
        public Compare {
            requireNonNull(column, "column is null");
            requireNonNull(operator, "operator is null");
            requireNonNull(value, "value is null");
        }

        @Override
        public String sql() {
            return RowFilters.quoteColumn(column) + " " + operator.symbol() + " " + value.sql();
        }
    }

    /** {@code column IN (v1, v2, ...)}: true when equal to one, unknown when the value is null. */
    record In(String column, List<Literal> values) implements RowPredicate {
        public In {
            requireNonNull(column, "column is null");
            values = List.copyOf(requireNonNull(values, "values is null"));
            if (values.isEmpty()) {
                throw new IllegalArgumentException("IN needs at least one value");
            }
        }

        @Override
        public String sql() {
            return RowFilters.quoteColumn(column) + " IN ("
                    + values.stream().map(Literal::sql).collect(Collectors.joining(", ")) + ")";
        }
    }

    /** {@code column IS NULL}: never unknown. */
    record IsNull(String column) implements RowPredicate {
        public IsNull {
            requireNonNull(column, "column is null");
        }

        @Override
        public String sql() {
            return RowFilters.quoteColumn(column) + " IS NULL";
        }
    }

    /** Every operand (two or more). */
    record And(List<RowPredicate> operands) implements RowPredicate {
        public And {
            operands = List.copyOf(requireNonNull(operands, "operands is null"));
            if (operands.size() < 2) {
                throw new IllegalArgumentException("AND needs at least two operands");
            }
        }

        @Override
        public String sql() {
            return "(" + operands.stream().map(RowPredicate::sql).collect(Collectors.joining(" AND ")) + ")";
        }
    }

    /** At least one operand (two or more). */
    record Or(List<RowPredicate> operands) implements RowPredicate {
        public Or {
            operands = List.copyOf(requireNonNull(operands, "operands is null"));
            if (operands.size() < 2) {
                throw new IllegalArgumentException("OR needs at least two operands");
            }
        }

        @Override
        public String sql() {
            return "(" + operands.stream().map(RowPredicate::sql).collect(Collectors.joining(" OR ")) + ")";
        }
    }

    /** The negation; unknown stays unknown. */
    record Not(RowPredicate operand) implements RowPredicate {
        public Not {
            requireNonNull(operand, "operand is null");
        }

        @Override
        public String sql() {
            return "NOT (" + operand.sql() + ")";
        }
    }

    private static void collectColumns(RowPredicate predicate, Set<String> into) {
        switch (predicate) {
            case Compare compare -> into.add(compare.column());
            case In in -> into.add(in.column());
            case IsNull isNull -> into.add(isNull.column());
            case And and -> and.operands().forEach(operand -> collectColumns(operand, into));
            case Or or -> or.operands().forEach(operand -> collectColumns(operand, into));
            case Not not -> collectColumns(not.operand(), into);
        }
    }
}
