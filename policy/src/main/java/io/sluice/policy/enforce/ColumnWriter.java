package io.sluice.policy.enforce;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Generalisation;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.internal.filter.Bitmaps;
import io.sluice.policy.internal.filter.VectorFilter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Produces one output column of a batch from one input column and the selection: a plain copy of
 * the selected rows, or a copy that a duty changes on the way. Each {@link #write} returns a new
 * vector allocated from the given allocator, which the caller owns; on failure it releases what it
 * allocated. A writer that {@link #passesThrough()} may instead {@link #move} the whole input
 * vector when every row is selected. The copying itself, with its checks of the input's offsets
 * and depth, is {@link SelectionCopy}'s. Not thread-safe (scratch state); one per pipeline.
 */
abstract sealed class ColumnWriter {
    final Field input;
    final Field output;

    ColumnWriter(Field input, Field output) {
        this.input = requireNonNull(input, "input is null");
        this.output = requireNonNull(output, "output is null");
    }

    /** The selected rows of {@code in}, transformed, as a new vector the caller owns. */
    final FieldVector write(FieldVector in, Selection selection, BufferAllocator allocator) {
        FieldVector out = output.createVector(allocator);
        try {
            fill(in, selection, out);
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    abstract void fill(FieldVector in, Selection selection, FieldVector out);

    /** Whether the output is the input unchanged (no duty), so that a batch keeping every row may {@link #move} it. */
    boolean passesThrough() {
        return false;
    }

    /**
     * Moves every buffer of {@code in} into a new vector of {@link #output} whose buffers then
     * count against {@code allocator} (Arrow's transfer: no copy). {@code in} is left empty: no
     * buffers, value count 0. {@code allocator} must share {@code in}'s root allocator.
     */
    final FieldVector move(FieldVector in, BufferAllocator allocator) {
        FieldVector out = output.createVector(allocator);
        try {
            in.makeTransferPair(out).transfer();
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    // ---- plain copy ------------------------------------------------------------------------------

    /** Copies the selected rows unchanged. */
    static final class Copy extends ColumnWriter {
        Copy(Field field) {
            super(field, field);
        }

        @Override
        boolean passesThrough() {
            return true;
        }

        @Override
        void fill(FieldVector in, Selection selection, FieldVector out) {
            SelectionCopy.copy(in, selection, out);
        }
    }

    // ---- nested data -----------------------------------------------------------------------------

    /**
     * A struct in which a duty changes or drops a field somewhere below: its validity is copied,
     * each field that leaves is written by its own writer (a copy, a transform, or another nested
     * writer), in output order; dropped fields are not read.
     */
    static final class Struct extends ColumnWriter {
        private final List<ColumnWriter> fields;

        Struct(Field input, Field output, List<ColumnWriter> fields) {
            super(input, output);
            this.fields = List.copyOf(fields);
        }

        @Override
        void fill(FieldVector in, Selection selection, FieldVector out) {
            StructVector from = (StructVector) in;
            StructVector to = (StructVector) out;
            SelectionCopy.loadValidity(from, selection, to);
            for (ColumnWriter field : fields) {
                FieldVector child = from.getChild(field.input.getName());
                if (child == null) {
                    throw new IllegalArgumentException("struct '" + input.getName() + "' in the batch has no field '"
                            + field.input.getName() + "'");
                }
                field.fill(child, selection, to.getChild(field.output.getName()));
            }
        }
    }

    /**
     * A list, large list, fixed-size list or map whose elements a duty changes: validity and
     * offsets are copied for the selected rows, and the elements of those rows go through the
     * element writer as a selection of their own.
     */
    static final class Repeated extends ColumnWriter {
        private final ColumnWriter elements;

        Repeated(Field input, Field output, ColumnWriter elements) {
            super(input, output);
            this.elements = requireNonNull(elements, "elements is null");
        }

        @Override
        void fill(FieldVector in, Selection selection, FieldVector out) {
            switch (in) {
                case ListVector list -> elements.fill(list.getDataVector(),
                        SelectionCopy.elements(list, SelectionCopy.INT_OFFSETS, selection, out),
                        ((ListVector) out).getDataVector());
                case LargeListVector list -> elements.fill((FieldVector) list.getDataVector(),
                        SelectionCopy.elements(list, SelectionCopy.LONG_OFFSETS, selection, out),
                        (FieldVector) ((LargeListVector) out).getDataVector());
                case FixedSizeListVector list -> elements.fill((FieldVector) list.getDataVector(),
                        SelectionCopy.elements(list, selection, (FixedSizeListVector) out),
                        (FieldVector) ((FixedSizeListVector) out).getDataVector());
                default -> throw new IllegalStateException("not a list: " + in.getField());
            }
        }
    }

    // ---- sluice:pseudonymise ---------------------------------------------------------------------

    /** Integer, utf8 or binary in, 64 lower-case hex characters of HMAC-SHA256 out; nulls stay null. */
    static final class Pseudonymise extends ColumnWriter {
        private final Pseudonymiser pseudonymiser;

        /** @param key null for a writer that only describes its output and never writes */
        Pseudonymise(Field input, Field output, PseudonymKey key) {
            super(input, output);
            this.pseudonymiser = key == null ? null : new Pseudonymiser(key);
        }

        @Override
        void fill(FieldVector in, Selection selection, FieldVector out) {
            int count = selection.count;
            VarCharVector target = (VarCharVector) out;
            target.allocateNew(Math.max(1L, (long) Pseudonymiser.WIDTH * count), count);
            SelectionCopy.copyBits(in.getValidityBuffer(), target.getValidityBuffer(), selection);
            long[] valid = selection.scratch(selection.rows);
            Bitmaps.read(in.getValidityBuffer(), selection.rows, valid);
            long outOffsets = target.getOffsetBuffer().memoryAddress();
            long outData = target.getDataBuffer().memoryAddress();
            MemoryUtil.putInt(outOffsets, 0);
            int position = 0;
            if (in instanceof BaseVariableWidthVector strings) {
                boolean text = in instanceof VarCharVector;
                if (selection.rows > 0) {
                    SelectionCopy.requireCapacity(strings.getOffsetBuffer(), 4L * (selection.rows + 1), "offset");
                }
                long offsets = strings.getOffsetBuffer().memoryAddress();
                long data = strings.getDataBuffer().memoryAddress();
                for (int k = 0; k < count; k++) {
                    int row = selection.row(k);
                    if (((valid[row >>> 6] >>> row) & 1L) != 0) {
                        long at = offsets + 4L * row;
                        int start = MemoryUtil.getInt(at);
                        int length = MemoryUtil.getInt(at + 4) - start;
                        if (text) {
                            pseudonymiser.writeString(data + start, length, outData + position);
                        } else {
                            pseudonymiser.writeBinary(data + start, length, outData + position);
                        }
                        position += Pseudonymiser.WIDTH;
                    }
                    MemoryUtil.putInt(outOffsets + 4L * (k + 1), position);
                }
            } else if (in instanceof FixedSizeBinaryVector bytes) {
                int width = bytes.getByteWidth();
                SelectionCopy.requireCapacity(bytes.getDataBuffer(), (long) selection.rows * width, "data");
                long data = bytes.getDataBuffer().memoryAddress();
                for (int k = 0; k < count; k++) {
                    int row = selection.row(k);
                    if (((valid[row >>> 6] >>> row) & 1L) != 0) {
                        pseudonymiser.writeBinary(data + (long) row * width, width, outData + position);
                        position += Pseudonymiser.WIDTH;
                    }
                    MemoryUtil.putInt(outOffsets + 4L * (k + 1), position);
                }
            } else {
                ArrowType.Int type = (ArrowType.Int) input.getType();
                int width = type.getBitWidth() / 8;
                long mask = type.getIsSigned() || width == 8 ? -1L : (1L << type.getBitWidth()) - 1;
                SelectionCopy.requireCapacity(in.getDataBuffer(), (long) selection.rows * width, "data");
                long data = in.getDataBuffer().memoryAddress();
                for (int k = 0; k < count; k++) {
                    int row = selection.row(k);
                    if (((valid[row >>> 6] >>> row) & 1L) != 0) {
                        long at = data + (long) row * width;
                        long value = switch (width) {
                            case 1 -> MemoryUtil.getByte(at) & mask;
                            case 2 -> MemoryUtil.getShort(at) & mask;
                            case 4 -> MemoryUtil.getInt(at) & mask;
                            default -> MemoryUtil.getLong(at);
                        };
                        pseudonymiser.writeInteger(value, outData + position);
                        position += Pseudonymiser.WIDTH;
                    }
                    MemoryUtil.putInt(outOffsets + 4L * (k + 1), position);
                }
            }
            target.setLastSet(count - 1);
            target.setValueCount(count);
        }
    }

    // ---- sluice:generalise -----------------------------------------------------------------------

    /** Dates, timestamps and numbers: copy, then rewrite each value in place, keeping the type. */
    static final class Generalise extends ColumnWriter {
        private final Generalisation how;
        private final ZoneId zone;

        Generalise(Field field, Generalisation how) {
            super(field, field);
            this.how = requireNonNull(how, "how is null");
            this.zone = field.getType() instanceof ArrowType.Timestamp ts && ts.getTimezone() != null
                    ? ZoneId.of(ts.getTimezone()) : ZoneOffset.UTC;
        }

        @Override
        void fill(FieldVector in, Selection selection, FieldVector out) {
            if (how instanceof Generalisation.Prefix prefix) {
                prefix((VarCharVector) in, (VarCharVector) out, selection, prefix.length());
                return;
            }
            SelectionCopy.copy(in, selection, out);
            int count = selection.count;
            switch (how) {
                case Generalisation.Truncate truncate -> truncate(out, count, truncate.unit());
                case Generalisation.Bucket bucket -> bucket(out, count, bucket.width());
                case Generalisation.Prefix p -> throw new IllegalStateException("handled above");
            }
        }

        private void truncate(FieldVector out, int count, Generalisation.CalendarUnit unit) {
            boolean toYear = unit == Generalisation.CalendarUnit.YEAR;
            switch (out) {
                case DateDayVector days -> {
                    long address = days.getDataBuffer().memoryAddress();
                    for (int k = 0; k < count; k++) {
                        long at = address + 4L * k;
                        MemoryUtil.putInt(at, (int) Calendar.truncateDays(MemoryUtil.getInt(at), toYear));
                    }
                }
                case DateMilliVector millis -> rewriteLongs(millis.getDataBuffer(), count, 86_400_000L, toYear, null);
                case TimeStampVector stamps -> {
                    long perDay = 86_400L * VectorFilter.perSecond(((ArrowType.Timestamp) output.getType()).getUnit());
                    rewriteLongs(stamps.getDataBuffer(), count, perDay, toYear, zone);
                }
                default -> throw new IllegalStateException("cannot truncate " + output);
            }
        }

        private void rewriteLongs(ArrowBuf data, int count, long perDay, boolean toYear, ZoneId zone) {
            long address = data.memoryAddress();
            Integer fixedOffset = zone == null ? Integer.valueOf(0)
                    : zone.getRules().isFixedOffset() ? zone.getRules().getOffset(Instant.EPOCH).getTotalSeconds() : null;
            long perSecond = perDay / 86_400L;
            for (int k = 0; k < count; k++) {
                long at = address + 8L * k;
                long value = MemoryUtil.getLong(at);
                long truncated;
                if (fixedOffset != null) {
                    long shift = fixedOffset * perSecond;
                    long day = Math.floorDiv(value + shift, perDay);
                    truncated = Calendar.truncateDays(day, toYear) * perDay - shift;
                } else {
                    long seconds = Math.floorDiv(value, perSecond);
                    ZonedDateTime local = Instant.ofEpochSecond(seconds).atZone(zone).truncatedTo(ChronoUnit.DAYS)
                            .with(toYear ? TemporalAdjusters.firstDayOfYear() : TemporalAdjusters.firstDayOfMonth());
                    truncated = local.toInstant().getEpochSecond() * perSecond;
                }
                MemoryUtil.putLong(at, truncated);
            }
        }

        private void bucket(FieldVector out, int count, BigDecimal width) {
            switch (out) {
                case Float4Vector floats -> {
                    double w = width.doubleValue();
                    long address = floats.getDataBuffer().memoryAddress();
                    for (int k = 0; k < count; k++) {
                        long at = address + 4L * k;
                        double v = Float.intBitsToFloat(MemoryUtil.getInt(at));
                        MemoryUtil.putInt(at, Float.floatToRawIntBits((float) (Math.floor(v / w) * w)));
                    }
                }
                case Float8Vector doubles -> {
                    double w = width.doubleValue();
                    long address = doubles.getDataBuffer().memoryAddress();
                    for (int k = 0; k < count; k++) {
                        long at = address + 8L * k;
                        double v = Double.longBitsToDouble(MemoryUtil.getLong(at));
                        MemoryUtil.putLong(at, Double.doubleToRawLongBits(Math.floor(v / w) * w));
                    }
                }
                case BaseIntVector integers -> {
                    ArrowType.Int type = (ArrowType.Int) output.getType();
                    int bits = type.getBitWidth();
                    int bytes = bits / 8;
                    long mask = type.getIsSigned() || bits == 64 ? -1L : (1L << bits) - 1;
                    long w = width.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0 ? Long.MAX_VALUE : width.longValue();
                    long min = type.getIsSigned() ? (bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1))) : 0;
                    long address = out.getDataBuffer().memoryAddress();
                    for (int k = 0; k < count; k++) {
                        long at = address + (long) k * bytes;
                        long v = switch (bytes) {
                            case 1 -> MemoryUtil.getByte(at) & mask;
                            case 2 -> MemoryUtil.getShort(at) & mask;
                            case 4 -> MemoryUtil.getInt(at) & mask;
                            default -> MemoryUtil.getLong(at);
                        };
                        long q = Math.floorDiv(v, w);
                        long product = q * w;
                        long bound = Math.multiplyHigh(q, w) != (product >> 63) ? Long.MIN_VALUE : product;
                        bound = Math.max(bound, min);
                        switch (bytes) {
                            case 1 -> MemoryUtil.putByte(at, (byte) bound);
                            case 2 -> MemoryUtil.putShort(at, (short) bound);
                            case 4 -> MemoryUtil.putInt(at, (int) bound);
                            default -> MemoryUtil.putLong(at, bound);
                        }
                    }
                }
                default -> throw new IllegalStateException("cannot bucket " + output);
            }
        }

        private static void prefix(VarCharVector in, VarCharVector out, Selection selection, int length) {
            int count = selection.count;
            SelectionCopy.requireCapacity(in.getOffsetBuffer(), 4L * (selection.rows + 1), "offset");
            long offsets = in.getOffsetBuffer().memoryAddress();
            long data = in.getDataBuffer().memoryAddress();
            long total = 0;
            for (int k = 0; k < count; k++) {
                long at = offsets + 4L * selection.row(k);
                int start = MemoryUtil.getInt(at);
                total += prefixBytes(data + start, MemoryUtil.getInt(at + 4) - start, length);
            }
            out.allocateNew(Math.max(1L, total), count);
            SelectionCopy.copyBits(in.getValidityBuffer(), out.getValidityBuffer(), selection);
            long outOffsets = out.getOffsetBuffer().memoryAddress();
            long outData = out.getDataBuffer().memoryAddress();
            MemoryUtil.putInt(outOffsets, 0);
            int position = 0;
            for (int k = 0; k < count; k++) {
                long at = offsets + 4L * selection.row(k);
                int start = MemoryUtil.getInt(at);
                int bytes = prefixBytes(data + start, MemoryUtil.getInt(at + 4) - start, length);
                MemoryUtil.copyMemory(data + start, outData + position, bytes);
                position += bytes;
                MemoryUtil.putInt(outOffsets + 4L * (k + 1), position);
            }
            out.setLastSet(count - 1);
            out.setValueCount(count);
        }

        /** The bytes of the first {@code characters} code points of a UTF-8 string. */
        static int prefixBytes(long address, int length, int characters) {
            int seen = 0;
            for (int i = 0; i < length; i++) {
                if ((MemoryUtil.getByte(address + i) & 0xC0) != 0x80) {
                    if (seen == characters) {
                        return i;
                    }
                    seen++;
                }
            }
            return length;
        }
    }

    // ---- sluice:mask -----------------------------------------------------------------------------

    /** Every value null, or every value the same constant. */
    static final class Mask extends ColumnWriter {
        private final Literal with;

        Mask(Field input, Field output, Literal with) {
            super(input, output);
            this.with = with;
        }

        @Override
        void fill(FieldVector in, Selection selection, FieldVector out) {
            int count = selection.count;
            if (with == null) {
                out.setInitialCapacity(count);
                out.allocateNew();
                out.setValueCount(count);
                return;
            }
            switch (out) {
                case VarCharVector strings -> {
                    byte[] bytes = ((Literal.Text) with).value().getBytes(StandardCharsets.UTF_8);
                    strings.allocateNew(Math.max(1L, (long) bytes.length * count), count);
                    for (int k = 0; k < count; k++) {
                        strings.set(k, bytes);
                    }
                }
                case BitVector bits -> {
                    bits.allocateNew(count);
                    int value = ((Literal.Bool) with).value() ? 1 : 0;
                    for (int k = 0; k < count; k++) {
                        bits.set(k, value);
                    }
                }
                case Float4Vector floats -> {
                    floats.allocateNew(count);
                    float value = (float) numeric(with);
                    for (int k = 0; k < count; k++) {
                        floats.set(k, value);
                    }
                }
                case Float8Vector doubles -> {
                    doubles.allocateNew(count);
                    double value = numeric(with);
                    for (int k = 0; k < count; k++) {
                        doubles.set(k, value);
                    }
                }
                case DateDayVector days -> {
                    days.allocateNew(count);
                    int value = (int) ((Literal.Date) with).value().toEpochDay();
                    for (int k = 0; k < count; k++) {
                        days.set(k, value);
                    }
                }
                case DateMilliVector millis -> {
                    millis.allocateNew(count);
                    long value = ((Literal.Date) with).value().toEpochDay() * 86_400_000L;
                    for (int k = 0; k < count; k++) {
                        millis.set(k, value);
                    }
                }
                case TimeStampVector stamps -> {
                    stamps.allocateNew(count);
                    long value = timestampUnits(with, (ArrowType.Timestamp) output.getType());
                    for (int k = 0; k < count; k++) {
                        stamps.set(k, value);
                    }
                }
                case BaseIntVector integers -> {
                    ((BaseFixedWidthVector) out).allocateNew(count);
                    long value = ((Literal.Int) with).value();
                    for (int k = 0; k < count; k++) {
                        integers.setWithPossibleTruncate(k, value);
                    }
                }
                default -> throw new IllegalStateException("cannot mask " + output + " with a constant");
            }
            out.setValueCount(count);
        }

        private static double numeric(Literal literal) {
            return switch (literal) {
                case Literal.Int i -> i.value();
                case Literal.Decimal d -> d.value().doubleValue();
                default -> throw new IllegalStateException(literal + " is not a number");
            };
        }

        private static long timestampUnits(Literal literal, ArrowType.Timestamp type) {
            long perSecond = VectorFilter.perSecond(type.getUnit());
            Instant instant = switch (literal) {
                case Literal.Timestamp t -> t.value();
                case Literal.Date d -> d.value().atStartOfDay(ZoneOffset.UTC).toInstant();
                default -> throw new IllegalStateException(literal + " is not a timestamp");
            };
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), perSecond),
                    instant.getNano() / (1_000_000_000L / perSecond));
        }
    }

    /** Civil-calendar arithmetic on days since 1970-01-01 (proleptic Gregorian), without objects. */
    static final class Calendar {
        private Calendar() {}

        /** The first day of the year (or month) of {@code day}. */
        static long truncateDays(long day, boolean toYear) {
            long z = day + 719_468;
            long era = Math.floorDiv(z, 146_097);
            long doe = z - era * 146_097;
            long yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
            long year = yoe + era * 400;
            long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            long mp = (5 * doy + 2) / 153;
            long month = mp < 10 ? mp + 3 : mp - 9;
            if (month <= 2) {
                year++;
            }
            return daysFromCivil(year, toYear ? 1 : month, 1);
        }

        static long daysFromCivil(long year, long month, long day) {
            long y = month <= 2 ? year - 1 : year;
            long era = Math.floorDiv(y, 400);
            long yoe = y - era * 400;
            long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
            long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
            return era * 146_097 + doe - 719_468;
        }
    }
}
