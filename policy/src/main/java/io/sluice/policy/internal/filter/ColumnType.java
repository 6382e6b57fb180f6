package io.sluice.policy.internal.filter;

import io.sluice.policy.filter.ComparisonOperator;
import io.sluice.policy.filter.Literal;
import java.util.Locale;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * What a row filter can do with a column of a given Arrow type. Filters compare integers (signed
 * 8 to 64 bits, unsigned 8 to 32), floating point (32, 64), utf8 strings, booleans, dates (day,
 * millisecond) and timestamps (any unit, with or without zone); everything else is refused when
 * the policy is registered.
 */
public enum ColumnType {
    INTEGER,
    FLOATING,
    STRING,
    BOOLEAN,
    DATE_DAY,
    DATE_MILLI,
    TIMESTAMP,
    UNSUPPORTED;

    public static ColumnType of(ArrowType type) {
        return switch (type) {
            case ArrowType.Int i -> i.getBitWidth() == 64 && !i.getIsSigned() ? UNSUPPORTED : INTEGER;
            case ArrowType.FloatingPoint f -> switch (f.getPrecision()) {
                case SINGLE, DOUBLE -> FLOATING;
                case HALF -> UNSUPPORTED;
            };
            case ArrowType.Utf8 u -> STRING;
            case ArrowType.Bool b -> BOOLEAN;
            case ArrowType.Date d -> switch (d.getUnit()) {
                case DAY -> DATE_DAY;
                case MILLISECOND -> DATE_MILLI;
            };
            case ArrowType.Timestamp t -> TIMESTAMP;
            default -> UNSUPPORTED;
        };
    }

    /** Whether a value of this type can be compared with {@code literal}. */
    public boolean accepts(Literal literal) {
        return switch (this) {
            case INTEGER -> literal instanceof Literal.Int;
            case FLOATING -> literal instanceof Literal.Int || literal instanceof Literal.Decimal;
            case STRING -> literal instanceof Literal.Text;
            case BOOLEAN -> literal instanceof Literal.Bool;
            case DATE_DAY, DATE_MILLI -> literal instanceof Literal.Date;
            case TIMESTAMP -> literal instanceof Literal.Timestamp || literal instanceof Literal.Date;
            case UNSUPPORTED -> false;
        };
    }

    /** Whether {@code operator} applies: booleans are not ordered. */
    public boolean accepts(ComparisonOperator operator) {
        return this != BOOLEAN || !operator.ordering();
    }

    /** A short name for messages: {@code int32}, {@code utf8}, {@code timestamp[us, UTC]}, {@code date32}. */
    public static String describe(ArrowType type) {
        return switch (type) {
            case ArrowType.Int i -> (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
            case ArrowType.FloatingPoint f -> switch (f.getPrecision()) {
                case HALF -> "float16";
                case SINGLE -> "float32";
                case DOUBLE -> "float64";
            };
            case ArrowType.Utf8 u -> "utf8";
            case ArrowType.LargeUtf8 u -> "large_utf8";
            case ArrowType.Bool b -> "bool";
            case ArrowType.Date d -> switch (d.getUnit()) {
                case DAY -> "date32";
                case MILLISECOND -> "date64";
            };
            case ArrowType.Timestamp t -> "timestamp[" + unit(t.getUnit())
                    + (t.getTimezone() == null ? "" : ", " + t.getTimezone()) + "]";
            case ArrowType.Decimal d -> "decimal(" + d.getPrecision() + ", " + d.getScale() + ")";
            case ArrowType.Binary b -> "binary";
            case ArrowType.FixedSizeBinary b -> "fixed_size_binary[" + b.getByteWidth() + "]";
            case ArrowType.Struct s -> "struct";
            case ArrowType.List l -> "list";
            case ArrowType.LargeList l -> "large_list";
            case ArrowType.FixedSizeList l -> "fixed_size_list[" + l.getListSize() + "]";
            case ArrowType.Map m -> "map";
            default -> type.toString().toLowerCase(Locale.ROOT);
        };
    }

    /** A literal for messages: {@code string literal 'x'}. */
    public static String describe(Literal literal) {
        String kind = switch (literal) {
            case Literal.Int i -> "integer";
            case Literal.Decimal d -> "decimal";
            case Literal.Text t -> "string";
            case Literal.Bool b -> "boolean";
            case Literal.Date d -> "date";
            case Literal.Timestamp t -> "timestamp";
        };
        return kind + " literal " + literal.sql();
    }

    private static String unit(org.apache.arrow.vector.types.TimeUnit unit) {
        return switch (unit) {
            case SECOND -> "s";
            case MILLISECOND -> "ms";
            case MICROSECOND -> "us";
            case NANOSECOND -> "ns";
        };
    }
}
