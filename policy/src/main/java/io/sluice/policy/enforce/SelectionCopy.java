package io.sluice.policy.enforce;

import io.sluice.policy.FieldPath;
import io.sluice.policy.internal.filter.Bitmaps;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;

/**
 * Copies the selected rows of a vector into an empty vector of the same type: a gather over
 * Arrow's layouts (decision 0017), with fresh buffers written once and loaded into the target.
 * The target's buffers come from its own allocator and belong to it; on failure whatever was
 * allocated here is released. Stateless apart from the {@link Selection}'s scratch; call from the
 * one thread that owns the selection.
 *
 * <p>The input is checked as it is read, since a connector's batch is outside data: offsets of
 * the selected rows must start at 0 or later, never decrease and stay inside their buffers, and
 * nesting may not go deeper than {@link FieldPath#MAX_DEPTH}. A batch that breaks this is refused
 * with an {@link IllegalArgumentException} naming the column; nothing malformed is ever produced.
 */
final class SelectionCopy {
    /** Bytes per offset of a list, utf8 or binary vector. */
    static final int INT_OFFSETS = 4;
    /** Bytes per offset of a large list, large utf8 or large binary vector. */
    static final int LONG_OFFSETS = 8;

    private SelectionCopy() {}

    /**
     * Copies the selected rows of {@code in} into the empty vector {@code out} of the same type.
     * Every layout a connector yields is copied buffer by buffer: fixed width (with booleans as
     * bits), variable width with 32- and 64-bit offsets, null, and the nested layouts (struct,
     * list, large list, map, fixed-size list), whose children are copied the same way.
     *
     * @throws IllegalStateException for a layout the pipeline does not copy (a union, a view, run-end
     *     encoded); the grant was refused for those at grant time ({@code DutyTargets.checkCopyable})
     * @throws IllegalArgumentException for a malformed input (above)
     */
    static void copy(FieldVector in, Selection selection, FieldVector out) {
        copy(in, selection, out, 1);
    }

    private static void copy(FieldVector in, Selection selection, FieldVector out, int depth) {
        if (depth > FieldPath.MAX_DEPTH) {
            // Grant time refuses deeper schemas; this guards against a batch deeper than its schema.
            throw new IllegalArgumentException("field '" + in.getName() + "' lies more than " + FieldPath.MAX_DEPTH
                    + " levels deep in the batch; the broker copies at most " + FieldPath.MAX_DEPTH);
        }
        int count = selection.count;
        BufferAllocator allocator = out.getAllocator();
        switch (in) {
            case BaseFixedWidthVector fixed -> {
                boolean bits = in instanceof BitVector;
                long dataBytes = bits ? (count + 7L) >>> 3 : (long) count * fixed.getTypeWidth();
                List<ArrowBuf> buffers = new ArrayList<>(2);
                try {
                    buffers.add(allocator.buffer(Math.max(8, (count + 7L) >>> 3)));
                    buffers.add(allocator.buffer(Math.max(8, dataBytes)));
                    int valid = copyBits(fixed.getValidityBuffer(), buffers.get(0), selection);
                    if (bits) {
                        copyBits(fixed.getDataBuffer(), buffers.get(1), selection);
                    } else {
                        copyFixed(fixed.getDataBuffer(), buffers.get(1), fixed.getTypeWidth(), selection);
                    }
                    out.loadFieldBuffers(new ArrowFieldNode(count, count - valid), buffers);
                } finally {
                    buffers.forEach(ArrowBuf::close);
                }
            }
            case BaseVariableWidthVector variable -> {
                List<ArrowBuf> buffers = new ArrayList<>(3);
                try {
                    buffers.add(allocator.buffer(Math.max(8, (count + 7L) >>> 3)));
                    int valid = copyBits(variable.getValidityBuffer(), buffers.get(0), selection);
                    copyVariable(variable, allocator, buffers, selection);
                    out.loadFieldBuffers(new ArrowFieldNode(count, count - valid), buffers);
                } finally {
                    buffers.forEach(ArrowBuf::close);
                }
            }
            case BaseLargeVariableWidthVector large -> copyLargeVariable(large, selection, out);
            case NullVector nulls -> out.setValueCount(count);
            case StructVector struct -> {
                StructVector target = (StructVector) out;
                loadValidity(struct, selection, target);
                for (FieldVector child : struct.getChildrenFromFields()) {
                    copy(child, selection, target.getChild(child.getName()), depth + 1);
                }
            }
            // A map is a list of entry structs.
            case ListVector list -> {
                Selection elements = elements(list, INT_OFFSETS, selection, out);
                copy(list.getDataVector(), elements, ((ListVector) out).getDataVector(), depth + 1);
            }
            case LargeListVector list -> {
                Selection elements = elements(list, LONG_OFFSETS, selection, out);
                copy((FieldVector) list.getDataVector(), elements,
                        (FieldVector) ((LargeListVector) out).getDataVector(), depth + 1);
            }
            case FixedSizeListVector list -> {
                Selection elements = elements(list, selection, (FixedSizeListVector) out);
                copy((FieldVector) list.getDataVector(), elements,
                        (FieldVector) ((FixedSizeListVector) out).getDataVector(), depth + 1);
            }
            default -> throw new IllegalStateException("cannot copy " + in.getField());
        }
    }

