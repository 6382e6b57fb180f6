package io.sluice.connectors.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.util.OversizedAllocationException;

/**
 * Direct access to the buffers of one Arrow leaf vector while a batch is filled: decoders write
 * values into {@link #data()} at value positions, the leaf reader sets validity bits.
 *
 * <p>A vector is reused from batch to batch: {@link #prepare(int)} keeps its buffers when they are
 * big enough (zeroing only the validity bits) and allocates new ones otherwise, so a caller that
 * transferred the buffers of the last batch away gets fresh ones.
 *
 * <p>Internal to the connectors module (shared by its sources); not an API. List elements grow with
 * {@link #ensureCapacity(int)}, which keeps what was written. Every segment is re-derived after an
 * allocation; never keep one across calls. Not thread-safe.
 */
public abstract sealed class ArrowSink permits ArrowSink.Fixed, ArrowSink.Bits, ArrowSink.Variable {
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /** The sink for {@code vector}: fixed width, bits or variable width. */
    public static ArrowSink of(FieldVector vector) {
        return switch (vector) {
            case BitVector bits -> new Bits(bits);
            case BaseFixedWidthVector fixed -> new Fixed(fixed);
            case BaseVariableWidthVector variable -> new Variable(variable);
            default -> throw new IllegalArgumentException("no sink for " + vector.getClass().getSimpleName());
        };
    }

    /** Buffers for exactly {@code rows} values, validity cleared; at the start of a batch. */
    public abstract void prepare(int rows);

    /** Room for {@code values} values, keeping every value and bit written so far. */
    public abstract void ensureCapacity(int values);

    /** Sets the value count (after every value and bit of the batch is written). */
    public abstract void finish(int count);

    public abstract ArrowBuf validity();

    /** Marks {@code [from, from + count)} valid. */
    public final void setValid(int from, int count) {
        setBits(validity(), from, count);
    }

    /** Marks {@code [from, from + count)} null again (before those slots are written once more). */
    public final void clearValidity(int from, int count) {
        ArrowBuf validity = validity();
        for (int i = from; i < from + count; i++) {
            BitVectorHelper.unsetBit(validity, i);
        }
    }

    /** Sets bits {@code [from, from + count)} of {@code buffer}, a byte at a time where it can. */
    public static void setBits(ArrowBuf buffer, int from, int count) {
        int i = from;
        int end = from + count;
        while (i < end && (i & 7) != 0) {
            BitVectorHelper.setBit(buffer, i++);
        }
        int wholeBytes = (end - i) >>> 3;
        if (wholeBytes > 0) {
            buffer.setOne(i >>> 3, wholeBytes);
            i += wholeBytes << 3;
        }
        while (i < end) {
            BitVectorHelper.setBit(buffer, i++);
        }
    }

    public static MemorySegment segment(ArrowBuf buffer) {
        return MemorySegment.ofAddress(buffer.memoryAddress()).reinterpret(buffer.capacity());
    }

    /** A fixed-width vector: integers, floats, dates, timestamps, decimals, fixed-size binary. */
    public static final class Fixed extends ArrowSink {
        private final BaseFixedWidthVector vector;
        private final int width;
        private MemorySegment data;

        Fixed(BaseFixedWidthVector vector) {
            this.vector = vector;
            this.width = vector.getTypeWidth();
        }

        @Override
        public void prepare(int rows) {
            if (vector.getValueCapacity() < rows) {
                vector.allocateNew(rows);
            } else {
                ArrowBuf validity = vector.getValidityBuffer();
                validity.setZero(0, validity.capacity());
            }
            data = segment(vector.getDataBuffer());
        }

        @Override
        public void ensureCapacity(int values) {
            boolean grew = false;
            while (vector.getValueCapacity() < values) {
                vector.reAlloc();
                grew = true;
            }
            if (grew || data == null) {
                data = segment(vector.getDataBuffer());
            }
        }

        public MemorySegment data() {
            return data;
        }

        @Override
        public ArrowBuf validity() {
            return vector.getValidityBuffer();
        }

