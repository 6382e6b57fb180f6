package io.sluice.policy.filter;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Seeded random schemas, batches (with nulls) and predicates for property tests. Values come from
 * small pools with the edge cases mixed in (type minimum and maximum, NaN, -0.0, infinities,
 * multi-byte and empty strings), so that random literals often meet equal values.
 */
final class RandomBatches {
    static final List<ArrowType> TYPES = List.of(
            new ArrowType.Int(8, true), new ArrowType.Int(16, true), new ArrowType.Int(32, true),
            new ArrowType.Int(64, true), new ArrowType.Int(8, false), new ArrowType.Int(16, false),
            new ArrowType.Int(32, false),
            new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
            ArrowType.Utf8.INSTANCE, ArrowType.Bool.INSTANCE,
            new ArrowType.Date(DateUnit.DAY), new ArrowType.Date(DateUnit.MILLISECOND),
            new ArrowType.Timestamp(TimeUnit.SECOND, null), new ArrowType.Timestamp(TimeUnit.MILLISECOND, "UTC"),
            new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC"));

    private static final String[] STRINGS = {"", "a", "ab", "b", "B", "é", "€uro", "😀", "a'b", "zz", "abc"};
    private static final double[] DOUBLES = {0.0, -0.0, 1.5, -1.5, 2.0, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 0.1, 100.25};
    private static final long EPOCH_DAY = LocalDate.parse("2020-02-28").toEpochDay();

    private final Random random;

    RandomBatches(long seed) {
        this.random = new Random(seed);
    }

    Schema schema() {
        int columns = 2 + random.nextInt(5);
        List<Field> fields = new ArrayList<>();
        for (int i = 0; i < columns; i++) {
            ArrowType type = TYPES.get(random.nextInt(TYPES.size()));
            fields.add(new Field(random.nextInt(4) == 0 ? "col " + i : "c" + i, FieldType.nullable(type), null));
        }
        return new Schema(fields);
    }

    VectorSchemaRoot batch(Schema schema, BufferAllocator allocator) {
        int rows = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(3);
            case 1 -> 64 * (1 + random.nextInt(3));
            default -> random.nextInt(300);
        };
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            root.allocateNew();
            double nullRate = random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.5;
            for (FieldVector vector : root.getFieldVectors()) {
                for (int row = 0; row < rows; row++) {
                    if (random.nextDouble() < nullRate) {
                        vector.setNull(row);
                    } else {
                        set(vector, row);
                    }
                }
                vector.setValueCount(rows);
            }
            root.setRowCount(rows);
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private void set(FieldVector vector, int row) {
        switch (vector) {
            case Float4Vector f -> f.setSafe(row, (float) DOUBLES[random.nextInt(DOUBLES.length)]);
            case Float8Vector f -> f.setSafe(row, DOUBLES[random.nextInt(DOUBLES.length)]);
            case BitVector b -> b.setSafe(row, random.nextInt(2));
            case VarCharVector s -> s.setSafe(row, STRINGS[random.nextInt(STRINGS.length)].getBytes(StandardCharsets.UTF_8));
            case DateDayVector d -> d.setSafe(row, (int) (EPOCH_DAY + random.nextInt(5) - 2));
            case DateMilliVector d -> d.setSafe(row, (EPOCH_DAY + random.nextInt(5) - 2) * 86_400_000L
                    + (random.nextBoolean() ? 0 : random.nextInt(86_400_000)));
            case TimeStampVector t -> t.setSafe(row, timestamp(((ArrowType.Timestamp) t.getField().getType()).getUnit()));
            case BaseIntVector i -> i.setWithPossibleTruncate(row, integer((ArrowType.Int) vector.getField().getType()));
            default -> throw new IllegalStateException("no generator for " + vector.getField());
        }
        ((org.apache.arrow.vector.ValueVector) vector).getValueCount();
    }

    private long integer(ArrowType.Int type) {
        int bits = type.getBitWidth();
        long min = type.getIsSigned() ? (bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1))) : 0;
        long max = type.getIsSigned() ? (bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1) : (1L << bits) - 1;
        return switch (random.nextInt(10)) {
            case 0 -> min;
            case 1 -> max;
            default -> Math.max(min, Math.min(max, random.nextInt(11) - 5));
        };
    }

    private long timestamp(TimeUnit unit) {
        long perSecond = switch (unit) {
            case SECOND -> 1;
            case MILLISECOND -> 1_000;
            case MICROSECOND -> 1_000_000;
            case NANOSECOND -> 1_000_000_000;
        };
        long second = EPOCH_DAY * 86_400 + random.nextInt(3) * 43_200L - 43_200;
        return second * perSecond + (random.nextBoolean() ? 0 : random.nextInt((int) Math.min(perSecond, 3)));
    }

    /** A random predicate over {@code schema}'s columns, at most {@code depth} levels deep. */
    RowPredicate predicate(Schema schema, int depth) {
        if (depth > 0 && random.nextInt(3) > 0) {
            int kind = random.nextInt(3);
            if (kind == 2) {
                return new RowPredicate.Not(predicate(schema, depth - 1));
            }
            List<RowPredicate> operands = new ArrayList<>();
            for (int i = 0, n = 2 + random.nextInt(2); i < n; i++) {
                operands.add(predicate(schema, depth - 1));
            }
            return kind == 0 ? new RowPredicate.And(operands) : new RowPredicate.Or(operands);
        }
        Field field = schema.getFields().get(random.nextInt(schema.getFields().size()));
        String column = field.getName();
        int kind = random.nextInt(10);
        if (kind == 0) {
            return new RowPredicate.IsNull(column);
        }
        if (kind <= 2) {
            List<Literal> values = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(random.nextBoolean() ? 3 : 12); i < n; i++) {
                values.add(literal(field.getType()));
            }
            return new RowPredicate.In(column, values);
        }
        ComparisonOperator[] operators = field.getType() instanceof ArrowType.Bool
                ? new ComparisonOperator[] {ComparisonOperator.EQ, ComparisonOperator.NEQ}
                : ComparisonOperator.values();
        return new RowPredicate.Compare(column, operators[random.nextInt(operators.length)], literal(field.getType()));
    }

    private Literal literal(ArrowType type) {
        return switch (type) {
            case ArrowType.Int i -> new Literal.Int(integer(i) + (random.nextInt(8) == 0 ? random.nextInt(3) - 1 : 0));
            case ArrowType.FloatingPoint f -> switch (random.nextInt(3)) {
                case 0 -> new Literal.Int(random.nextInt(5) - 2);
                case 1 -> new Literal.Decimal(new BigDecimal(random.nextInt(400) - 200).movePointLeft(random.nextInt(3)));
                default -> new Literal.Decimal(new BigDecimal(new String[] {"0.0", "1.5", "-1.5", "0.1", "100.25",
                    "2.00"}[random.nextInt(6)]));
            };
            case ArrowType.Utf8 u -> new Literal.Text(STRINGS[random.nextInt(STRINGS.length)]);
            case ArrowType.Bool b -> new Literal.Bool(random.nextBoolean());
            case ArrowType.Date d -> new Literal.Date(LocalDate.ofEpochDay(EPOCH_DAY + random.nextInt(7) - 3));
            case ArrowType.Timestamp t -> random.nextInt(4) == 0
                    ? new Literal.Date(LocalDate.ofEpochDay(EPOCH_DAY + random.nextInt(3) - 1))
                    : new Literal.Timestamp(Instant.ofEpochSecond(EPOCH_DAY * 86_400 + random.nextInt(3) * 43_200L
                            - 43_200, random.nextBoolean() ? 0 : random.nextInt(3)));
            default -> throw new IllegalStateException("no literal for " + type);
        };
    }
}