    /** Loads the selected rows' validity bits into {@code out}, a struct or fixed-size list, as its only buffer. */
    static void loadValidity(FieldVector in, Selection selection, FieldVector out) {
        int count = selection.count;
        try (ArrowBuf validity = out.getAllocator().buffer(Math.max(8, (count + 7L) >>> 3))) {
            int valid = copyBits(in.getValidityBuffer(), validity, selection);
            out.loadFieldBuffers(new ArrowFieldNode(count, count - valid), List.of(validity));
        }
    }

    // ---- lists -----------------------------------------------------------------------------------

    /**
     * Loads the selected rows' validity and rebased offsets of a list or large list
     * ({@code offsetWidth} 4 or 8 bytes; a map is a list) into {@code out}; returns the selection
     * of their elements in the input's element vector, in order, so that the k-th selected element
     * lands at position k of the output's. The output offsets count exactly the selected elements
     * because the selected rows' ranges are required to be disjoint and in order.
     */
    static Selection elements(FieldVector in, int offsetWidth, Selection selection, FieldVector out) {
        int rows = selection.rows;
        ArrowBuf inOffsets = in.getOffsetBuffer();
        if (rows > 0) {
            requireCapacity(inOffsets, (long) offsetWidth * (rows + 1), "offset");
        }
        long offsets = inOffsets.memoryAddress();
        long first = rows == 0 ? 0 : offset(offsets, 0, offsetWidth);
        long end = rows == 0 ? 0 : offset(offsets, rows, offsetWidth);
        if (first < 0 || end < first) {
            throw new IllegalArgumentException(kind(offsetWidth) + " '" + in.getName() + "' has offsets " + first
                    + ".." + end + " for its " + rows + " rows; offsets must start at 0 or later and never decrease");
        }
        if (end > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException(kind(offsetWidth) + " '" + in.getName() + "' holds " + end
                    + " elements in one batch, more than the broker copies at once");
        }
        long[] chosen = new long[Bitmaps.words((int) end) + 1];
        List<ArrowBuf> buffers = new ArrayList<>(2);
        try {
            int count = selection.count;
            BufferAllocator allocator = out.getAllocator();
            buffers.add(allocator.buffer(Math.max(8, (count + 7L) >>> 3)));
            int valid = copyBits(in.getValidityBuffer(), buffers.get(0), selection);
            buffers.add(allocator.buffer((long) offsetWidth * (count + 1)));
            long outOffsets = buffers.get(1).memoryAddress();
            putOffset(outOffsets, 0, 0, offsetWidth);
            long position = 0;
            long previous = first;
            for (int k = 0; k < count; k++) {
                int row = selection.row(k);
                long start = offset(offsets, row, offsetWidth);
                long stop = offset(offsets, row + 1, offsetWidth);
                if (start < previous || stop < start || stop > end) {
                    throw new IllegalArgumentException(kind(offsetWidth) + " '" + in.getName() + "' row " + row
                            + " holds elements " + start + ".." + stop + ", which overlap an earlier row's (up to "
                            + previous + ") or lie outside its elements " + first + ".." + end
                            + "; offsets must never decrease");
                }
                setRange(chosen, (int) start, (int) stop);
                position += stop - start;
                putOffset(outOffsets, k + 1, position, offsetWidth);
                previous = stop;
            }
            out.loadFieldBuffers(new ArrowFieldNode(count, count - valid), buffers);
        } finally {
            buffers.forEach(ArrowBuf::close);
        }
        return elementSelection(selection.all && first == 0, chosen, (int) end);
    }

