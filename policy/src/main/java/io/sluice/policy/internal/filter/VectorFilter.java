package io.sluice.policy.internal.filter;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.FieldPath;
import io.sluice.policy.filter.ComparisonOperator;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowFilters;
import io.sluice.policy.filter.RowPredicate;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A {@link RowPredicate} compiled to a vectorised evaluator over Arrow vectors. Each node of the
 * predicate produces two bitmaps over the batch, {@code t} (rows where it is true) and {@code f}
 * (false); rows in neither are unknown (SQL NULL). Comparisons read the vectors' memory directly,
 * 64 rows per word, without per-row objects or boxing; {@code NOT} swaps the two bitmaps,
 * {@code AND} is {@code t1 & t2, f1 | f2}, {@code OR} is {@code t1 | t2, f1 & f2}. The selection is
 * the final {@code t}.
 *
 * <p>Values compare as documented in docs/decisions/0005-row-filter-language.md: integers exactly
 * (as 64-bit), floating point as double (NaN equals nothing and is unordered), strings by UTF-8
 * bytes, dates and timestamps in the column's unit with the literal converted exactly.
 *
 * <p>Not thread-safe: an instance keeps scratch bitmaps between batches; use one per stream.
 */
public final class VectorFilter {
    private final Node root;
    private long[] selection = new long[0];
    private long[] scratch = new long[0];

    private VectorFilter(Node root) {
        this.root = root;
    }

    /** Compiles {@code predicate}, checking it against {@code schema} first. */
    public static VectorFilter compile(RowPredicate predicate, Schema schema) {
        requireNonNull(predicate, "predicate is null");
        requireNonNull(schema, "schema is null");
        RowFilters.check(predicate, schema);
        return new VectorFilter(node(predicate, schema));
    }

    /**
     * Evaluates the predicate on {@code batch}'s rows. The returned words (at least
     * {@link Bitmaps#words} of the row count) hold the selected rows; they belong to this filter and
     * are overwritten by the next call.
     *
     * @throws IllegalArgumentException if the batch lacks a column the predicate reads, or has it
     *     with another type
     */
    public long[] select(VectorSchemaRoot batch) {
        int rows = batch.getRowCount();
        int words = Bitmaps.words(rows);
        if (selection.length < words) {
            selection = new long[words];
            scratch = new long[words];
        }
        root.eval(batch, rows, selection, scratch);
        return selection;
    }

    // ---- compilation -----------------------------------------------------------------------------

    private static Node node(RowPredicate predicate, Schema schema) {
        return switch (predicate) {
            case RowPredicate.And and -> new AndNode(and.operands().stream().map(p -> node(p, schema)).toList());
            case RowPredicate.Or or -> new OrNode(or.operands().stream().map(p -> node(p, schema)).toList());
            case RowPredicate.Not not -> new NotNode(node(not.operand(), schema));
            case RowPredicate.IsNull isNull -> new IsNullNode(field(isNull.column(), schema))
                    .at(steps(isNull.column(), schema));
            case RowPredicate.Compare compare -> compare(field(compare.column(), schema), compare.operator(),
                    compare.value()).at(steps(compare.column(), schema));
            case RowPredicate.In in -> in(field(in.column(), schema), in.values()).at(steps(in.column(), schema));
        };
    }

    /** The field a filter reads, named by its column or whole path (for messages). */
    private static Field field(String column, Schema schema) {
        Field field = RowFilters.field(column, schema);
        return new Field(column, field.getFieldType(), field.getChildren());
    }

    /** The names from the top-level column down through structs to the field. */
    private static List<String> steps(String column, Schema schema) {
        return FieldPath.resolve(schema, column).steps().stream().map(Field::getName).toList();
    }

