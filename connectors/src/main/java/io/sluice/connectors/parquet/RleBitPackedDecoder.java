package io.sluice.connectors.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Decodes Parquet's RLE / bit-packing hybrid encoding (levels, dictionary ids, RLE booleans) in
 * bulk: a run-length run becomes one {@code Arrays.fill}, a bit-packed run one tight unpacking loop.
 *
 * <p>The input is a region of a page segment that has at least {@link ColumnChunkPages#PADDING}
 * readable bytes after it, so that unpacking may read a whole little-endian long at any byte. Runs
 * that claim more bytes than the region holds are reported as {@link IllegalStateException}, which
 * the reader turns into a corrupt-source error. Not thread-safe; reused page after page.
 */
final class RleBitPackedDecoder {
    private static final ValueLayout.OfLong LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MemorySegment data;
    private long position;
    private long end;
    private int bitWidth;
    private long mask;
    private int bytesPerRleValue;

    /** Values left in the current run. */
    private int runLeft;
    private boolean packed;
    private int rleValue;
    /** Bit-packed run: byte offset of the run and the index of the next value in it. */
    private long packedStart;
    private int packedIndex;

    /** Starts decoding {@code [start, end)} of {@code data} with values of {@code bitWidth} bits (0 to 32). */
    void init(MemorySegment data, long start, long end, int bitWidth) {
        if (bitWidth < 0 || bitWidth > 32) {
            throw new IllegalStateException("bit width " + bitWidth + " is outside 0..32");
        }
        if (start > end || end > data.byteSize()) {
            throw new IllegalStateException("level or id data runs past the end of its page");
        }
        this.data = data;
        this.position = start;
        this.end = end;
        this.bitWidth = bitWidth;
        this.mask = bitWidth == 0 ? 0 : (1L << bitWidth) - 1;
        this.bytesPerRleValue = (bitWidth + 7) / 8;
        this.runLeft = 0;
    }

    /**
     * Reads {@code count} levels into {@code target[offset..]} as bytes (a reader refuses
     * columns whose levels could exceed 127) and checks each against {@code maxLevel}: once per
     * run-length run, and per value only in bit-packed runs whose bit width can hold more than
     * {@code maxLevel}.
     *
     * @return -1, or the first level found above {@code maxLevel} (the target then holds only
     *     part of the levels: the page is damaged)
     */
    int readLevels(byte[] target, int offset, int count, int maxLevel) {
        boolean checkPacked = mask > maxLevel;
        int done = 0;
        while (done < count) {
            if (runLeft == 0) {
                nextRun();
            }
            int n = Math.min(runLeft, count - done);
            int from = offset + done;
            if (!packed) {
                if (rleValue > maxLevel) {
                    return rleValue;
                }
                Arrays.fill(target, from, from + n, (byte) rleValue);
            } else {
                long bit = (long) packedIndex * bitWidth;
                for (int i = 0; i < n; i++, bit += bitWidth) {
                    target[from + i] = (byte) ((data.get(LONG_LE, packedStart + (bit >>> 3)) >>> (bit & 7)) & mask);
                }
                packedIndex += n;
                if (checkPacked) {
                    int max = 0;
                    for (int i = from; i < from + n; i++) {
                        max = Math.max(max, target[i]);
                    }
                    if (max > maxLevel) {
                        return max;
                    }
                }
            }
            runLeft -= n;
            done += n;
        }
        return -1;
    }

    /** Reads {@code count} values into {@code target[offset..]} (dictionary ids). */
    void readInts(int[] target, int offset, int count) {
        int done = 0;
        while (done < count) {
            if (runLeft == 0) {
                nextRun();
            }
            int n = Math.min(runLeft, count - done);
            if (!packed) {
                Arrays.fill(target, offset + done, offset + done + n, rleValue);
            } else {
                unpack(target, offset + done, n);
                packedIndex += n;
            }
            runLeft -= n;
            done += n;
        }
    }

    /** Skips {@code count} values. */
    void skip(int count) {
        int done = 0;
        while (done < count) {
            if (runLeft == 0) {
                nextRun();
            }
            int n = Math.min(runLeft, count - done);
            if (packed) {
                packedIndex += n;
            }
            runLeft -= n;
            done += n;
        }
    }

    private void unpack(int[] target, int offset, int n) {
        MemorySegment segment = data;
        long base = packedStart;
        int width = bitWidth;
        long m = mask;
        long bit = (long) packedIndex * width;
        if (width == 0) {
            Arrays.fill(target, offset, offset + n, 0);
            return;
        }
        for (int i = 0; i < n; i++, bit += width) {
            target[offset + i] = (int) ((segment.get(LONG_LE, base + (bit >>> 3)) >>> (bit & 7)) & m);
        }
    }

    private void nextRun() {
        long header = readVarint();
        if ((header & 1) == 0) {
            long count = header >>> 1;
            if (count == 0 || count > Integer.MAX_VALUE) {
                throw new IllegalStateException("a run-length run claims " + count + " values");
            }
            if (position + bytesPerRleValue > end) {
                throw new IllegalStateException("a run-length run is cut off");
            }
            int value = 0;
            for (int i = 0; i < bytesPerRleValue; i++) {
                value |= (data.get(ValueLayout.JAVA_BYTE, position + i) & 0xFF) << (8 * i);
            }
            position += bytesPerRleValue;
            packed = false;
            rleValue = value;
            runLeft = (int) count;
        } else {
            long groups = header >>> 1;
            long bytes = groups * bitWidth;
            if (groups == 0 || groups * 8 > Integer.MAX_VALUE) {
                throw new IllegalStateException("a bit-packed run claims " + groups + " groups");
            }
            if (bytes > end - position) {
                // The last run may be cut short by a writer that knew how many values remain; we
                // only accept what the page actually holds.
                long available = bitWidth == 0 ? groups * 8 : (end - position) * 8 / bitWidth;
                if (available == 0) {
                    throw new IllegalStateException("a bit-packed run is cut off");
                }
                packed = true;
                packedStart = position;
                packedIndex = 0;
                runLeft = (int) available;
                position = end;
                return;
            }
            packed = true;
            packedStart = position;
            packedIndex = 0;
            runLeft = (int) (groups * 8);
            position += bytes;
        }
    }

    private long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= end) {
                throw new IllegalStateException("level or id data ends inside a run header");
            }
            byte b = data.get(ValueLayout.JAVA_BYTE, position++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new IllegalStateException("a run header is longer than 10 bytes");
    }
}