    /** As {@link #elements(FieldVector, int, Selection, FieldVector)}: row r holds elements r*n to r*n+n-1. */
    static Selection elements(FixedSizeListVector in, Selection selection, FixedSizeListVector out) {
        int size = in.getListSize();
        long end = (long) selection.rows * size;
        if (end > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("fixed-size list '" + in.getName() + "' holds " + end
                    + " elements in one batch, more than the broker copies at once");
        }
        long[] chosen = new long[Bitmaps.words((int) end) + 1];
        for (int k = 0; k < selection.count; k++) {
            int row = selection.row(k);
            setRange(chosen, row * size, row * size + size);
        }
        loadValidity(in, selection, out);
        return elementSelection(selection.all, chosen, (int) end);
    }

    private static long offset(long offsets, int index, int width) {
        return width == INT_OFFSETS ? MemoryUtil.getInt(offsets + 4L * index) : MemoryUtil.getLong(offsets + 8L * index);
    }

    private static void putOffset(long offsets, int index, long value, int width) {
        if (width == INT_OFFSETS) {
            MemoryUtil.putInt(offsets + 4L * index, (int) value);
        } else {
            MemoryUtil.putLong(offsets + 8L * index, value);
        }
    }

    private static String kind(int offsetWidth) {
        return offsetWidth == INT_OFFSETS ? "list" : "large list";
    }

    private static Selection elementSelection(boolean all, long[] chosen, int elements) {
        Selection selection = new Selection();
        if (all) {
            selection.all(elements);
        } else {
            selection.of(chosen, elements);
        }
        return selection;
    }

    /** Sets bits {@code from} (inclusive) to {@code to} (exclusive). */
    static void setRange(long[] words, int from, int to) {
        while (from < to) {
            int bit = from & 63;
            int n = Math.min(64 - bit, to - from);
            words[from >>> 6] |= (n == 64 ? -1L : (1L << n) - 1) << bit;
            from += n;
        }
    }

    // ---- fixed and variable width ----------------------------------------------------------------

    private static void copyFixed(ArrowBuf from, ArrowBuf to, int width, Selection selection) {
        int count = selection.count;
        requireCapacity(from, (long) selection.rows * width, "data");
        long source = from.memoryAddress();
        long target = to.memoryAddress();
        if (selection.all) {
            MemoryUtil.copyMemory(source, target, (long) count * width);
            return;
        }
        int[] rows = selection.indices;
        switch (width) {
            case 1 -> {
                for (int k = 0; k < count; k++) {
                    MemoryUtil.putByte(target + k, MemoryUtil.getByte(source + rows[k]));
                }
            }
            case 2 -> {
                for (int k = 0; k < count; k++) {
                    MemoryUtil.putShort(target + 2L * k, MemoryUtil.getShort(source + 2L * rows[k]));
                }
            }
            case 4 -> {
                for (int k = 0; k < count; k++) {
                    MemoryUtil.putInt(target + 4L * k, MemoryUtil.getInt(source + 4L * rows[k]));
                }
            }
            case 8 -> {
                for (int k = 0; k < count; k++) {
                    MemoryUtil.putLong(target + 8L * k, MemoryUtil.getLong(source + 8L * rows[k]));
                }
            }
            default -> {
                for (int k = 0; k < count; k++) {
                    MemoryUtil.copyMemory(source + (long) width * rows[k], target + (long) width * k, width);
                }
            }
        }
    }

