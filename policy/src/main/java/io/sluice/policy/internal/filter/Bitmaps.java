package io.sluice.policy.internal.filter;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Selections as {@code long[]} words: bit {@code i % 64} of word {@code i / 64} stands for row
 * {@code i}, the same order as an Arrow validity bitmap read little-endian. Bits past the batch's
 * row count are always zero. Stateless.
 */
public final class Bitmaps {
    private Bitmaps() {}

    /** Words needed for {@code rows} rows. */
    public static int words(int rows) {
        return (rows + 63) >>> 6;
    }

    /** The mask of valid bits in the last word of {@code rows} rows (all ones when it is full). */
    public static long tailMask(int rows) {
        int tail = rows & 63;
        return tail == 0 ? -1L : (1L << tail) - 1;
    }

    /** Sets {@code out} to all {@code rows} rows selected. */
    public static void fill(long[] out, int rows) {
        int words = words(rows);
        for (int w = 0; w < words; w++) {
            out[w] = -1L;
        }
        if (words > 0) {
            out[words - 1] = tailMask(rows);
        }
    }

    /** Reads an Arrow bitmap (validity, or a boolean vector's values) of {@code rows} bits into words. */
    public static void read(ArrowBuf buffer, int rows, long[] out) {
        int words = words(rows);
        if (words == 0) {
            return;
        }
        long bytes = (rows + 7L) >>> 3;
        if (buffer.capacity() < bytes) {
            throw new IllegalArgumentException("a bitmap of " + rows + " rows needs " + bytes + " bytes, has "
                    + buffer.capacity());
        }
        long address = buffer.memoryAddress();
        long capacity = buffer.capacity();
        for (int w = 0; w < words; w++) {
            long offset = (long) w << 3;
            if (MemoryUtil.LITTLE_ENDIAN && offset + 8 <= capacity) {
                out[w] = MemoryUtil.getLong(address + offset);
            } else {
                long word = 0;
                long end = Math.min(bytes, offset + 8);
                for (long b = offset; b < end; b++) {
                    word |= (MemoryUtil.getByte(address + b) & 0xFFL) << ((b - offset) << 3);
                }
                out[w] = word;
            }
        }
        out[words - 1] &= tailMask(rows);
    }

    /** The number of selected rows. */
    public static int count(long[] words, int rows) {
        int count = 0;
        int n = words(rows);
        for (int w = 0; w < n; w++) {
            count += Long.bitCount(words[w]);
        }
        return count;
    }

    /**
     * Writes the selected rows' indices, ascending, into {@code indices}; returns how many.
     * {@code indices} must hold at least {@link #count} entries.
     */
    public static int indices(long[] words, int rows, int[] indices) {
        int n = words(rows);
        int k = 0;
        for (int w = 0; w < n; w++) {
            long word = words[w];
            int base = w << 6;
            if (word == -1L) {
                for (int j = 0; j < 64; j++) {
                    indices[k++] = base + j;
                }
                continue;
            }
            while (word != 0) {
                indices[k++] = base + Long.numberOfTrailingZeros(word);
                word &= word - 1;
            }
        }
        return k;
    }
}
