package io.sluice.connectors.parquet;

import io.sluice.connectors.internal.ArrowSink;
import io.sluice.connectors.parquet.ParquetColumn.LeafKind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Conversions of PLAIN-encoded physical values into Arrow's fixed-width layouts, between memory
 * segments (a native page, a native Arrow buffer, or a heap dictionary). Same-width kinds are one
 * bulk copy; the others one tight loop. Every read is checked against the end of the values so
 * that a short page is an error, never a read of foreign bytes.
 */
final class PlainValues {
    private PlainValues() {}

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Days between the Julian day epoch and 1970-01-01. */
    private static final long JULIAN_EPOCH_DAY = 2_440_588L;
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    private static final long NANOS_PER_MICRO = 1_000L;

    /** The smallest number of bytes one PLAIN value of {@code kind} takes in a page. */
    static int minEncodedBytes(LeafKind kind, int typeLength) {
        return switch (kind) {
            case BOOLEAN -> 0;
            case INT32, INT32_TO_INT8, INT32_TO_INT16, INT32_TO_DECIMAL, FLOAT -> 4;
            case INT64, INT64_TO_DECIMAL, DOUBLE -> 8;
            case INT96_TO_MICROS -> 12;
            case FIXED_BINARY, FIXED_TO_DECIMAL -> Math.max(1, typeLength);
            case BINARY, BINARY_TO_DECIMAL -> 4;
        };
    }