    private static ColumnNode compare(Field field, ComparisonOperator operator, Literal literal) {
        ArrowType type = field.getType();
        return switch (ColumnType.of(type)) {
            case INTEGER, DATE_DAY, DATE_MILLI, TIMESTAMP -> {
                BigDecimal exact = units(type, literal);
                boolean negate = operator == ComparisonOperator.NEQ;
                long lo = Long.MIN_VALUE;
                long hi = Long.MAX_VALUE;
                boolean empty = false;
                switch (operator) {
                    case EQ, NEQ -> {
                        if (exact.stripTrailingZeros().scale() > 0 || !inLong(exact)) {
                            empty = true;
                        } else {
                            lo = exact.longValueExact();
                            hi = lo;
                        }
                    }
                    case LT -> {
                        BigInteger bound = exact.setScale(0, RoundingMode.CEILING).toBigInteger().subtract(BigInteger.ONE);
                        empty = bound.compareTo(BigInteger.valueOf(Long.MIN_VALUE)) < 0;
                        hi = clamp(bound);
                    }
                    case LTEQ -> {
                        BigInteger bound = exact.setScale(0, RoundingMode.FLOOR).toBigInteger();
                        empty = bound.compareTo(BigInteger.valueOf(Long.MIN_VALUE)) < 0;
                        hi = clamp(bound);
                    }
                    case GT -> {
                        BigInteger bound = exact.setScale(0, RoundingMode.FLOOR).toBigInteger().add(BigInteger.ONE);
                        empty = bound.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) > 0;
                        lo = clamp(bound);
                    }
                    case GTEQ -> {
                        BigInteger bound = exact.setScale(0, RoundingMode.CEILING).toBigInteger();
                        empty = bound.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) > 0;
                        lo = clamp(bound);
                    }
                }
                yield empty ? new ConstantNode(field, negate) : new LongRangeNode(field, lo, hi, negate);
            }
            case FLOATING -> {
                double c = asDouble(literal);
                boolean negate = operator == ComparisonOperator.NEQ;
                double lo = Double.NEGATIVE_INFINITY;
                double hi = Double.POSITIVE_INFINITY;
                boolean empty = false;
                switch (operator) {
                    case EQ, NEQ -> {
                        lo = c;
                        hi = c;
                    }
                    case LT -> {
                        empty = c == Double.NEGATIVE_INFINITY;
                        hi = Math.nextDown(c);
                    }
                    case LTEQ -> hi = c;
                    case GT -> {
                        empty = c == Double.POSITIVE_INFINITY;
                        lo = Math.nextUp(c);
                    }
                    case GTEQ -> lo = c;
                }
                yield empty ? new ConstantNode(field, negate) : new DoubleRangeNode(field, lo, hi, negate);
            }
            case STRING -> new StringCompareNode(field, operator,
                    ((Literal.Text) literal).value().getBytes(StandardCharsets.UTF_8));
            case BOOLEAN -> {
                boolean value = ((Literal.Bool) literal).value();
                boolean wantTrue = operator == ComparisonOperator.EQ ? value : !value;
                yield new BoolNode(field, wantTrue, !wantTrue);
            }
            case UNSUPPORTED -> throw new IllegalArgumentException("column '" + field.getName() + "' cannot be compared");
        };
    }

    private static ColumnNode in(Field field, List<Literal> values) {
        ArrowType type = field.getType();
        return switch (ColumnType.of(type)) {
            case INTEGER, DATE_DAY, DATE_MILLI, TIMESTAMP -> {
                TreeSet<Long> set = new TreeSet<>();
                for (Literal literal : values) {
                    BigDecimal exact = units(type, literal);
                    if (exact.stripTrailingZeros().scale() <= 0 && inLong(exact)) {
                        set.add(exact.longValueExact());
                    }
                }
                yield set.isEmpty() ? new ConstantNode(field, false)
                        : new LongInNode(field, set.stream().mapToLong(Long::longValue).toArray());
            }
            case FLOATING -> {
                TreeSet<Double> set = new TreeSet<>();
                for (Literal literal : values) {
                    set.add(asDouble(literal) + 0.0); // -0.0 + 0.0 == 0.0: IN compares with =
                }
                yield new DoubleInNode(field, set.stream().mapToDouble(Double::doubleValue).toArray());
            }
            case STRING -> {
                TreeSet<byte[]> set = new TreeSet<>(Arrays::compareUnsigned);
                for (Literal literal : values) {
                    set.add(((Literal.Text) literal).value().getBytes(StandardCharsets.UTF_8));
                }
                yield new StringInNode(field, set.toArray(new byte[0][]));
            }
            case BOOLEAN -> {
                boolean wantTrue = values.contains(new Literal.Bool(true));
                boolean wantFalse = values.contains(new Literal.Bool(false));
                yield new BoolNode(field, wantTrue, wantFalse);
            }
            case UNSUPPORTED -> throw new IllegalArgumentException("column '" + field.getName() + "' cannot be compared");
        };
    }

    /** The literal in the column's own unit (days, milliseconds, the timestamp's unit), exactly. */
    static BigDecimal units(ArrowType type, Literal literal) {
        return switch (literal) {
            case Literal.Int i -> BigDecimal.valueOf(i.value());
            case Literal.Date d -> {
                BigDecimal days = BigDecimal.valueOf(d.value().toEpochDay());
                yield switch (type) {
                    case ArrowType.Date date -> switch (date.getUnit()) {
                        case DAY -> days;
                        case MILLISECOND -> days.multiply(BigDecimal.valueOf(86_400_000L));
                    };
                    case ArrowType.Timestamp ts -> days.multiply(BigDecimal.valueOf(86_400L)).multiply(perSecond(ts));
                    default -> throw new IllegalArgumentException("a date does not compare with " + type);
                };
            }
            case Literal.Timestamp t -> {
                if (!(type instanceof ArrowType.Timestamp ts)) {
                    throw new IllegalArgumentException("a timestamp does not compare with " + type);
                }
                BigDecimal seconds = BigDecimal.valueOf(t.value().getEpochSecond())
                        .add(BigDecimal.valueOf(t.value().getNano(), 9));
                yield seconds.multiply(perSecond(ts));
            }
            default -> throw new IllegalArgumentException(literal + " does not compare with " + type);
        };
    }

    private static BigDecimal perSecond(ArrowType.Timestamp type) {
        return BigDecimal.valueOf(perSecond(type.getUnit()));
    }

    /** Units of {@code unit} in one second. */
    public static long perSecond(TimeUnit unit) {
        return switch (unit) {
            case SECOND -> 1L;
            case MILLISECOND -> 1_000L;
            case MICROSECOND -> 1_000_000L;
            case NANOSECOND -> 1_000_000_000L;
        };
    }

    static double asDouble(Literal literal) {
        return switch (literal) {
            case Literal.Int i -> (double) i.value();
            case Literal.Decimal d -> d.value().doubleValue();
            default -> throw new IllegalArgumentException(literal + " is not a number");
        };
    }

    private static boolean inLong(BigDecimal value) {
        return value.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0
                && value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
    }

    private static long clamp(BigInteger value) {
        if (value.compareTo(BigInteger.valueOf(Long.MIN_VALUE)) < 0) {
            return Long.MIN_VALUE;
        }
        if (value.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) > 0) {
            return Long.MAX_VALUE;
        }
        return value.longValueExact();
    }

    // ---- evaluation ------------------------------------------------------------------------------

    /** One node of the compiled predicate: writes its true and false bitmaps for a batch. */
    private abstract static class Node {
        abstract void eval(VectorSchemaRoot batch, int rows, long[] t, long[] f);
    }

    private abstract static class CombiningNode extends Node {
        final List<Node> operands;
        long[] t2 = new long[0];
        long[] f2 = new long[0];

        CombiningNode(List<Node> operands) {
            this.operands = List.copyOf(operands);
        }

        void ensure(int words) {
            if (t2.length < words) {
                t2 = new long[words];
                f2 = new long[words];
            }
        }
    }

    private static final class AndNode extends CombiningNode {
        AndNode(List<Node> operands) {
            super(operands);
        }

        @Override
        void eval(VectorSchemaRoot batch, int rows, long[] t, long[] f) {
            int words = Bitmaps.words(rows);
            ensure(words);
            operands.getFirst().eval(batch, rows, t, f);
            for (int i = 1; i < operands.size(); i++) {
                operands.get(i).eval(batch, rows, t2, f2);
                for (int w = 0; w < words; w++) {
                    t[w] &= t2[w];
                    f[w] |= f2[w];
                }
            }
        }
    }

    private static final class OrNode extends CombiningNode {
        OrNode(List<Node> operands) {
            super(operands);
        }

        @Override
        void eval(VectorSchemaRoot batch, int rows, long[] t, long[] f) {
            int words = Bitmaps.words(rows);
            ensure(words);
            operands.getFirst().eval(batch, rows, t, f);
            for (int i = 1; i < operands.size(); i++) {
                operands.get(i).eval(batch, rows, t2, f2);
                for (int w = 0; w < words; w++) {
                    t[w] |= t2[w];
                    f[w] &= f2[w];
                }
            }
        }
    }

    private static final class NotNode extends Node {
        private final Node operand;

        NotNode(Node operand) {
            this.operand = operand;
        }

        @Override
        void eval(VectorSchemaRoot batch, int rows, long[] t, long[] f) {
            operand.eval(batch, rows, f, t);
        }
    }

    /**
     * A node reading one column, or a field inside struct columns: finds it in the batch by name
     * and path and checks its type. A nested field's value is null where any struct above it is.
     */
    private abstract static class ColumnNode extends Node {
        final Field field;
        private List<String> steps;
        private FieldVector[] chain;
        private long[] ancestor = new long[0];

        ColumnNode(Field field) {
            this.field = field;
            at(List.of(field.getName()));
        }

        /** Reads the field at these steps from the top-level column down (set once, at compilation). */
        final ColumnNode at(List<String> steps) {
            this.steps = List.copyOf(steps);
            this.chain = new FieldVector[steps.size()];
            return this;
        }

        FieldVector vector(VectorSchemaRoot batch, int rows) {
            FieldVector vector = batch.getVector(steps.getFirst());
            if (vector == null) {
                throw new IllegalArgumentException("the batch has no column '" + steps.getFirst() + "'");
            }
            chain[0] = vector;
            for (int i = 1; i < steps.size(); i++) {
                checkRows(vector, rows);
                FieldVector child = vector instanceof StructVector struct ? struct.getChild(steps.get(i)) : null;
                if (child == null) {
                    throw new IllegalArgumentException("the batch has no field '" + field.getName() + "'");
                }
                vector = child;
                chain[i] = vector;
            }
            if (!vector.getField().getType().equals(field.getType())) {
                throw new IllegalArgumentException("column '" + field.getName() + "' is "
                        + ColumnType.describe(vector.getField().getType()) + " in the batch, expected "
                        + ColumnType.describe(field.getType()));
            }
            checkRows(vector, rows);
            return vector;
        }

        private void checkRows(FieldVector vector, int rows) {
            if (vector.getValueCount() < rows) {
                throw new IllegalArgumentException("column '" + field.getName() + "' has " + vector.getValueCount()
                        + " values for " + rows + " rows");
            }
        }

        /** The rows where the field has a value: its own validity and every enclosing struct's. */
        void validity(FieldVector vector, int rows, long[] out) {
            Bitmaps.read(vector.getValidityBuffer(), rows, out);
            int words = Bitmaps.words(rows);
            for (int i = 0; i < chain.length - 1; i++) {
                if (ancestor.length < words) {
                    ancestor = new long[words];
                }
                Bitmaps.read(chain[i].getValidityBuffer(), rows, ancestor);
                for (int w = 0; w < words; w++) {
                    out[w] &= ancestor[w];
                }
            }
        }

        static void checkCapacity(ArrowBuf buffer, long bytes, Field field) {
            if (buffer.capacity() < bytes) {
                throw new IllegalArgumentException("column '" + field.getName() + "' has a data buffer of "
                        + buffer.capacity() + " bytes, needs " + bytes);
            }
        }
    }

    /** A comparison: value bits in {@code t}, validity in {@code f}, then split into true/false. */
    private abstract static class ComparisonNode extends ColumnNode {
        private final boolean negate;

        ComparisonNode(Field field, boolean negate) {
            super(field);
            this.negate = negate;
        }

        abstract void matches(FieldVector vector, int rows, long[] out);

        @Override
        final void eval(VectorSchemaRoot batch, int rows, long[] t, long[] f) {
            FieldVector vector = vector(batch, rows);
            matches(vector, rows, t);
            validity(vector, rows, f);
            int words = Bitmaps.words(rows);
            long flip = negate ? -1L : 0L;
            for (int w = 0; w < words; w++) {
                long valid = f[w];
                long match = t[w] ^ flip;
                t[w] = valid & match;
                f[w] = valid & ~match;
            }
        }
    }

    private static final class IsNullNode extends ColumnNode {
        IsNullNode(Field field) {
            super(field);
        }

        @Override
        void eval(VectorSchemaRoot batch, int rows, long[] t, long[] f) {
            FieldVector vector = vector(batch, rows);
            validity(vector, rows, f);
            int words = Bitmaps.words(rows);
            for (int w = 0; w < words; w++) {
                t[w] = ~f[w];
            }
            if (words > 0) {
                t[words - 1] &= Bitmaps.tailMask(rows);
            }
        }
    }

    /** A comparison that no value satisfies (e.g. {@code x = 1.5} on integers), or, negated, every value. */
    private static final class ConstantNode extends ComparisonNode {
        ConstantNode(Field field, boolean negate) {
            super(field, negate);
        }

        @Override
        void matches(FieldVector vector, int rows, long[] out) {
            Arrays.fill(out, 0, Bitmaps.words(rows), 0L);
        }
    }

    /** {@code lo <= v <= hi} on integers, dates and timestamps widened to 64 bits. */
    private static final class LongRangeNode extends ComparisonNode {
        private final long lo;
        private final long span;
        private final int width;
        private final long mask;

        LongRangeNode(Field field, long lo, long hi, boolean negate) {
            super(field, negate);
            this.lo = lo;
            this.span = hi - lo;
            int bits = switch (field.getType()) {
                case ArrowType.Int i -> i.getBitWidth();
                case ArrowType.Date d -> d.getUnit() == org.apache.arrow.vector.types.DateUnit.DAY ? 32 : 64;
                default -> 64;
            };
            this.width = bits / 8;
            boolean unsigned = field.getType() instanceof ArrowType.Int i && !i.getIsSigned();
            this.mask = unsigned ? (1L << bits) - 1 : -1L;
        }

        @Override
        void matches(FieldVector vector, int rows, long[] out) {
            ArrowBuf data = vector.getDataBuffer();
            checkCapacity(data, (long) rows * width, field);
            long address = data.memoryAddress();
            switch (width) {
                case 1 -> range8(address, rows, out);
                case 2 -> range16(address, rows, out);
                case 4 -> range32(address, rows, out);
                default -> range64(address, rows, out);
            }
        }

        /**
         * 1 when {@code offset <= span} as unsigned numbers, else 0, without a branch: the borrow
         * out of {@code span - offset}. With {@code offset = v - lo} and {@code span = hi - lo} this
         * is {@code lo <= v <= hi}.
         */
        static long within(long offset, long span) {
            long borrow = ((~span & offset) | (~(span ^ offset) & (span - offset))) >>> 63;
            return borrow ^ 1L;
        }

        private void range8(long address, int rows, long[] out) {
            long lo = this.lo;
            long span = this.span;
            long mask = this.mask;
            for (int w = 0, words = Bitmaps.words(rows); w < words; w++) {
                int start = w << 6;
                int n = Math.min(64, rows - start);
                long bits = 0;
                for (int j = 0; j < n; j++) {
                    long v = MemoryUtil.getByte(address + start + j) & mask;
                    bits |= within(v - lo, span) << j;
                }
                out[w] = bits;
            }
        }

        private void range16(long address, int rows, long[] out) {
            long lo = this.lo;
            long span = this.span;
            long mask = this.mask;
            int full = rows >>> 6;
            for (int w = 0; w < full; w++) {
                long base = address + ((long) w << 7);
                long bits = 0;
                for (int j = 0; j < 64; j++) {
                    long v = MemoryUtil.getShort(base + ((long) j << 1)) & mask;
                    bits |= within(v - lo, span) << j;
                }
                out[w] = bits;
            }
            if ((rows & 63) != 0) {
                long base = address + ((long) full << 7);
                long bits = 0;
                for (int j = 0, n = rows & 63; j < n; j++) {
                    long v = MemoryUtil.getShort(base + ((long) j << 1)) & mask;
                    bits |= within(v - lo, span) << j;
                }
                out[full] = bits;
            }
        }

        private void range32(long address, int rows, long[] out) {
            long lo = this.lo;
            long span = this.span;
            long mask = this.mask;
            int full = rows >>> 6;
            for (int w = 0; w < full; w++) {
                long base = address + ((long) w << 8);
                long bits = 0;
                for (int j = 0; j < 64; j++) {
                    long v = MemoryUtil.getInt(base + ((long) j << 2)) & mask;
                    bits |= within(v - lo, span) << j;
                }
                out[w] = bits;
            }
            if ((rows & 63) != 0) {
                long base = address + ((long) full << 8);
                long bits = 0;
                for (int j = 0, n = rows & 63; j < n; j++) {
                    long v = MemoryUtil.getInt(base + ((long) j << 2)) & mask;
                    bits |= within(v - lo, span) << j;
                }
                out[full] = bits;
            }
        }

        private void range64(long address, int rows, long[] out) {
            long lo = this.lo;
            long span = this.span;
            int full = rows >>> 6;
            for (int w = 0; w < full; w++) {
                long base = address + ((long) w << 9);
                long bits = 0;
                for (int j = 0; j < 64; j++) {
                    bits |= within(MemoryUtil.getLong(base + ((long) j << 3)) - lo, span) << j;
                }
                out[w] = bits;
            }
            if ((rows & 63) != 0) {
                long base = address + ((long) full << 9);
                long bits = 0;
                for (int j = 0, n = rows & 63; j < n; j++) {
                    bits |= within(MemoryUtil.getLong(base + ((long) j << 3)) - lo, span) << j;
                }
                out[full] = bits;
            }
        }
    }

    /** {@code lo <= v <= hi} on float32 (widened) and float64; NaN is in no range. */
    private static final class DoubleRangeNode extends ComparisonNode {
        private final double lo;
        private final double hi;
        private final boolean single;

        DoubleRangeNode(Field field, double lo, double hi, boolean negate) {
            super(field, negate);
            this.lo = lo;
            this.hi = hi;
            this.single = ((ArrowType.FloatingPoint) field.getType()).getPrecision()
                    == org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE;
        }

        @Override
        void matches(FieldVector vector, int rows, long[] out) {
            ArrowBuf data = vector.getDataBuffer();
            checkCapacity(data, (long) rows * (single ? 4 : 8), field);
            long address = data.memoryAddress();
            double lo = this.lo;
            double hi = this.hi;
            for (int w = 0, words = Bitmaps.words(rows); w < words; w++) {
                int start = w << 6;
                int n = Math.min(64, rows - start);
                long bits = 0;
                if (single) {
                    long base = address + ((long) start << 2);
                    for (int j = 0; j < n; j++) {
                        double v = Float.intBitsToFloat(MemoryUtil.getInt(base + ((long) j << 2)));
                        bits |= ((v >= lo) & (v <= hi) ? 1L : 0L) << j;
                    }
                } else {
                    long base = address + ((long) start << 3);
                    for (int j = 0; j < n; j++) {
                        double v = Double.longBitsToDouble(MemoryUtil.getLong(base + ((long) j << 3)));
                        bits |= ((v >= lo) & (v <= hi) ? 1L : 0L) << j;
                    }
                }
                out[w] = bits;
            }
        }
    }

    /** Booleans: a bit matches when it is set and {@code whenTrue}, or clear and {@code whenFalse}. */
    private static final class BoolNode extends ComparisonNode {
        private final boolean whenTrue;
        private final boolean whenFalse;

        BoolNode(Field field, boolean whenTrue, boolean whenFalse) {
            super(field, false);
            this.whenTrue = whenTrue;
            this.whenFalse = whenFalse;
        }

        @Override
        void matches(FieldVector vector, int rows, long[] out) {
            Bitmaps.read(vector.getDataBuffer(), rows, out);
            long ifTrue = whenTrue ? -1L : 0L;
            long ifFalse = whenFalse ? -1L : 0L;
            for (int w = 0, words = Bitmaps.words(rows); w < words; w++) {
                out[w] = (out[w] & ifTrue) | (~out[w] & ifFalse);
            }
        }
    }

    /** Utf8 values: offsets and bytes read in place. */
    private abstract static class StringNode extends ComparisonNode {
        StringNode(Field field) {
            super(field, false);
        }

        @Override
        final void matches(FieldVector vector, int rows, long[] out) {
            ArrowBuf offsets = vector.getOffsetBuffer();
            checkCapacity(offsets, (rows + 1L) * 4, field);
            long offsetAddress = offsets.memoryAddress();
            ArrowBuf data = vector.getDataBuffer();
            long dataAddress = data.memoryAddress();
            long capacity = data.capacity();
            for (int w = 0, words = Bitmaps.words(rows); w < words; w++) {
                int start = w << 6;
                int n = Math.min(64, rows - start);
                long bits = 0;
                for (int j = 0; j < n; j++) {
                    long at = offsetAddress + 4L * (start + j);
                    int from = MemoryUtil.getInt(at);
                    int to = MemoryUtil.getInt(at + 4);
                    if (from < 0 || to < from || to > capacity) {
                        throw new IllegalArgumentException("value " + (start + j) + " of column '" + field.getName()
                                + "' lies outside its data buffer");
                    }
                    bits |= (test(dataAddress + from, to - from) ? 1L : 0L) << j;
                }
                out[w] = bits;
            }
        }

        abstract boolean test(long address, int length);

        /** Unsigned lexicographic comparison of memory with {@code literal}: negative, 0, positive. */
        static int compare(long address, int length, byte[] literal) {
            int n = Math.min(length, literal.length);
            for (int k = 0; k < n; k++) {
                int a = MemoryUtil.getByte(address + k) & 0xFF;
                int b = literal[k] & 0xFF;
                if (a != b) {
                    return a - b;
                }
            }
            return length - literal.length;
        }

        static boolean equal(long address, int length, byte[] literal) {
            if (length != literal.length) {
                return false;
            }
            int k = 0;
            for (; k + 8 <= length; k += 8) {
                if (MemoryUtil.getLong(address + k) != MemoryUtil.getLong(literal, k)) {
                    return false;
                }
            }
            for (; k < length; k++) {
                if (MemoryUtil.getByte(address + k) != literal[k]) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final class StringCompareNode extends StringNode {
        private final byte[] literal;
        private final int accept;
        private final ComparisonOperator operator;

        StringCompareNode(Field field, ComparisonOperator operator, byte[] literal) {
            super(field);
            this.literal = literal;
            this.operator = operator;
            // bit 0: accepts "less", bit 1: "equal", bit 2: "greater"
            this.accept = (operator.test(-1) ? 1 : 0) | (operator.test(0) ? 2 : 0) | (operator.test(1) ? 4 : 0);
        }

        @Override
        boolean test(long address, int length) {
            return switch (operator) {
                case EQ -> equal(address, length, literal);
                case NEQ -> !equal(address, length, literal);
                default -> ((accept >>> (Integer.signum(compare(address, length, literal)) + 1)) & 1) != 0;
            };
        }
    }

    private static final class StringInNode extends StringNode {
        private final byte[][] sorted;

        StringInNode(Field field, byte[][] sorted) {
            super(field);
            this.sorted = sorted;
        }

        @Override
        boolean test(long address, int length) {
            if (sorted.length <= 8) {
                for (byte[] value : sorted) {
                    if (equal(address, length, value)) {
                        return true;
                    }
                }
                return false;
            }
            int low = 0;
            int high = sorted.length - 1;
            while (low <= high) {
                int mid = (low + high) >>> 1;
                int order = compare(address, length, sorted[mid]);
                if (order == 0) {
                    return true;
                }
                if (order < 0) {
                    high = mid - 1;
                } else {
                    low = mid + 1;
                }
            }
            return false;
        }
    }

    private static final class LongInNode extends ComparisonNode {
        private final long[] sorted;
        private final LongRangeNode reader;

        LongInNode(Field field, long[] sorted) {
            super(field, false);
            this.sorted = sorted;
            this.reader = new LongRangeNode(field, 0, 0, false);
        }

        @Override
        void matches(FieldVector vector, int rows, long[] out) {
            ArrowBuf data = vector.getDataBuffer();
            int width = reader.width;
            long mask = reader.mask;
            checkCapacity(data, (long) rows * width, field);
            long address = data.memoryAddress();
            long[] sorted = this.sorted;
            for (int w = 0, words = Bitmaps.words(rows); w < words; w++) {
                int start = w << 6;
                int n = Math.min(64, rows - start);
                long bits = 0;
                for (int j = 0; j < n; j++) {
                    long at = address + (long) (start + j) * width;
                    long v = switch (width) {
                        case 1 -> MemoryUtil.getByte(at) & mask;
                        case 2 -> MemoryUtil.getShort(at) & mask;
                        case 4 -> MemoryUtil.getInt(at) & mask;
                        default -> MemoryUtil.getLong(at);
                    };
                    bits |= (Arrays.binarySearch(sorted, v) >= 0 ? 1L : 0L) << j;
                }
                out[w] = bits;
            }
        }
    }

    private static final class DoubleInNode extends ComparisonNode {
        private final double[] sorted;
        private final boolean single;

        DoubleInNode(Field field, double[] sorted) {
            super(field, false);
            this.sorted = sorted;
            this.single = ((ArrowType.FloatingPoint) field.getType()).getPrecision()
                    == org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE;
        }

        @Override
        void matches(FieldVector vector, int rows, long[] out) {
            ArrowBuf data = vector.getDataBuffer();
            int width = single ? 4 : 8;
            checkCapacity(data, (long) rows * width, field);
            long address = data.memoryAddress();
            for (int w = 0, words = Bitmaps.words(rows); w < words; w++) {
                int start = w << 6;
                int n = Math.min(64, rows - start);
                long bits = 0;
                for (int j = 0; j < n; j++) {
                    long at = address + (long) (start + j) * width;
                    double v = single ? Float.intBitsToFloat(MemoryUtil.getInt(at))
                            : Double.longBitsToDouble(MemoryUtil.getLong(at));
                    // NaN is never in the list; -0.0 + 0.0 is 0.0, as in the list.
                    bits |= (v == v && Arrays.binarySearch(sorted, v + 0.0) >= 0 ? 1L : 0L) << j;
                }
                out[w] = bits;
            }
        }
    }
}