    /**
     * Copies the selected bits of a bitmap (validity, or boolean values) to the start of
     * {@code to}; returns how many of them are set.
     */
    static int copyBits(ArrowBuf from, ArrowBuf to, Selection selection) {
        int count = selection.count;
        if (count == 0) {
            return 0;
        }
        long[] words = selection.scratch(selection.rows);
        Bitmaps.read(from, selection.rows, words);
        if (!selection.all) {
            // Pack the selected bits word by word (Long.compress is PEXT on x86-64 with BMI2).
            long[] out = selection.packed();
            long[] selected = selection.selected;
            int k = 0;
            for (int w = 0, n = Bitmaps.words(selection.rows); w < n; w++) {
                long mask = selected[w];
                if (mask == 0) {
                    continue;
                }
                long bits = Long.compress(words[w], mask);
                int shift = k & 63;
                int at = k >>> 6;
                out[at] |= bits << shift;
                if (shift != 0) {
                    out[at + 1] |= bits >>> (64 - shift);
                }
                k += Long.bitCount(mask);
            }
            words = out;
        }
        writeBits(words, count, to);
        return Bitmaps.count(words, count);
    }

    /** Writes {@code count} bits from words into an Arrow bitmap. */
    static void writeBits(long[] words, int count, ArrowBuf to) {
        long bytes = (count + 7L) >>> 3;
        requireCapacity(to, bytes, "bitmap");
        long address = to.memoryAddress();
        long capacity = to.capacity();
        for (int w = 0, n = Bitmaps.words(count); w < n; w++) {
            long offset = (long) w << 3;
            long word = words[w] & (w == n - 1 ? Bitmaps.tailMask(count) : -1L);
            if (MemoryUtil.LITTLE_ENDIAN && offset + 8 <= capacity) {
                MemoryUtil.putLong(address + offset, word);
            } else {
                for (long b = offset; b < Math.min(bytes, offset + 8); b++) {
                    MemoryUtil.putByte(address + b, (byte) (word >>> ((b - offset) << 3)));
                }
            }
        }
    }

    /**
     * Appends the offset and data buffers of the selected values (utf8, binary) to {@code buffers}.
     * The data buffer is sized for all values between the first and last offset, which holds the
     * selected ones because their ranges are disjoint and in order (checked as they are copied).
     */
    private static void copyVariable(
            BaseVariableWidthVector in, BufferAllocator allocator, List<ArrowBuf> buffers, Selection selection) {
        int count = selection.count;
        int rows = selection.rows;
        ArrowBuf inOffsets = in.getOffsetBuffer();
        if (rows > 0) {
            requireCapacity(inOffsets, 4L * (rows + 1), "offset");
        }
        long offsets = inOffsets.memoryAddress();
        long data = in.getDataBuffer().memoryAddress();
        long inCapacity = in.getDataBuffer().capacity();
        int first = rows == 0 ? 0 : MemoryUtil.getInt(offsets);
        int last = rows == 0 ? 0 : MemoryUtil.getInt(offsets + 4L * rows);
        if (first < 0 || last < first || last > inCapacity) {
            throw outside(in, first, last);
        }
        ArrowBuf offsetBuffer = allocator.buffer(4L * (count + 1));
        buffers.add(offsetBuffer);
        // The selected values fit in what the batch holds: one pass, no exact sizing first.
        ArrowBuf dataBuffer = allocator.buffer(Math.max(8, last - first));
        buffers.add(dataBuffer);
        long outOffsets = offsetBuffer.memoryAddress();
        long outData = dataBuffer.memoryAddress();
        long outCapacity = dataBuffer.capacity();
        MemoryUtil.putInt(outOffsets, 0);
        if (selection.all) {
            MemoryUtil.copyMemory(data + first, outData, last - first);
            int previous = first;
            for (int k = 1; k <= count; k++) {
                int offset = MemoryUtil.getInt(offsets + 4L * k);
                if (offset < previous) {
                    throw decreasing(in, k - 1, previous, offset, previous);
                }
                MemoryUtil.putInt(outOffsets + 4L * k, offset - first);
                previous = offset;
            }
            return;
        }
        int[] indices = selection.indices;
        int position = 0;
        int previous = first;
        for (int k = 0; k < count; k++) {
            long at = offsets + 4L * indices[k];
            int start = MemoryUtil.getInt(at);
            int end = MemoryUtil.getInt(at + 4);
            int length = end - start;
            if (start < previous || end < start) {
                throw decreasing(in, indices[k], start, end, previous);
            }
            if (end > last) {
                throw outside(in, start, end);
            }
            if (length <= 16 && start + 16L <= inCapacity && position + 16L <= outCapacity) {
                // Short values: two word moves (the bytes past the value are overwritten by the next one).
                MemoryUtil.putLong(outData + position, MemoryUtil.getLong(data + start));
                MemoryUtil.putLong(outData + position + 8, MemoryUtil.getLong(data + start + 8));
            } else {
                MemoryUtil.copyMemory(data + start, outData + position, length);
            }
            position += length;
            MemoryUtil.putInt(outOffsets + 4L * (k + 1), position);
            previous = end;
        }
    }

