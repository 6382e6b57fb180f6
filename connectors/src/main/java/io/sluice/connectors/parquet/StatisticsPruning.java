package io.sluice.connectors.parquet;

import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * Decides from per-unit facts (Parquet row-group statistics, partition values) whether a
 * predicate may match any row of the unit. Conservative: whatever it cannot decide may match.
 *
 * <p>Facts and literals are compared in one domain per column type: exact numbers
 * ({@link BigDecimal}: integers, decimals, and dates and timestamps in the column's unit),
 * strings as unsigned UTF-8 bytes, booleans. Floating-point columns are never pruned (NaN
 * ordering differs between writers), nor are unsigned integers, binary or time-of-day columns.
 */
final class StatisticsPruning {
    private StatisticsPruning() {}

    /**
     * What is known about one column in one unit.
     *
     * @param min smallest non-null value in the comparison domain, if known
     * @param max largest non-null value, if known
     * @param nullCount nulls in the unit, or -1 when unknown
     * @param rows rows in the unit
     */
    record Range(Optional<Comparable<?>> min, Optional<Comparable<?>> max, long nullCount, long rows) {
        static Range unknown(long rows) {
            return new Range(Optional.empty(), Optional.empty(), -1, rows);
        }

        boolean allNull() {
            return nullCount >= 0 && nullCount >= rows;
        }
    }

    /** Unsigned lexicographic bytes, the order Parquet uses for strings. */
    record Bytes(byte[] value) implements Comparable<Bytes> {
        @Override
        public int compareTo(Bytes other) {
            return Arrays.compareUnsigned(value, other.value);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Bytes b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /**
     * Whether {@code predicate} (in negation normal form, see {@link Predicate#withoutNot()}) may
     * match a row of the unit whose column facts {@code ranges} gives.
     */
    static boolean mightMatch(Predicate predicate, Function<String, Range> ranges, Function<String, ArrowType> types) {
        return switch (predicate) {
            case Predicate.Comparison c -> compare(ranges.apply(c.column()), types.apply(c.column()), c.op(), c.value());
            case Predicate.In in -> {
                Range range = ranges.apply(in.column());
                ArrowType type = types.apply(in.column());
                for (Literal value : in.values()) {
                    if (compare(range, type, Predicate.Operator.EQ, value)) {
                        yield true;
                    }
                }
                yield false;
            }
            case Predicate.IsNull n -> {
                Range range = ranges.apply(n.column());
                yield range.nullCount() < 0 || range.nullCount() > 0;
            }
            case Predicate.IsNotNull n -> !ranges.apply(n.column()).allNull();
            case Predicate.And and -> and.terms().stream().allMatch(t -> mightMatch(t, ranges, types));
            case Predicate.Or or -> or.terms().stream().anyMatch(t -> mightMatch(t, ranges, types));
            case Predicate.Not not -> true; // not in negation normal form: cannot decide
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static boolean compare(Range range, ArrowType type, Predicate.Operator op, Literal literal) {
        if (range.rows() == 0 || range.allNull()) {
            return false; // a comparison with only nulls is never true
        }
        if (range.min().isEmpty() || range.max().isEmpty()) {
            return true;
        }
        Optional<Comparable<?>> value = literalValue(type, literal);
        if (value.isEmpty()) {
            return true;
        }
        Comparable min = range.min().get();
        Comparable max = range.max().get();
        Comparable v = value.get();
        if (min.getClass() != v.getClass()) {
            return true;
        }
        return switch (op) {
            case EQ -> min.compareTo(v) <= 0 && max.compareTo(v) >= 0;
            case NE -> !(min.compareTo(v) == 0 && max.compareTo(v) == 0);
            case LT -> min.compareTo(v) < 0;
            case LE -> min.compareTo(v) <= 0;
            case GT -> max.compareTo(v) > 0;
            case GE -> max.compareTo(v) >= 0;
        };
    }

    /** {@code literal} in the comparison domain of a column of {@code type}, if it has one. */
    static Optional<Comparable<?>> literalValue(ArrowType type, Literal literal) {
        try {
            return Optional.ofNullable(switch (type) {
                case ArrowType.Int i when i.getIsSigned() -> number(literal);
                case ArrowType.Decimal _ -> number(literal);
                case ArrowType.Bool _ -> literal instanceof Literal.Bool b ? b.value() : null;
                case ArrowType.Utf8 _ -> literal instanceof Literal.Utf8 s
                        ? new Bytes(s.value().getBytes(StandardCharsets.UTF_8)) : null;
                case ArrowType.Date _ -> switch (literal) {
                    case Literal.Date d -> BigDecimal.valueOf(d.value().toEpochDay());
                    case Literal.Timestamp t -> seconds(t.value().getEpochSecond(), t.value().getNano())
                            .divide(BigDecimal.valueOf(86_400), 12, java.math.RoundingMode.FLOOR);
                    default -> null;
                };
                case ArrowType.Timestamp t -> {
                    BigDecimal perSecond = BigDecimal.valueOf(unitsPerSecond(t.getUnit()));
                    yield switch (literal) {
                        case Literal.Timestamp ts -> seconds(ts.value().getEpochSecond(), ts.value().getNano())
                                .multiply(perSecond);
                        case Literal.LocalTimestamp ts -> seconds(ts.value().toEpochSecond(ZoneOffset.UTC),
                                ts.value().getNano()).multiply(perSecond);
                        case Literal.Date d -> BigDecimal.valueOf(d.value().toEpochDay() * 86_400L).multiply(perSecond);
                        default -> null;
                    };
                }
                default -> null;
            });
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty(); // infinities and the like: cannot prune
        }
    }

    private static BigDecimal number(Literal literal) {
        return switch (literal) {
            case Literal.Int64 l -> BigDecimal.valueOf(l.value());
            case Literal.Float64 f -> new BigDecimal(f.value());
            case Literal.Decimal d -> d.value();
            default -> null;
        };
    }

    private static BigDecimal seconds(long epochSecond, int nanos) {
        return BigDecimal.valueOf(epochSecond).add(BigDecimal.valueOf(nanos, 9));
    }

    static long unitsPerSecond(TimeUnit unit) {
        return switch (unit) {
            case SECOND -> 1L;
            case MILLISECOND -> 1_000L;
            case MICROSECOND -> 1_000_000L;
            case NANOSECOND -> 1_000_000_000L;
        };
    }

    /** A decimal statistic (unscaled, as Parquet stores it) in the number domain. */
    static BigDecimal decimal(BigInteger unscaled, int scale) {
        return new BigDecimal(unscaled, scale);
    }
}
