package io.sluice.policy.filter;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.FieldPath;
import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.internal.filter.ColumnType;
import io.sluice.policy.internal.filter.RowFilterParser;
import java.util.regex.Pattern;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Entry points of the row-filter language (docs/decisions/0005-row-filter-language.md): parse an
 * expression into a type-checked {@link RowPredicate}, or check a predicate built by hand. The
 * vectorised evaluation is part of {@link io.sluice.policy.enforce.EnforcementPipeline}. Stateless
 * and thread-safe.
 */
public final class RowFilters {
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private RowFilters() {}

    /**
     * Parses {@code expression} and type-checks it against {@code schema}.
     *
     * @throws PolicyException {@link PolicyErrorCode#INVALID_EXPRESSION} or
     *     {@link PolicyErrorCode#UNKNOWN_COLUMN}, whose message starts with the 1-based position of
     *     the offending token, e.g. {@code "position 9: unknown column 'agee'; ..."}
     */
    public static RowPredicate parse(String expression, Schema schema) {
        return RowFilterParser.parse(expression, schema);
    }

    /**
     * Checks a predicate built without the parser against {@code schema}: every column exists and
     * can be compared with its literals.
     *
     * @throws PolicyException naming the column and the literal that do not fit
     */
    public static void check(RowPredicate predicate, Schema schema) {
        requireNonNull(predicate, "predicate is null");
        requireNonNull(schema, "schema is null");
        switch (predicate) {
            case RowPredicate.Compare compare -> {
                ColumnType type = type(compare.column(), schema);
                if (!type.accepts(compare.operator())) {
                    throw new PolicyException(PolicyErrorCode.INVALID_EXPRESSION, "operator "
                            + compare.operator().symbol() + " does not apply to bool column '" + compare.column() + "'");
                }
                literal(compare.column(), compare.value(), type, schema);
            }
            case RowPredicate.In in -> {
                ColumnType type = type(in.column(), schema);
                in.values().forEach(value -> literal(in.column(), value, type, schema));
            }
            case RowPredicate.IsNull isNull -> type(isNull.column(), schema);
            case RowPredicate.And and -> and.operands().forEach(operand -> check(operand, schema));
            case RowPredicate.Or or -> or.operands().forEach(operand -> check(operand, schema));
            case RowPredicate.Not not -> check(not.operand(), schema);
        }
    }

    /** A column name or field path as the language writes it: bare when it can be, else double-quoted. */
    public static String quoteColumn(String column) {
        String first = column.indexOf('.') < 0 ? column : column.substring(0, column.indexOf('.'));
        boolean keyword = switch (first.toUpperCase(java.util.Locale.ROOT)) {
            case "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE", "DATE", "TIMESTAMP" -> true;
            default -> false;
        };
        return PLAIN_NAME.matcher(column).matches() && !keyword ? column : "\"" + column.replace("\"", "\"\"") + "\"";
    }

    private static ColumnType type(String column, Schema schema) {
        Field field = field(column, schema);
        ColumnType type = ColumnType.of(field.getType());
        if (type == ColumnType.UNSUPPORTED) {
            throw new PolicyException(PolicyErrorCode.INVALID_EXPRESSION, "column '" + column + "' has type "
                    + ColumnType.describe(field.getType()) + ", which filters cannot compare");
        }
        return type;
    }

    /**
     * The field a row filter reads: a top-level column, or a field reached through structs only
     * ({@link FieldPath}); a path into a list or map holds many values per row and is refused.
     */
    public static Field field(String column, Schema schema) {
        FieldPath path;
        try {
            path = FieldPath.resolve(schema, column);
        } catch (PolicyException e) {
            if (column.indexOf('.') < 0) {
                throw new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN, "unknown column '" + column
                        + "'; the dataset has columns " + schema.getFields().stream().map(Field::getName).toList());
            }
            throw e;
        }
        if (path.throughList()) {
            throw new PolicyException(PolicyErrorCode.INVALID_EXPRESSION, "field '" + column + "' lies inside a list"
                    + " or a map; a row filter reads one value per row, so it may reach into structs only");
        }
        return path.field();
    }

    private static void literal(String column, Literal literal, ColumnType type, Schema schema) {
        if (!type.accepts(literal)) {
            Field field = field(column, schema);
            throw new PolicyException(PolicyErrorCode.INVALID_EXPRESSION, "cannot compare "
                    + ColumnType.describe(field.getType()) + " column '" + column + "' with "
                    + ColumnType.describe(literal));
        }
    }
}
