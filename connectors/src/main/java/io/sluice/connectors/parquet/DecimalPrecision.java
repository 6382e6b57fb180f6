package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.PlainValues.BYTE;
import static io.sluice.connectors.parquet.PlainValues.LONG;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;

/**
 * The bound a DECIMAL(p, s) column's unscaled values must stay under: {@code |v| < 10^p}.
 *
 * <p>The physical types can hold more digits than the annotation allows (an INT64 holds 19, a
 * FIXED_LEN_BYTE_ARRAY(16) 39), and a writer that ignores its own precision produces values that
 * no Arrow Decimal(p, s) may hold. Serving them would put invalid decimals on the wire, so the
 * reader checks every decoded value (a dictionary once) and refuses the page instead.
 *
 * <p>Values are checked where they already sit in Arrow's layout: little-endian two's complement
 * of 16 or 32 bytes. Immutable; thread-safe.
 */
final class DecimalPrecision {
    private final int precision;
    private final int scale;
    private final int width;
    /** 10^precision as an unsigned 128-bit number, for 16-byte values. */
    private final long boundHigh;
    private final long boundLow;
    private final BigInteger bound;

    private DecimalPrecision(int precision, int scale, int width) {
        this.precision = precision;
        this.scale = scale;
        this.width = width;
        this.bound = BigInteger.TEN.pow(precision);
        this.boundLow = bound.longValue();
        this.boundHigh = bound.shiftRight(Long.SIZE).longValue();
    }

    /** The check for a leaf of {@code type} read into {@code outWidth}-byte values, or null for non-decimals. */
    static DecimalPrecision of(PrimitiveType type, int outWidth) {
        if (type.getLogicalTypeAnnotation() instanceof DecimalLogicalTypeAnnotation decimal
                && (outWidth == 16 || outWidth == 32)) {
            return new DecimalPrecision(decimal.getPrecision(), decimal.getScale(), outWidth);
        }
        return null;
    }

    /** The index of the first of {@code count} values at {@code offset} that has too many digits, or -1. */
    int firstUnfit(MemorySegment values, long offset, int count) {
        if (width == 16) {
            for (int i = 0; i < count; i++) {
                long at = offset + 16L * i;
                if (!fits128(values.get(LONG, at), values.get(LONG, at + 8))) {
                    return i;
                }
            }
            return -1;
        }
        for (int i = 0; i < count; i++) {
            if (unscaled(values, offset + (long) width * i).abs().compareTo(bound) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private boolean fits128(long low, long high) {
        if (high < 0) {
            // Two's complement negation of the 128-bit value; -2^127 stays negative and fails below.
            low = -low;
            high = ~high + (low == 0 ? 1 : 0);
        }
        int byHigh = Long.compareUnsigned(high, boundHigh);
        return byHigh < 0 || (byHigh == 0 && Long.compareUnsigned(low, boundLow) < 0);
    }

    /** The value at {@code at} as a user would read it, for the error message. */
    BigDecimal describe(MemorySegment values, long at) {
        return new BigDecimal(unscaled(values, at), scale);
    }

    /** A message naming the annotation, e.g. {@code DECIMAL(9,2)}. */
    String annotation() {
        return "DECIMAL(" + precision + "," + scale + ")";
    }

    private BigInteger unscaled(MemorySegment values, long at) {
        byte[] bigEndian = new byte[width];
        for (int b = 0; b < width; b++) {
            bigEndian[b] = values.get(BYTE, at + width - 1 - b);
        }
        return new BigInteger(bigEndian);
    }
}
