package io.sluice.policy.filter;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * A deliberately simple row-at-a-time evaluator of {@link RowPredicate}, for checking the vectorised
 * one: each value is read through the typed vector's accessor and compared as an exact number
 * (BigDecimal), a double, a byte string or a boolean; {@code null} stands for SQL's unknown.
 */
final class ReferenceEvaluator {
    private ReferenceEvaluator() {}

    static boolean[] select(RowPredicate predicate, VectorSchemaRoot batch) {
        boolean[] selected = new boolean[batch.getRowCount()];
        for (int row = 0; row < selected.length; row++) {
            selected[row] = Boolean.TRUE.equals(eval(predicate, batch, row));
        }
        return selected;
    }

    static Boolean eval(RowPredicate predicate, VectorSchemaRoot batch, int row) {
        return switch (predicate) {
            case RowPredicate.And and -> {
                boolean unknown = false;
                for (RowPredicate operand : and.operands()) {
                    Boolean value = eval(operand, batch, row);
                    if (Boolean.FALSE.equals(value)) {
                        yield false;
                    }
                    unknown |= value == null;
                }
                yield unknown ? null : true;
            }
            case RowPredicate.Or or -> {
                boolean unknown = false;
                for (RowPredicate operand : or.operands()) {
                    Boolean value = eval(operand, batch, row);
                    if (Boolean.TRUE.equals(value)) {
                        yield true;
                    }
                    unknown |= value == null;
                }
                yield unknown ? null : false;
            }
            case RowPredicate.Not not -> {
                Boolean value = eval(not.operand(), batch, row);
                yield value == null ? null : !value;
            }
            case RowPredicate.IsNull isNull -> batch.getVector(isNull.column()).isNull(row);
            case RowPredicate.Compare compare -> {
                FieldVector vector = batch.getVector(compare.column());
                if (vector.isNull(row)) {
                    yield null;
                }
                yield compare(vector, row, compare.operator(), compare.value());
            }
            case RowPredicate.In in -> {
                FieldVector vector = batch.getVector(in.column());
                if (vector.isNull(row)) {
                    yield null;
                }
                boolean any = false;
                for (Literal literal : in.values()) {
                    any |= compare(vector, row, ComparisonOperator.EQ, literal);
                }
                yield any;
            }
        };
    }

    private static boolean compare(FieldVector vector, int row, ComparisonOperator operator, Literal literal) {
        return switch (vector) {
            case Float4Vector f -> doubles(f.get(row), operator, literal);
            case Float8Vector f -> doubles(f.get(row), operator, literal);
            case BitVector b -> {
                boolean value = b.get(row) == 1;
                boolean wanted = ((Literal.Bool) literal).value();
                yield operator == ComparisonOperator.EQ ? value == wanted : value != wanted;
            }
            case VarCharVector s -> operator.test(Integer.signum(Arrays.compareUnsigned(s.get(row),
                    ((Literal.Text) literal).value().getBytes(StandardCharsets.UTF_8))));
            default -> operator.test(exact(vector, row).compareTo(exactLiteral(vector.getField().getType(), literal)));
        };
    }

    /** IEEE comparison: NaN is unordered and equal to nothing. */
    private static boolean doubles(double value, ComparisonOperator operator, Literal literal) {
        double c = switch (literal) {
            case Literal.Int i -> (double) i.value();
            case Literal.Decimal d -> d.value().doubleValue();
            default -> throw new IllegalStateException(literal.toString());
        };
        return switch (operator) {
            case EQ -> value == c;
            case NEQ -> value != c;
            case LT -> value < c;
            case LTEQ -> value <= c;
            case GT -> value > c;
            case GTEQ -> value >= c;
        };
    }

    private static BigDecimal exact(FieldVector vector, int row) {
        long value = switch (vector) {
            case TinyIntVector v -> v.get(row);
            case SmallIntVector v -> v.get(row);
            case IntVector v -> v.get(row);
            case BigIntVector v -> v.get(row);
            case UInt1Vector v -> v.get(row) & 0xFF;
            case UInt2Vector v -> v.get(row);
            case UInt4Vector v -> v.get(row) & 0xFFFFFFFFL;
            case DateDayVector v -> v.get(row);
            case DateMilliVector v -> v.get(row);
            case TimeStampVector v -> v.get(row);
            default -> throw new IllegalStateException("no reference for " + vector.getField());
        };
        return BigDecimal.valueOf(value);
    }

    /** The literal in the column's unit, computed independently of the evaluator. */
    private static BigDecimal exactLiteral(ArrowType type, Literal literal) {
        BigDecimal perSecond = type instanceof ArrowType.Timestamp ts ? switch (ts.getUnit()) {
            case SECOND -> BigDecimal.ONE;
            case MILLISECOND -> new BigDecimal("1000");
            case MICROSECOND -> new BigDecimal("1000000");
            case NANOSECOND -> new BigDecimal("1000000000");
        } : BigDecimal.ONE;
        return switch (literal) {
            case Literal.Int i -> BigDecimal.valueOf(i.value());
            case Literal.Date d -> {
                if (type instanceof ArrowType.Date date) {
                    yield date.getUnit() == org.apache.arrow.vector.types.DateUnit.DAY
                            ? BigDecimal.valueOf(d.value().toEpochDay())
                            : BigDecimal.valueOf(d.value().atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli());
                }
                yield BigDecimal.valueOf(d.value().atStartOfDay(ZoneOffset.UTC).toEpochSecond()).multiply(perSecond);
            }
            case Literal.Timestamp t -> BigDecimal.valueOf(t.value().getEpochSecond())
                    .add(BigDecimal.valueOf(t.value().getNano()).movePointLeft(9)).multiply(perSecond);
            default -> throw new IllegalStateException(literal.toString());
        };
    }
}
