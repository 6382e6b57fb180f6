package io.sluice.connectors.parquet;

import io.sluice.connectors.internal.ArrowSink;
import static io.sluice.connectors.parquet.PlainValues.BYTE;
import static io.sluice.connectors.parquet.PlainValues.INT;
import static io.sluice.connectors.parquet.PlainValues.LONG;
import static io.sluice.connectors.parquet.PlainValues.SHORT;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.parquet.ColumnChunkPages.Page;
import io.sluice.connectors.parquet.ColumnChunkPages.PageType;
import io.sluice.connectors.parquet.ParquetColumn.Leaf;
import io.sluice.connectors.parquet.ParquetColumn.LeafKind;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.io.api.Binary;

/**
 * Decodes one leaf column chunk, page by page, into Arrow buffers.
 *
 * <p>Levels are decoded in bulk ({@link RleBitPackedDecoder}); values take one of three paths:
 * PLAIN (a bulk copy or one conversion loop over the page), dictionary (ids unpacked in bulk, then
 * a gather from a dictionary already converted to the Arrow layout), or, for the rarer encodings
 * (DELTA_*, BYTE_STREAM_SPLIT, RLE booleans), parquet-java's {@link ValuesReader} value by value.
 * Values are first written densely, then spread to their slots when a batch holds nulls.
 *
 * <p>One instance per projected leaf and file; {@link #startRowGroup} begins each column chunk.
 * Not thread-safe.
 */
final class LeafReader {
    private static final int LEVEL_WINDOW = 8192;
    /** The most level entries one batch of one leaf may hold: what a Java array can. */
    static final int MAX_BATCH_LEVELS = Integer.MAX_VALUE - 16;

    private enum ValueMode { PLAIN, DICTIONARY, FALLBACK }

    final Leaf leaf;
    private final ColumnDescriptor descriptor;
    private final LeafKind kind;
    private final int maxDefinition;
    private final int maxRepetition;
    private final int typeLength;
    private final int outWidth;
    private final String fileName;
    private final String column;
    private final ColumnChunkPages.Buffers buffers;
    /** Null unless the leaf is a decimal: then every decoded value is checked against its precision. */
    private final DecimalPrecision decimalPrecision;

    private ColumnChunkPages pages;
    private int rowGroup;
    private Page page;
    private long levelsLeftInPage;
    /** Level entries the chunk's metadata says are left: the pages of a repeated leaf may not hold more. */
    private long levelsLeftInChunk;
    private boolean dataSeen;
    private final RleBitPackedDecoder definitions = new RleBitPackedDecoder();
    private final RleBitPackedDecoder repetitions = new RleBitPackedDecoder();
    private final RleBitPackedDecoder ids = new RleBitPackedDecoder();

    private ValueMode mode;
    private long valuePosition;
    private long valueEnd;
    private long booleanBit;
    private ValuesReader fallback;

    /** The dictionary of the current chunk in Arrow layout: fixed width, or bytes plus offsets. */
    private int dictionarySize = -1;
    private MemorySegment fixedDictionary;
    private MemorySegment variableDictionary;
    private int[] dictionaryOffsets;

    /** Definition levels of the last batch, {@link #levelCount()} of them (one per row for {@link #readFlat}). */
    byte[] definitionLevels = new byte[0];
    private byte[] batchRepetition = new byte[0];
    private int levelCount;
    private int[] idScratch = new int[1024];

    /** Reading below a list: a window of levels decoded from the current page. */
    private byte[] windowRepetition = new byte[0];
    private byte[] windowDefinition = new byte[0];
    private int windowPosition;
    private int windowEnd;
    private byte[] slotLevels = new byte[0];

