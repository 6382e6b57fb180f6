package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A row condition a scan may push down to its source: comparisons of one column with a typed
 * {@link Literal}, {@code IN}, {@code IS [NOT] NULL}, combined with {@code AND}, {@code OR} and
 * {@code NOT}.
 *
 * <p>This is the connectors module's own small model. The policy module has a richer expression
 * language; the broker translates what it can into this model (and keeps filtering with its own
 * engine). Connectors never parse predicate strings.
 *
 * <p>Semantics are SQL's three-valued logic: a comparison with a null cell is unknown, and a row
 * matches only when the whole predicate is true. {@link Not} is exact under that logic
 * ({@code NOT (a < 5)} matches the rows where {@code a >= 5}; rows where {@code a} is null match
 * neither).
 *
 * <p><b>Contract for sources</b>: a pushed-down predicate lets a source leave out data that cannot
 * match (Parquet row groups whose statistics exclude it, a SQL {@code WHERE}); it never leaves out a
 * row that matches. Whether the rows a source returns all match depends on the source (see
 * {@link BatchSource#filtersExactly()}), so a caller that needs exact results filters again.
 */
public sealed interface Predicate {

    /** The comparison operators. */
    enum Operator {
        EQ("="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

        private final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        /** The operator that holds exactly when this one is false (for non-null operands). */
        public Operator negate() {
            return switch (this) {
                case EQ -> NE;
                case NE -> EQ;
                case LT -> GE;
                case LE -> GT;
                case GT -> LE;
                case GE -> LT;
            };
        }
    }

    /** {@code column op value}. */
    record Comparison(String column, Operator op, Literal value) implements Predicate {
        public Comparison {
            requireColumn(column);
            requireNonNull(op, "op is null");
            requireNonNull(value, "value is null");
        }
    }

    /** {@code column IN (values...)}; at least one value. */
    record In(String column, List<Literal> values) implements Predicate {
        public In {
            requireColumn(column);
            values = List.copyOf(requireNonNull(values, "values is null"));
            if (values.isEmpty()) {
                throw new IllegalArgumentException("IN needs at least one value");
            }
        }
    }

    /** {@code column IS NULL}. */
    record IsNull(String column) implements Predicate {
        public IsNull {
            requireColumn(column);
        }
    }

    /** {@code column IS NOT NULL}. */
    record IsNotNull(String column) implements Predicate {
        public IsNotNull {
            requireColumn(column);
        }
    }

    /** Every term holds; at least one term. */
    record And(List<Predicate> terms) implements Predicate {
        public And {
            terms = List.copyOf(requireNonNull(terms, "terms is null"));
            if (terms.isEmpty()) {
                throw new IllegalArgumentException("AND needs at least one term");
            }
        }
    }

    /** Some term holds; at least one term. */
    record Or(List<Predicate> terms) implements Predicate {
        public Or {
            terms = List.copyOf(requireNonNull(terms, "terms is null"));
            if (terms.isEmpty()) {
                throw new IllegalArgumentException("OR needs at least one term");
            }
        }
    }

    /** The term does not hold (and is not unknown). */
    record Not(Predicate term) implements Predicate {
        public Not {
            requireNonNull(term, "term is null");
        }
    }

    static Predicate compare(String column, Operator op, Literal value) {
        return new Comparison(column, op, value);
    }

    static Predicate eq(String column, Literal value) {
        return new Comparison(column, Operator.EQ, value);
    }

    static Predicate ne(String column, Literal value) {
        return new Comparison(column, Operator.NE, value);
    }

    static Predicate lt(String column, Literal value) {
        return new Comparison(column, Operator.LT, value);
    }

    static Predicate le(String column, Literal value) {
        return new Comparison(column, Operator.LE, value);
    }

    static Predicate gt(String column, Literal value) {
        return new Comparison(column, Operator.GT, value);
    }

    static Predicate ge(String column, Literal value) {
        return new Comparison(column, Operator.GE, value);
    }

    static Predicate in(String column, List<Literal> values) {
        return new In(column, values);
    }

    static Predicate isNull(String column) {
        return new IsNull(column);
    }

    static Predicate isNotNull(String column) {
        return new IsNotNull(column);
    }

    static Predicate and(Predicate... terms) {
        return new And(List.of(terms));
    }

    static Predicate or(Predicate... terms) {
        return new Or(List.of(terms));
    }

    static Predicate not(Predicate term) {
        return new Not(term);
    }

    /** The columns the predicate reads, in first-mention order. */
    default Set<String> columns() {
        Set<String> columns = new LinkedHashSet<>();
        collectColumns(this, columns);
        return columns;
    }

    /**
     * The same condition with every {@link Not} pushed down to the leaves (negation normal form):
     * the result contains no {@code Not}. Exact under three-valued logic.
     */
    default Predicate withoutNot() {
        return pushNot(this, false);
    }

    /**
     * Checks that every column exists in {@code schema} and that every literal can be compared
     * with its column's type (see {@link Literal}).
     *
     * @param sourceName the source as callers know it, for messages
     * @throws ConnectorException {@link ConnectorErrorCode#UNKNOWN_COLUMN} or
     *     {@link ConnectorErrorCode#INVALID_PREDICATE} naming the column and the types
     */
    default void checkAgainst(Schema schema, String sourceName) {
        requireNonNull(schema, "schema is null");
        switch (this) {
            case Comparison c -> checkLiteral(schema, sourceName, c.column(), c.value());
            case In in -> in.values().forEach(v -> checkLiteral(schema, sourceName, in.column(), v));
            case IsNull n -> field(schema, sourceName, n.column());
            case IsNotNull n -> field(schema, sourceName, n.column());
            case And and -> and.terms().forEach(t -> t.checkAgainst(schema, sourceName));
            case Or or -> or.terms().forEach(t -> t.checkAgainst(schema, sourceName));
            case Not not -> not.term().checkAgainst(schema, sourceName);
        }
    }

    /** Whether {@code literal} may be compared with a column of {@code type}. */
    static boolean comparable(ArrowType type, Literal literal) {
        boolean numeric = type instanceof ArrowType.Int || type instanceof ArrowType.FloatingPoint
                || type instanceof ArrowType.Decimal;
        return switch (literal) {
            case Literal.Int64 _, Literal.Float64 _, Literal.Decimal _ -> numeric;
            case Literal.Bool _ -> type instanceof ArrowType.Bool;
            case Literal.Utf8 _ -> type instanceof ArrowType.Utf8 || type instanceof ArrowType.LargeUtf8;
            case Literal.Date _, Literal.Timestamp _ ->
                    type instanceof ArrowType.Date || type instanceof ArrowType.Timestamp;
            case Literal.LocalTimestamp _ -> type instanceof ArrowType.Timestamp t && t.getTimezone() == null;
        };
    }

    private static Field field(Schema schema, String sourceName, String column) {
        for (Field field : schema.getFields()) {
            if (field.getName().equals(column)) {
                return field;
            }
        }
        throw new ConnectorException(ConnectorErrorCode.UNKNOWN_COLUMN, "the predicate names unknown column '"
                + column + "' of " + sourceName + "; available columns: "
                + schema.getFields().stream().map(Field::getName).toList());
    }

    private static void checkLiteral(Schema schema, String sourceName, String column, Literal literal) {
        Field field = field(schema, sourceName, column);
        if (!comparable(field.getType(), literal)) {
            throw new ConnectorException(ConnectorErrorCode.INVALID_PREDICATE, "the predicate compares column '"
                    + column + "' of type " + field.getType() + " with a " + literal.kind() + " literal");
        }
    }

    /** The predicate as SQL-like text for logs and messages (literals are shown). */
    default String describe() {
        return switch (this) {
            case Comparison c -> c.column() + " " + c.op().symbol() + " " + describe(c.value());
            case In in -> in.column() + " IN (" + String.join(", ", in.values().stream().map(Predicate::describe)
                    .toList()) + ")";
            case IsNull n -> n.column() + " IS NULL";
            case IsNotNull n -> n.column() + " IS NOT NULL";
            case And and -> "(" + String.join(" AND ", and.terms().stream().map(Predicate::describe).toList()) + ")";
            case Or or -> "(" + String.join(" OR ", or.terms().stream().map(Predicate::describe).toList()) + ")";
            case Not not -> "NOT " + not.term().describe();
        };
    }

    private static String describe(Literal literal) {
        return switch (literal) {
            case Literal.Int64 l -> Long.toString(l.value());
            case Literal.Float64 l -> Double.toString(l.value());
            case Literal.Decimal l -> l.value().toPlainString();
            case Literal.Bool l -> Boolean.toString(l.value());
            case Literal.Utf8 l -> "'" + l.value().replace("'", "''") + "'";
            case Literal.Date l -> "DATE '" + l.value() + "'";
            case Literal.Timestamp l -> "TIMESTAMP '" + l.value() + "'";
            case Literal.LocalTimestamp l -> "TIMESTAMP '" + l.value() + "'";
        };
    }

    private static void collectColumns(Predicate predicate, Set<String> columns) {
        switch (predicate) {
            case Comparison c -> columns.add(c.column());
            case In in -> columns.add(in.column());
            case IsNull n -> columns.add(n.column());
            case IsNotNull n -> columns.add(n.column());
            case And and -> and.terms().forEach(t -> collectColumns(t, columns));
            case Or or -> or.terms().forEach(t -> collectColumns(t, columns));
            case Not not -> collectColumns(not.term(), columns);
        }
    }

    private static Predicate pushNot(Predicate predicate, boolean negated) {
        return switch (predicate) {
            case Comparison c -> negated ? new Comparison(c.column(), c.op().negate(), c.value()) : c;
            case In in -> {
                if (!negated) {
                    yield in;
                }
                List<Predicate> terms = new ArrayList<>();
                for (Literal value : in.values()) {
                    terms.add(new Comparison(in.column(), Operator.NE, value));
                }
                yield new And(terms);
            }
            case IsNull n -> negated ? new IsNotNull(n.column()) : n;
            case IsNotNull n -> negated ? new IsNull(n.column()) : n;
            case And and -> {
                List<Predicate> terms = and.terms().stream().map(t -> pushNot(t, negated)).toList();
                yield negated ? new Or(terms) : new And(terms);
            }
            case Or or -> {
                List<Predicate> terms = or.terms().stream().map(t -> pushNot(t, negated)).toList();
                yield negated ? new And(terms) : new Or(terms);
            }
            case Not not -> pushNot(not.term(), !negated);
        };
    }

    private static void requireColumn(String column) {
        requireNonNull(column, "column is null");
        if (column.isEmpty()) {
            throw new IllegalArgumentException("column must not be empty");
        }
    }
}