    /**
     * Converts {@code count} PLAIN values of a fixed-width {@code kind} at {@code position} of
     * {@code source} into {@code target} at byte {@code targetOffset}, {@code outWidth} bytes each.
     *
     * @return the position after the last value read
     * @throws IllegalStateException when the values run past {@code end}
     */
    static long convert(LeafKind kind, MemorySegment source, long position, long end, int count,
            MemorySegment target, long targetOffset, int typeLength, int outWidth) {
        switch (kind) {
            case INT32, FLOAT -> {
                return copy(source, position, end, target, targetOffset, 4L * count);
            }
            case INT64, DOUBLE -> {
                return copy(source, position, end, target, targetOffset, 8L * count);
            }
            case FIXED_BINARY -> {
                return copy(source, position, end, target, targetOffset, (long) typeLength * count);
            }
            case INT32_TO_INT8 -> {
                check(position, 4L * count, end);
                for (int i = 0; i < count; i++) {
                    target.set(BYTE, targetOffset + i, (byte) source.get(INT, position + 4L * i));
                }
                return position + 4L * count;
            }
            case INT32_TO_INT16 -> {
                check(position, 4L * count, end);
                for (int i = 0; i < count; i++) {
                    target.set(SHORT, targetOffset + 2L * i, (short) source.get(INT, position + 4L * i));
                }
                return position + 4L * count;
            }
            case INT32_TO_DECIMAL -> {
                check(position, 4L * count, end);
                for (int i = 0; i < count; i++) {
                    decimal(target, targetOffset + (long) outWidth * i, source.get(INT, position + 4L * i), outWidth);
                }
                return position + 4L * count;
            }
            case INT64_TO_DECIMAL -> {
                check(position, 8L * count, end);
                for (int i = 0; i < count; i++) {
                    decimal(target, targetOffset + (long) outWidth * i, source.get(LONG, position + 8L * i), outWidth);
                }
                return position + 8L * count;
            }
            case INT96_TO_MICROS -> {
                check(position, 12L * count, end);
                for (int i = 0; i < count; i++) {
                    long at = position + 12L * i;
                    target.set(LONG, targetOffset + 8L * i, int96ToMicros(source.get(LONG, at), source.get(INT, at + 8)));
                }
                return position + 12L * count;
            }
            case FIXED_TO_DECIMAL -> {
                check(position, (long) typeLength * count, end);
                for (int i = 0; i < count; i++) {
                    bigEndianDecimal(source, position + (long) typeLength * i, typeLength, target,
                            targetOffset + (long) outWidth * i, outWidth);
                }
                return position + (long) typeLength * count;
            }
            case BINARY_TO_DECIMAL -> {
                long at = position;
                for (int i = 0; i < count; i++) {
                    check(at, 4, end);
                    int length = source.get(INT, at);
                    if (length < 0 || length > 32) {
                        throw new IllegalStateException("a decimal value claims " + length + " bytes");
                    }
                    check(at + 4, length, end);
                    bigEndianDecimal(source, at + 4, length, target, targetOffset + (long) outWidth * i, outWidth);
                    at += 4 + length;
                }
                return at;
            }
            case BOOLEAN, BINARY -> throw new IllegalArgumentException(kind + " is not a fixed-width kind");
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
    }

    /**
     * A legacy INT96 timestamp (nanoseconds of the day, then the Julian day) as microseconds since
     * 1970-01-01, as Spark and pyarrow's {@code coerce_int96_timestamp_unit='us'} read it: the
     * nanoseconds are truncated to microseconds. Microseconds hold years -290307 to 294246, so
     * Spark's sentinels 0001-01-01 and 9999-12-31 come out exactly; a day beyond that range is an
     * error, never a value that wrapped around.
     *
     * @throws IllegalStateException when the timestamp does not fit 64-bit microseconds
     */
    static long int96ToMicros(long nanosOfDay, int julianDay) {
        try {
            return Math.addExact(Math.multiplyExact(julianDay - JULIAN_EPOCH_DAY, MICROS_PER_DAY),
                    nanosOfDay / NANOS_PER_MICRO);
        } catch (ArithmeticException e) {
            throw new IllegalStateException("an INT96 timestamp (Julian day " + julianDay + ", " + nanosOfDay
                    + " ns into the day) lies outside the range of 64-bit microseconds");
        }
    }

    /** Writes {@code value} as a little-endian two's complement integer of {@code width} bytes. */
    static void decimal(MemorySegment target, long offset, long value, int width) {
        target.set(LONG, offset, value);
        long sign = value >> 63;
        if (width == 16) {
            target.set(LONG, offset + 8, sign);
            return;
        }
        for (int i = 8; i < width; i += 8) {
            target.set(LONG, offset + i, sign);
        }
    }

    /** A big-endian two's complement integer of {@code length} bytes as a little-endian one of {@code width}. */
    static void bigEndianDecimal(MemorySegment source, long at, int length, MemorySegment target, long offset,
            int width) {
        byte sign = length > 0 && source.get(BYTE, at) < 0 ? (byte) -1 : 0;
        int copied = Math.min(length, width);
        for (int b = 0; b < copied; b++) {
            target.set(BYTE, offset + b, source.get(BYTE, at + length - 1 - b));
        }
        for (int b = copied; b < width; b++) {
            target.set(BYTE, offset + b, sign);
        }
    }

    /**
     * Copies {@code length} bytes; values of up to 64 bytes a long at a time, which may copy up to
     * 15 bytes past the value (pages and dictionaries have {@link ColumnChunkPages#PADDING} readable
     * bytes after their end and {@link ArrowSink.Variable} keeps {@link ArrowSink.Variable#SLACK}
     * writable bytes, so the extra bytes are always inside the segments and are overwritten by the
     * next value).
     */
    static void copyShort(MemorySegment source, long from, MemorySegment target, long to, int length) {
        if (length <= 16) {
            target.set(LONG, to, source.get(LONG, from));
            target.set(LONG, to + 8, source.get(LONG, from + 8));
        } else if (length <= 64) {
            for (int i = 0; i < length; i += 8) {
                target.set(LONG, to + i, source.get(LONG, from + i));
            }
        } else {
            MemorySegment.copy(source, from, target, to, length);
        }
    }

    private static long copy(MemorySegment source, long position, long end, MemorySegment target, long targetOffset,
            long bytes) {
        check(position, bytes, end);
        MemorySegment.copy(source, position, target, targetOffset, bytes);
        return position + bytes;
    }

    static void check(long position, long bytes, long end) {
        if (bytes < 0 || position + bytes > end) {
            throw new IllegalStateException("values run past the end of their page");
        }
    }
}