    LeafReader(Leaf leaf, String fileName, ColumnChunkPages.Buffers buffers) {
        this.leaf = leaf;
        this.descriptor = leaf.descriptor();
        this.kind = leaf.kind();
        this.maxDefinition = descriptor.getMaxDefinitionLevel();
        this.maxRepetition = descriptor.getMaxRepetitionLevel();
        this.typeLength = descriptor.getPrimitiveType().getTypeLength();
        this.outWidth = leaf.outWidth();
        this.fileName = fileName;
        this.column = String.join(".", descriptor.getPath());
        this.buffers = buffers;
        this.decimalPrecision = DecimalPrecision.of(descriptor.getPrimitiveType(), outWidth);
        if (maxDefinition > 127 || maxRepetition > 127) {
            throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE,
                    fileName + " column " + column + " is nested too deeply (over 127 levels)");
        }
    }

    /**
     * Begins the column chunk of {@code rowGroup}.
     *
     * @param valueCount the level entries (values and nulls) the chunk's metadata claims
     */
    void startRowGroup(ColumnChunkPages pages, int rowGroup, long valueCount) {
        this.pages = pages;
        this.rowGroup = rowGroup;
        this.page = null;
        this.levelsLeftInPage = 0;
        this.levelsLeftInChunk = valueCount;
        this.dataSeen = false;
        this.dictionarySize = -1;
        this.fixedDictionary = null;
        this.variableDictionary = null;
        this.dictionaryOffsets = null;
        this.fallback = null;
        this.windowPosition = 0;
        this.windowEnd = 0;
    }

    /**
     * Reads the next {@code rows} values of a column without repetition (top level or inside
     * structs) into slots {@code [0, rows)} of {@code sink}, sets their validity and keeps their
     * definition levels in {@link #definitionLevels}.
     */
    void readFlat(ArrowSink sink, int rows) throws IOException {
        if (definitionLevels.length < rows) {
            definitionLevels = new byte[rows];
        }
        byte[] levels = definitionLevels;
        int done = 0;
        while (done < rows) {
            if (levelsLeftInPage == 0 && !nextDataPage()) {
                throw corrupt("the column chunk ends after " + done + " of the batch's " + rows + " rows");
            }
            int count = (int) Math.min(levelsLeftInPage, rows - done);
            if (maxDefinition == 0) {
                decodeSlots(sink, done, count, count, null, 0, 0);
            } else {
                int above = definitions.readLevels(levels, done, count, maxDefinition);
                if (above >= 0) {
                    throw levelAbove("definition", above, maxDefinition);
                }
                int present = countPresent(levels, done, count, maxDefinition);
                decodeSlots(sink, done, count, present, levels, done, maxDefinition);
            }
            done += count;
            levelsLeftInPage -= count;
        }
        levelCount = rows;
        if (maxDefinition == 0) {
            Arrays.fill(levels, 0, rows, (byte) 0);
            sink.setValid(0, rows);
        } else {
            setValidity(sink.validity(), 0, levels, 0, rows, maxDefinition);
        }
    }

    /**
     * Reads the next {@code rows} records of a column below a list: every level entry of those
     * records into {@link #repetitionLevels()} and {@link #definitionLevels} (the lists and
     * structs above the leaf are assembled from them), and the leaf's values into {@code values}
     * from slot 0. An entry is a value slot when its definition level is at least the level of
     * the innermost repeated field above the leaf; below it, it only marks an empty or null list
     * or struct further up.
     *
     * <p>Entries are checked as they are read: one that repeats at level {@code r} adds an
     * element to the list of the {@code r}-th repeated field, so its definition level must reach
     * that field's. The batch's levels are counted against the scan's memory bound.
     *
     * @param repeatedLevels by repetition level {@code r} (1 to the leaf's maximum), the
     *     definition level of the {@code r}-th repeated field above the leaf; index 0 unused
     * @return the number of value slots written
     */
    int readRecords(ArrowSink values, int[] repeatedLevels, int rows) throws IOException {
        if (repeatedLevels.length != maxRepetition + 1) {
            throw new IllegalStateException(column + " has " + maxRepetition + " repeated fields above it, not "
                    + (repeatedLevels.length - 1));
        }
        int slotLevel = repeatedLevels[maxRepetition];
        int records = 0;
        int slots = 0;
        levelCount = 0;
        while (true) {
            if (windowPosition == windowEnd && !fillWindow()) {
                break;
            }
            byte[] repetition = windowRepetition;
            byte[] definition = windowDefinition;
            int start = windowPosition;
            if (slotLevels.length < windowEnd - start) {
                slotLevels = new byte[Math.max(windowEnd - start, slotLevels.length * 2)];
            }
            int slotStart = slots;
            int present = 0;
            int entry = start;
            boolean boundary = false;
            for (; entry < windowEnd; entry++) {
                int repeat = repetition[entry];
                int level = definition[entry];
                if (repeat == 0) {
                    if (records == rows) {
                        boundary = true;
                        break;
                    }
                    records++;
                } else if (records == 0) {
                    throw corrupt("a row group or batch starts inside a list");
                } else if (level < repeatedLevels[repeat]) {
                    throw corrupt("an entry repeating at level " + repeat + " has definition level " + level
                            + ", below the " + repeatedLevels[repeat] + " of the list it adds an element to");
                }
                if (level >= slotLevel) {
                    slotLevels[slots - slotStart] = (byte) level;
                    slots++;
                    if (level == maxDefinition) {
                        present++;
                    }
                }
            }
            keepLevels(start, entry);
            int count = slots - slotStart;
            if (count > 0) {
                values.ensureCapacity(slots);
                decodeSlots(values, slotStart, count, present, slotLevels, 0, maxDefinition);
                setValidity(values.validity(), slotStart, slotLevels, 0, count, maxDefinition);
            }
            windowPosition = entry;
            if (boundary) {
                break;
            }
        }
        if (records != rows) {
            throw corrupt("the column chunk ends after " + records + " of the batch's " + rows + " rows");
        }
        return slots;
    }

    /** Appends the window's entries {@code [from, to)} to the batch's levels. */
    private void keepLevels(int from, int to) {
        int count = to - from;
        long needed = (long) levelCount + count;
        if (batchRepetition.length < needed) {
            growLevels(needed);
        }
        System.arraycopy(windowRepetition, from, batchRepetition, levelCount, count);
        System.arraycopy(windowDefinition, from, definitionLevels, levelCount, count);
        levelCount += count;
    }

    /**
     * Grows the batch's two level arrays to a power of two of at least {@code needed} entries,
     * after counting their heap bytes against the scan's memory bound: one record's levels are
     * otherwise unbounded (a few bytes of run-length levels can claim billions of entries).
     */
    private void growLevels(long needed) {
        if (needed > MAX_BATCH_LEVELS) {
            throw new ConnectorException(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED, fileName + " column " + column
                    + ": one batch holds more than " + MAX_BATCH_LEVELS + " level entries; read fewer rows per batch");
        }
        long wanted = Math.max(Math.max(needed, 2L * batchRepetition.length), 1024);
        long size = Math.min(MAX_BATCH_LEVELS, Long.highestOneBit(wanted - 1) << 1);
        if (!buffers.holdLevels(2 * size)) {
            throw new ConnectorException(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED, fileName + " column " + column
                    + ": one batch holds " + needed + " level entries or more (2 bytes each), more than the scan's"
                    + " memory bound of " + buffers.limit() + " bytes allows with its other buffers; read fewer rows"
                    + " per batch or raise the bound");
        }
        batchRepetition = Arrays.copyOf(batchRepetition, (int) size);
        definitionLevels = Arrays.copyOf(definitionLevels, (int) size);
    }

    /**
     * Repetition levels of the last batch, {@link #levelCount()} of them: all zero for a column
     * without repetition (one entry per row).
     */
    byte[] repetitionLevels() {
        if (maxRepetition == 0 && batchRepetition.length < levelCount) {
            batchRepetition = new byte[levelCount];
        }
        return batchRepetition;
    }

    /** Level entries of the last batch: its rows for {@link #readFlat}, every entry for {@link #readRecords}. */
    int levelCount() {
        return levelCount;
    }

    private boolean fillWindow() throws IOException {
        if (levelsLeftInPage == 0 && !nextDataPage()) {
            return false;
        }
        int count = (int) Math.min(levelsLeftInPage, LEVEL_WINDOW);
        if (windowRepetition.length < count) {
            windowRepetition = new byte[LEVEL_WINDOW];
            windowDefinition = new byte[LEVEL_WINDOW];
        }
        int above = repetitions.readLevels(windowRepetition, 0, count, maxRepetition);
        if (above >= 0) {
            throw levelAbove("repetition", above, maxRepetition);
        }
        if (maxDefinition > 0) {
            above = definitions.readLevels(windowDefinition, 0, count, maxDefinition);
            if (above >= 0) {
                throw levelAbove("definition", above, maxDefinition);
            }
        } else {
            Arrays.fill(windowDefinition, 0, count, (byte) 0);
        }
        levelsLeftInPage -= count;
        windowPosition = 0;
        windowEnd = count;
        return true;
    }

    private ConnectorException levelAbove(String kind, int level, int max) {
        return corrupt("a " + kind + " level of " + level + " is above the column's maximum of " + max);
    }

    private static int countPresent(byte[] levels, int from, int count, int present) {
        int n = 0;
        for (int i = from; i < from + count; i++) {
            if (levels[i] == present) {
                n++;
            }
        }
        return n;
    }

    /** Sets validity bit {@code slot + i} for each {@code levels[levelOffset + i] == present}. */
    private static void setValidity(ArrowBuf validity, int slot, byte[] levels, int levelOffset, int count,
            int present) {
        int i = 0;
        // A byte of validity at a time where the slots are aligned.
        while (i < count && ((slot + i) & 7) != 0) {
            if (levels[levelOffset + i] == present) {
                BitVectorHelper.setBit(validity, slot + i);
            }
            i++;
        }
        for (; i + 8 <= count; i += 8) {
            int bits = 0;
            int base = levelOffset + i;
            for (int b = 0; b < 8; b++) {
                bits |= (levels[base + b] == present ? 1 : 0) << b;
            }
            validity.setByte((slot + i) >>> 3, bits);
        }
        for (; i < count; i++) {
            if (levels[levelOffset + i] == present) {
                BitVectorHelper.setBit(validity, slot + i);
            }
        }
    }

    /**
     * Decodes {@code present} values and places them in the present slots of
     * {@code [slot, slot + slots)}.
     */
    private void decodeSlots(ArrowSink sink, int slot, int slots, int present, byte[] levels, int levelOffset,
            int presentLevel) {
        switch (sink) {
            case ArrowSink.Fixed fixed -> {
                if (present > 0) {
                    decodeFixed(fixed, slot, present);
                }
                if (present < slots) {
                    fixed.spread(slot, slots, present, levels, levelOffset, presentLevel);
                }
            }
            case ArrowSink.Bits bits -> {
                if (present > 0) {
                    decodeBooleans(bits, slot, present);
                }
                if (present < slots) {
                    bits.spread(slot, slots, present, levels, levelOffset, presentLevel);
                }
            }
            case ArrowSink.Variable variable -> {
                int[] lengths = variable.lengths(present);
                if (present > 0) {
                    decodeVariable(variable, present, lengths);
                }
                variable.place(slot, slots, present == slots ? null : levels, levelOffset, presentLevel);
            }
        }
    }

    private void decodeFixed(ArrowSink.Fixed sink, int slot, int count) {
        MemorySegment target = sink.data();
        long offset = (long) slot * outWidth;
        switch (mode) {
            case PLAIN -> valuePosition = PlainValues.convert(kind, page.data, valuePosition, valueEnd, count,
                    target, offset, typeLength, outWidth);
            case DICTIONARY -> {
                int[] values = ids(count);
                gatherFixed(values, count, target, offset);
            }
            case FALLBACK -> {
                for (int i = 0; i < count; i++) {
                    fallbackFixed(target, offset + (long) outWidth * i);
                }
            }
        }
        if (decimalPrecision != null && mode != ValueMode.DICTIONARY) {
            checkPrecision(target, offset, count); // a dictionary's values were checked when it was loaded
        }
    }

    private void checkPrecision(MemorySegment values, long offset, int count) {
        int unfit = decimalPrecision.firstUnfit(values, offset, count);
        if (unfit >= 0) {
            throw corrupt("a value (" + decimalPrecision.describe(values, offset + (long) outWidth * unfit)
                    + ") has more digits than its " + decimalPrecision.annotation() + " allows");
        }
    }

    private int[] ids(int count) {
        if (idScratch.length < count) {
            idScratch = new int[Math.max(count, idScratch.length * 2)];
        }
        ids.readInts(idScratch, 0, count);
        return idScratch;
    }

    private void gatherFixed(int[] values, int count, MemorySegment target, long offset) {
        MemorySegment dictionary = fixedDictionary;
        int size = dictionarySize;
        switch (outWidth) {
            case 8 -> {
                for (int i = 0; i < count; i++) {
                    int id = checkId(values[i], size);
                    target.set(LONG, offset + 8L * i, dictionary.get(LONG, 8L * id));
                }
            }
            case 4 -> {
                for (int i = 0; i < count; i++) {
                    int id = checkId(values[i], size);
                    target.set(INT, offset + 4L * i, dictionary.get(INT, 4L * id));
                }
            }
            case 2 -> {
                for (int i = 0; i < count; i++) {
                    int id = checkId(values[i], size);
                    target.set(SHORT, offset + 2L * i, dictionary.get(SHORT, 2L * id));
                }
            }
            case 1 -> {
                for (int i = 0; i < count; i++) {
                    int id = checkId(values[i], size);
                    target.set(BYTE, offset + i, dictionary.get(BYTE, id));
                }
            }
            default -> {
                int width = outWidth;
                for (int i = 0; i < count; i++) {
                    int id = checkId(values[i], size);
                    MemorySegment.copy(dictionary, (long) width * id, target, offset + (long) width * i, width);
                }
            }
        }
    }

    private static int checkId(int id, int size) {
        if (Integer.compareUnsigned(id, size) >= 0) {
            throw new IllegalStateException("a dictionary id " + Integer.toUnsignedString(id)
                    + " is outside the dictionary of " + size + " values");
        }
        return id;
    }

    private void fallbackFixed(MemorySegment target, long offset) {
        switch (kind) {
            case INT32 -> target.set(INT, offset, fallback.readInteger());
            case INT32_TO_INT8 -> target.set(BYTE, offset, (byte) fallback.readInteger());
            case INT32_TO_INT16 -> target.set(SHORT, offset, (short) fallback.readInteger());
            case INT32_TO_DECIMAL -> PlainValues.decimal(target, offset, fallback.readInteger(), outWidth);
            case INT64 -> target.set(LONG, offset, fallback.readLong());
            case INT64_TO_DECIMAL -> PlainValues.decimal(target, offset, fallback.readLong(), outWidth);
            case FLOAT -> target.set(ValueLayout.JAVA_FLOAT_UNALIGNED, offset, fallback.readFloat());
            case DOUBLE -> target.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, offset, fallback.readDouble());
            case INT96_TO_MICROS, FIXED_BINARY, FIXED_TO_DECIMAL, BINARY_TO_DECIMAL -> {
                byte[] bytes = fallback.readBytes().getBytesUnsafe();
                MemorySegment value = MemorySegment.ofArray(bytes);
                switch (kind) {
                    case INT96_TO_MICROS -> {
                        if (bytes.length != 12) {
                            throw new IllegalStateException("an INT96 value has " + bytes.length + " bytes");
                        }
                        target.set(LONG, offset, PlainValues.int96ToMicros(value.get(LONG, 0), value.get(INT, 8)));
                    }
                    case FIXED_BINARY -> {
                        if (bytes.length != outWidth) {
                            throw new IllegalStateException("a fixed-length value has " + bytes.length + " bytes");
                        }
                        MemorySegment.copy(value, 0, target, offset, outWidth);
                    }
                    default -> PlainValues.bigEndianDecimal(value, 0, bytes.length, target, offset, outWidth);
                }
            }
            case BOOLEAN, BINARY -> throw new IllegalStateException(kind + " is not fixed width");
        }
    }

    private void decodeBooleans(ArrowSink.Bits sink, int slot, int count) {
        ArrowBuf bits = sink.data();
        switch (mode) {
            case PLAIN -> {
                long bitEnd = booleanBit + count;
                PlainValues.check(valuePosition, (bitEnd + 7) >>> 3, valueEnd);
                MemorySegment data = page.data;
                for (int i = 0; i < count; i++) {
                    long bit = booleanBit + i;
                    if (((data.get(BYTE, valuePosition + (bit >>> 3)) >>> (bit & 7)) & 1) != 0) {
                        BitVectorHelper.setBit(bits, slot + i);
                    } else {
                        BitVectorHelper.unsetBit(bits, slot + i);
                    }
                }
                booleanBit = bitEnd;
            }
            case FALLBACK -> {
                for (int i = 0; i < count; i++) {
                    sink.set(slot + i, fallback.readBoolean());
                }
            }
            case DICTIONARY -> throw new IllegalStateException("dictionary-encoded booleans");
        }
    }

    private void decodeVariable(ArrowSink.Variable sink, int count, int[] lengths) {
        switch (mode) {
            case PLAIN -> {
                MemorySegment source = page.data;
                long position = valuePosition;
                long end = valueEnd;
                long to = sink.dataEnd();
                long room = sink.capacity() - ArrowSink.Variable.SLACK;
                MemorySegment target = sink.data();
                for (int i = 0; i < count; i++) {
                    if (position + 4 > end) {
                        throw new IllegalStateException("values run past the end of their page");
                    }
                    int length = source.get(INT, position);
                    if (length < 0 || length > end - position - 4) {
                        throw new IllegalStateException("a value claims " + length + " bytes, past the end of its page");
                    }
                    if (to + length > room) {
                        sink.advance(to - sink.dataEnd());
                        // Room for this value and, at the average length so far, the rest of the call.
                        long average = i == 0 ? length : (to - sink.dataEnd() + length) / (i + 1);
                        sink.reserve(length + Math.min(end - position, average * (count - i)));
                        target = sink.data();
                        to = sink.dataEnd();
                        room = sink.capacity() - ArrowSink.Variable.SLACK;
                    }
                    PlainValues.copyShort(source, position + 4, target, to, length);
                    lengths[i] = length;
                    to += length;
                    position += 4 + length;
                }
                sink.advance(to - sink.dataEnd());
                valuePosition = position;
            }
            case DICTIONARY -> {
                int[] values = ids(count);
                int[] dictionaryOffsets = this.dictionaryOffsets;
                int size = dictionarySize;
                long total = 0;
                for (int i = 0; i < count; i++) {
                    int id = checkId(values[i], size);
                    int length = dictionaryOffsets[id + 1] - dictionaryOffsets[id];
                    lengths[i] = length;
                    total += length;
                }
                sink.reserve(total);
                MemorySegment target = sink.data();
                MemorySegment dictionary = variableDictionary;
                long to = sink.dataEnd();
                for (int i = 0; i < count; i++) {
                    int length = lengths[i];
                    PlainValues.copyShort(dictionary, dictionaryOffsets[values[i]], target, to, length);
                    to += length;
                }
                sink.advance(total);
            }
            case FALLBACK -> {
                for (int i = 0; i < count; i++) {
                    Binary value = fallback.readBytes();
                    ByteBuffer bytes = value.toByteBuffer();
                    int length = bytes.remaining();
                    sink.reserve(length);
                    MemorySegment.copy(MemorySegment.ofBuffer(bytes), 0, sink.data(), sink.dataEnd(), length);
                    sink.advance(length);
                    lengths[i] = length;
                }
            }
        }
    }

    /** Moves to the next data page, loading a dictionary page on the way; false at the end of the chunk. */
    private boolean nextDataPage() throws IOException {
        while (true) {
            Page next = pages.next();
            if (next == null) {
                return false;
            }
            if (next.type == PageType.DICTIONARY) {
                if (dictionarySize >= 0 || dataSeen) {
                    throw corrupt("a dictionary page follows another dictionary page or a data page");
                }
                loadDictionary(next);
                continue;
            }
            dataSeen = true;
            page = next;
            startDataPage(next);
            if (next.valueCount > 0) {
                return true;
            }
        }
    }

    private void startDataPage(Page data) {
        long position = 0;
        long end = data.length;
        if (data.type == PageType.DATA_V1) {
            if (maxRepetition > 0) {
                position = levelRun(data, position, repetitions, maxRepetition, data.repetitionLevelEncoding);
            }
            if (maxDefinition > 0) {
                position = levelRun(data, position, definitions, maxDefinition, data.definitionLevelEncoding);
            }
        } else {
            if (maxRepetition > 0) {
                repetitions.init(data.data, 0, data.repetitionLevelsLength, bitWidth(maxRepetition));
            }
            if (maxDefinition > 0) {
                definitions.init(data.data, data.repetitionLevelsLength,
                        data.repetitionLevelsLength + data.definitionLevelsLength, bitWidth(maxDefinition));
            }
            position = (long) data.repetitionLevelsLength + data.definitionLevelsLength;
        }
        if (maxRepetition > 0) {
            if (data.valueCount > levelsLeftInChunk) {
                throw corrupt("a page holds " + data.valueCount + " level entries but the column chunk's metadata"
                        + " leaves only " + levelsLeftInChunk);
            }
            levelsLeftInChunk -= data.valueCount;
        }
        levelsLeftInPage = data.valueCount;
        valuePosition = position;
        valueEnd = end;
        booleanBit = 0;
        fallback = null;
        switch (data.encoding) {
            case PLAIN -> mode = ValueMode.PLAIN;
            case PLAIN_DICTIONARY, RLE_DICTIONARY -> {
                if (dictionarySize < 0) {
                    throw corrupt("a dictionary-encoded page has no dictionary");
                }
                if (kind == LeafKind.BOOLEAN) {
                    throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, fileName + " column " + column
                            + " holds dictionary-encoded booleans, which are not supported");
                }
                PlainValues.check(position, 1, end);
                int width = data.data.get(BYTE, position);
                ids.init(data.data, position + 1, end, width);
                mode = ValueMode.DICTIONARY;
            }
            default -> {
                Encoding encoding = Encoding.valueOf(data.encoding.name());
                ValuesReader reader = encoding.getValuesReader(descriptor, ValuesType.VALUES);
                try {
                    reader.initFromPage(data.valueCount,
                            ByteBufferInputStream.wrap(data.buffer.slice((int) position, (int) (end - position))));
                } catch (IOException e) {
                    throw new IllegalStateException("values cannot be decoded (" + e.getMessage() + ")", e);
                }
                fallback = reader;
                mode = ValueMode.FALLBACK;
            }
        }
    }

    /** A V1 level run: a 4-byte little-endian length, then RLE / bit-packed hybrid levels. */
    private long levelRun(Page data, long position, RleBitPackedDecoder decoder, int maxLevel,
            org.apache.parquet.format.Encoding encoding) {
        if (encoding != org.apache.parquet.format.Encoding.RLE) {
            // Registration refuses chunks listing BIT_PACKED levels (ParquetFeatures); this guards
            // a page that uses an encoding its chunk's metadata does not list.
            throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, fileName + " column " + column
                    + " has levels encoded " + encoding + "; only RLE levels are supported");
        }
        PlainValues.check(position, 4, data.length);
        int length = data.data.get(INT, position);
        if (length < 0 || length > data.length - position - 4) {
            throw corrupt("levels claim " + length + " bytes, past the end of their page");
        }
        decoder.init(data.data, position + 4, position + 4 + length, bitWidth(maxLevel));
        return position + 4 + length;
    }

    private void loadDictionary(Page dictionary) {
        if (dictionary.encoding != org.apache.parquet.format.Encoding.PLAIN
                && dictionary.encoding != org.apache.parquet.format.Encoding.PLAIN_DICTIONARY) {
            throw corrupt("a dictionary page is encoded " + dictionary.encoding);
        }
        int size = dictionary.valueCount;
        int minBytes = PlainValues.minEncodedBytes(kind, typeLength);
        if (kind == LeafKind.BOOLEAN || (minBytes > 0 && (long) size * minBytes > dictionary.length)) {
            throw corrupt("a dictionary page claims " + size + " values in " + dictionary.length + " bytes");
        }
        if (kind == LeafKind.BINARY) {
            byte[] bytes = new byte[dictionary.length + ColumnChunkPages.PADDING];
            int[] offsets = new int[size + 1];
            MemorySegment target = MemorySegment.ofArray(bytes);
            long position = 0;
            int to = 0;
            for (int i = 0; i < size; i++) {
                PlainValues.check(position, 4, dictionary.length);
                int length = dictionary.data.get(INT, position);
                if (length < 0 || length > dictionary.length - position - 4) {
                    throw corrupt("a dictionary value claims " + length + " bytes, past the end of its page");
                }
                MemorySegment.copy(dictionary.data, position + 4, target, to, length);
                to += length;
                offsets[i + 1] = to;
                position += 4 + length;
            }
            variableDictionary = target;
            dictionaryOffsets = offsets;
        } else {
            long bytes = (long) size * outWidth;
            MemorySegment target = MemorySegment.ofArray(new long[(int) ((bytes + 7) / 8) + 1]);
            PlainValues.convert(kind, dictionary.data, 0, dictionary.length, size, target, 0, typeLength, outWidth);
            if (decimalPrecision != null) {
                checkPrecision(target, 0, size);
            }
            fixedDictionary = target;
        }
        dictionarySize = size;
    }

    private static int bitWidth(int maxLevel) {
        return 32 - Integer.numberOfLeadingZeros(maxLevel);
    }

    private ConnectorException corrupt(String problem) {
        return new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE,
                fileName + " is corrupt: row group " + rowGroup + " column " + column + ": " + problem);
    }
}