        /**
         * Moves the {@code dense} values written at {@code [index, index + dense)} to the slots
         * that are present in {@code [index, index + slots)} (slot {@code i} is present when
         * {@code levels[levelOffset + i] == present}), zeroing the others. Works backwards in place.
         */
        public void spread(int index, int slots, int dense, byte[] levels, int levelOffset, int present) {
            // Most columns are 8 or 4 bytes wide: one load and store per value instead of a copy call.
            switch (width) {
                case 8 -> spreadLongs(index, slots, dense, levels, levelOffset, present);
                case 4 -> spreadInts(index, slots, dense, levels, levelOffset, present);
                default -> spreadAnyWidth(index, slots, dense, levels, levelOffset, present);
            }
        }

        private void spreadLongs(int index, int slots, int dense, byte[] levels, int levelOffset, int present) {
            MemorySegment segment = data;
            int j = dense - 1;
            for (int i = slots - 1; i >= 0; i--) {
                long to = (long) (index + i) << 3;
                if (levels[levelOffset + i] == present) {
                    segment.set(ValueLayout.JAVA_LONG_UNALIGNED, to,
                            segment.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) (index + j) << 3));
                    j--;
                } else {
                    segment.set(ValueLayout.JAVA_LONG_UNALIGNED, to, 0L);
                }
            }
        }

        private void spreadInts(int index, int slots, int dense, byte[] levels, int levelOffset, int present) {
            MemorySegment segment = data;
            int j = dense - 1;
            for (int i = slots - 1; i >= 0; i--) {
                long to = (long) (index + i) << 2;
                if (levels[levelOffset + i] == present) {
                    segment.set(ValueLayout.JAVA_INT_UNALIGNED, to,
                            segment.get(ValueLayout.JAVA_INT_UNALIGNED, (long) (index + j) << 2));
                    j--;
                } else {
                    segment.set(ValueLayout.JAVA_INT_UNALIGNED, to, 0);
                }
            }
        }

        private void spreadAnyWidth(int index, int slots, int dense, byte[] levels, int levelOffset, int present) {
            MemorySegment segment = data;
            int j = dense - 1;
            for (int i = slots - 1; i >= 0; i--) {
                long to = (long) (index + i) * width;
                if (levels[levelOffset + i] == present) {
                    long from = (long) (index + j) * width;
                    if (from != to) {
                        MemorySegment.copy(segment, from, segment, to, width);
                    }
                    j--;
                } else {
                    segment.asSlice(to, width).fill((byte) 0);
                }
            }
        }

        @Override
        public void finish(int count) {
            vector.setValueCount(count);
        }
    }

    /** A bit vector (booleans). */
    public static final class Bits extends ArrowSink {
        private final BitVector vector;

        Bits(BitVector vector) {
            this.vector = vector;
        }

        @Override
        public void prepare(int rows) {
            if (vector.getValueCapacity() < rows) {
                vector.allocateNew(rows);
            } else {
                vector.getValidityBuffer().setZero(0, vector.getValidityBuffer().capacity());
                vector.getDataBuffer().setZero(0, vector.getDataBuffer().capacity());
            }
        }

        @Override
        public void ensureCapacity(int values) {
            while (vector.getValueCapacity() < values) {
                vector.reAlloc();
            }
        }

        public ArrowBuf data() {
            return vector.getDataBuffer();
        }

        @Override
        public ArrowBuf validity() {
            return vector.getValidityBuffer();
        }

        public void set(int index, boolean value) {
            if (value) {
                BitVectorHelper.setBit(vector.getDataBuffer(), index);
            } else {
                BitVectorHelper.unsetBit(vector.getDataBuffer(), index);
            }
        }

        /** As {@link Fixed#spread}, for bits. */
        public void spread(int index, int slots, int dense, byte[] levels, int levelOffset, int present) {
            ArrowBuf bits = vector.getDataBuffer();
            int j = dense - 1;
            for (int i = slots - 1; i >= 0; i--) {
                boolean value = false;
                if (levels[levelOffset + i] == present) {
                    value = BitVectorHelper.get(bits, index + j) != 0;
                    j--;
                }
                set(index + i, value);
            }
        }

        @Override
        public void finish(int count) {
            vector.setValueCount(count);
        }
    }

    /**
     * A variable-width vector (Utf8, Binary). Decoders append value bytes at {@link #dataEnd()}
     * and record each value's length; {@link #place} then writes the offsets of the slots.
     */
    public static final class Variable extends ArrowSink {
        /** Bytes kept writable past the end so that short values may be copied a long at a time. */
        public static final int SLACK = 16;
        private final BaseVariableWidthVector vector;
        private MemorySegment data;
        private MemorySegment offsets;
        private long dataEnd;
        private long bytesPerValue = 16;
        private int[] lengths = new int[1024];

        Variable(BaseVariableWidthVector vector) {
            this.vector = vector;
        }

        @Override
        public void prepare(int rows) {
            if (vector.getValueCapacity() < rows) {
                vector.allocateNew(Math.max(1, bytesPerValue * rows), rows);
            } else {
                vector.getValidityBuffer().setZero(0, vector.getValidityBuffer().capacity());
            }
            dataEnd = 0;
            refresh();
            offsets.set(INT, 0, 0);
        }

        @Override
        public void ensureCapacity(int values) {
            boolean grew = false;
            while (vector.getValueCapacity() < values) {
                vector.reallocValidityAndOffsetBuffers();
                grew = true;
            }
            if (grew) {
                refresh();
            }
        }

        /** Room for {@code bytes} more value bytes (plus {@link #SLACK}) at {@link #dataEnd()}. */
        public void reserve(long bytes) {
            long needed = dataEnd + bytes + SLACK;
            if (needed > Integer.MAX_VALUE) {
                throw new OversizedAllocationException("a batch of variable-width values needs " + needed
                        + " bytes, more than Arrow's 2 GiB per vector");
            }
            long capacity = vector.getDataBuffer().capacity();
            if (needed > capacity) {
                vector.reallocDataBuffer(Math.max(needed, capacity * 2));
                refresh();
            }
        }

        /** Lengths scratch for {@code count} values. */
        public int[] lengths(int count) {
            if (lengths.length < count) {
                lengths = new int[Math.max(count, lengths.length * 2)];
            }
            return lengths;
        }

        private void refresh() {
            data = segment(vector.getDataBuffer());
            offsets = segment(vector.getOffsetBuffer());
        }

        public MemorySegment data() {
            return data;
        }

        public long dataEnd() {
            return dataEnd;
        }

        /** Forgets the value bytes of slots from {@code index} on (their offsets are written again). */
        public void rewind(int index) {
            dataEnd = offsets.get(INT, (long) index * 4);
        }

        /** Bytes the data buffer holds now (value bytes may go up to this minus {@link #SLACK}). */
        public long capacity() {
            return data.byteSize();
        }

        public void advance(long bytes) {
            dataEnd += bytes;
        }

        @Override
        public ArrowBuf validity() {
            return vector.getValidityBuffer();
        }

        /**
         * Writes the end offsets of slots {@code [index, index + slots)} from the {@code lengths}
         * of the values just appended; a slot whose level is not {@code present} gets no bytes.
         * With {@code levels == null} every slot is present.
         */
        public void place(int index, int slots, byte[] levels, int levelOffset, int present) {
            MemorySegment segment = offsets;
            int offset = segment.get(INT, (long) index * 4);
            int[] valueLengths = lengths;
            int j = 0;
            for (int i = 0; i < slots; i++) {
                if (levels == null || levels[levelOffset + i] == present) {
                    offset += valueLengths[j++];
                }
                segment.set(INT, (long) (index + i + 1) * 4, offset);
            }
        }

        @Override
        public void finish(int count) {
            vector.setLastSet(count - 1);
            vector.setValueCount(count);
            if (count > 0) {
                bytesPerValue = Math.max(1, dataEnd / count + dataEnd / count / 4);
            }
        }
    }
}