    /** Variable-width values with 64-bit offsets (large utf8, large binary), value by value. */
    private static void copyLargeVariable(BaseLargeVariableWidthVector in, Selection selection, FieldVector out) {
        int count = selection.count;
        int rows = selection.rows;
        BufferAllocator allocator = out.getAllocator();
        if (rows > 0) {
            requireCapacity(in.getOffsetBuffer(), 8L * (rows + 1), "offset");
        }
        long offsets = in.getOffsetBuffer().memoryAddress();
        long first = rows == 0 ? 0 : MemoryUtil.getLong(offsets);
        long last = rows == 0 ? 0 : MemoryUtil.getLong(offsets + 8L * rows);
        if (first < 0 || last < first) {
            throw outside(in, first, last);
        }
        requireCapacity(in.getDataBuffer(), last, "data");
        // Sizes the output exactly, and checks every range before anything is copied.
        long total = 0;
        long previous = first;
        for (int k = 0; k < count; k++) {
            int row = selection.row(k);
            long at = offsets + 8L * row;
            long start = MemoryUtil.getLong(at);
            long stop = MemoryUtil.getLong(at + 8);
            if (start < previous || stop < start) {
                throw decreasing(in, row, start, stop, previous);
            }
            if (stop > last) {
                throw outside(in, start, stop);
            }
            total += stop - start;
            previous = stop;
        }
        List<ArrowBuf> buffers = new ArrayList<>(3);
        try {
            buffers.add(allocator.buffer(Math.max(8, (count + 7L) >>> 3)));
            int valid = copyBits(in.getValidityBuffer(), buffers.get(0), selection);
            buffers.add(allocator.buffer(8L * (count + 1)));
            buffers.add(allocator.buffer(Math.max(8, total)));
            long outOffsets = buffers.get(1).memoryAddress();
            long outData = buffers.get(2).memoryAddress();
            long data = in.getDataBuffer().memoryAddress();
            long position = 0;
            MemoryUtil.putLong(outOffsets, 0);
            for (int k = 0; k < count; k++) {
                long at = offsets + 8L * selection.row(k);
                long start = MemoryUtil.getLong(at);
                long length = MemoryUtil.getLong(at + 8) - start;
                MemoryUtil.copyMemory(data + start, outData + position, length);
                position += length;
                MemoryUtil.putLong(outOffsets + 8L * (k + 1), position);
            }
            out.loadFieldBuffers(new ArrowFieldNode(count, count - valid), buffers);
        } finally {
            buffers.forEach(ArrowBuf::close);
        }
    }

    private static IllegalArgumentException outside(FieldVector vector, long start, long end) {
        return new IllegalArgumentException("column '" + vector.getName() + "' has a value at bytes " + start + ".."
                + end + " outside its data buffer of " + vector.getDataBuffer().capacity() + " bytes");
    }

    private static IllegalArgumentException decreasing(FieldVector vector, int row, long start, long end, long previous) {
        return new IllegalArgumentException("column '" + vector.getName() + "' row " + row + " holds bytes " + start
                + ".." + end + ", which run backwards or overlap an earlier value (up to byte " + previous
                + "); offsets must never decrease");
    }

    static void requireCapacity(ArrowBuf buffer, long bytes, String what) {
        if (buffer.capacity() < bytes) {
            throw new IllegalArgumentException("a " + what + " buffer of " + buffer.capacity() + " bytes, needs " + bytes);
        }
    }
}
