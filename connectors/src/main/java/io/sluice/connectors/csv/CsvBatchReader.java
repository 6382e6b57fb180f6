package io.sluice.connectors.csv;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanMetrics;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.internal.ArrowSink;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.OversizedAllocationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scan of a CSV file: records are tokenized in place in the read buffer, gathered in chunks of
 * up to {@link #CHUNK_RECORDS}, and each chunk is converted column by column straight from the
 * bytes into the vectors of one reused {@link VectorSchemaRoot}. No row objects, no strings.
 *
 * <p>Ownership: the reader owns a child allocator named {@code csv-scan:<file>} (limit: the
 * smaller of the caller's and {@code maxBatchBytes}), the root, and the open file; {@link #close()}
 * releases all of them, and a failure while loading a batch releases them at once.
 *
 * <p>Threading: one thread at a time; loading a batch blocks on file I/O.
 */
final class CsvBatchReader implements BatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(CsvBatchReader.class);
    static final int CHUNK_RECORDS = 4096;

    private final String fileName;
    private final CsvTokenizer tokenizer;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final List<CsvType> types;
    private final List<String> names;
    /** For each file column, its position in the root, or -1 when not projected. */
    private final int[] output;
    private final ArrowSink[] sinks;
    private final int columns;
    private final int batchRows;
    private final int shard;
    private final int shards;
    private final boolean skipMalformed;
    private final boolean header;
    private final long memoryBound;
    private final byte quote;
    private final CsvValues values = new CsvValues();

    private final int chunkCapacity;
    private final int[] starts;
    private final int[] ends;
    private final byte[] flags;
    private final long[] lines;
    private final boolean[] bad;
    private final int[] keep;

    /** With named units: the blocks still to read, in order; records left in the current one. */
    private final java.util.ArrayDeque<CsvBatchSource.Block> units;
    private final boolean byUnit;
    private long recordsLeftInUnit;

    private boolean started;
    private long recordIndex;
    private long rows;
    private long batches;
    private long skipped;
    /** The lines of the first {@link CsvCheck#MAX_LINES} rows skipped. */
    private final List<Long> skippedLines = new java.util.ArrayList<>();
    private boolean exhausted;
    private boolean closed;

    private CsvBatchReader(FileChannel channel, String fileName, CsvOptions options, boolean header,
            List<CsvType> types, Schema schema, int[] projection, ScanSpec spec,
            java.util.Optional<List<CsvBatchSource.Block>> units, BufferAllocator allocator, VectorSchemaRoot root,
            long memoryBound) {
        this.fileName = fileName;
        this.tokenizer = new CsvTokenizer(channel, fileName, options.delimiter(), options.quote(),
                options.maxRecordBytes());
        this.allocator = allocator;
        this.root = root;
        this.types = types;
        this.names = schema.getFields().stream().map(Field::getName).toList();
        this.columns = types.size();
        this.output = new int[columns];
        Arrays.fill(output, -1);
        for (int i = 0; i < projection.length; i++) {
            output[projection[i]] = i;
        }
        this.sinks = new ArrowSink[projection.length];
        for (int i = 0; i < projection.length; i++) {
            sinks[i] = ArrowSink.of(root.getVector(i));
        }
        this.batchRows = spec.batchRows();
        this.byUnit = units.isPresent();
        this.units = new java.util.ArrayDeque<>(units.orElse(List.of()));
        this.shard = spec.shard();
        this.shards = spec.shards();
        this.skipMalformed = options.skipMalformed();
        this.header = header;
        this.memoryBound = memoryBound;
        this.quote = options.quote();
        // At most about a million field positions per chunk, however wide the file.
        this.chunkCapacity = Math.max(1, Math.min(Math.min(CHUNK_RECORDS, batchRows), (1 << 20) / Math.max(1, columns)));
        this.starts = new int[chunkCapacity * columns];
        this.ends = new int[chunkCapacity * columns];
        this.flags = new byte[chunkCapacity * columns];
        this.lines = new long[chunkCapacity];
        this.bad = new boolean[chunkCapacity];
        this.keep = new int[chunkCapacity];
    }

    static CsvBatchReader open(FileChannel channel, String fileName, CsvOptions options, boolean header,
            List<CsvType> types, Schema schema, int[] projection, ScanSpec spec,
            java.util.Optional<List<CsvBatchSource.Block>> units, BufferAllocator parent) {
        long bound = Math.min(parent.getLimit(), options.maxBatchBytes());
        BufferAllocator allocator = null;
        VectorSchemaRoot root = null;
        try {
            allocator = parent.newChildAllocator("csv-scan:" + fileName, 0, bound);
            Schema projected = new Schema(Arrays.stream(projection).mapToObj(i -> schema.getFields().get(i)).toList());
            root = VectorSchemaRoot.create(projected, allocator);
            return new CsvBatchReader(channel, fileName, options, header, types, schema, projection, spec, units,
                    allocator, root, bound);
        } catch (RuntimeException | Error e) {
            if (root != null) {
                root.close();
            }
            if (allocator != null) {
                allocator.close();
            }
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public Schema schema() {
        return root.getSchema();
    }

    @Override
    public VectorSchemaRoot root() {
        return root;
    }

    @Override
    public ScanMetrics metrics() {
        return new ScanMetrics(rows, batches, 0, 0, skipped);
    }

    @Override
    public boolean loadNextBatch() {
        if (closed) {
            throw new IllegalStateException("scan of " + fileName + " is closed");
        }
        if (exhausted) {
            return false;
        }
        boolean loaded = false;
        try {
            if (!started) {
                started = true;
                if (header && !byUnit) {
                    skipRecord();
                }
            }
            if (byUnit && recordsLeftInUnit == 0) {
                CsvBatchSource.Block unit = units.poll();
                if (unit == null) {
                    exhausted = true;
                    root.setRowCount(0);
                    loaded = true;
                    return false;
                }
                tokenizer.seek(unit.offset(), unit.line());
                recordsLeftInUnit = unit.records();
            }
            for (ArrowSink sink : sinks) {
                sink.prepare(batchRows);
            }
            int count = 0;
            int slot = 0;
            boolean end = false;
            // By unit, a batch is the next min(batchRows, records left) records of the unit, however
            // many of them are malformed and skipped: its batch count is known before it is read.
            long recordsInBatch = byUnit ? Math.min(batchRows, recordsLeftInUnit) : Long.MAX_VALUE;
            while (count + slot < batchRows && recordsInBatch > 0) {
                CsvTokenizer.Result result = tokenizer.next(starts, ends, flags, slot * columns, columns);
                if (result == CsvTokenizer.Result.NEED_MORE) {
                    count += convert(slot, count);
                    slot = 0;
                    tokenizer.refill();
                    continue;
                }
                if (result == CsvTokenizer.Result.END) {
                    end = true;
                    break;
                }
                long ordinal = recordIndex++;
                if (byUnit) {
                    recordsInBatch--;
                    recordsLeftInUnit--;
                }
                if (shards > 1 && (ordinal / CsvBatchSource.SHARD_BLOCK_RECORDS) % shards != shard) {
                    continue;
                }
                if (tokenizer.fieldCount() != columns || tokenizer.malformed()) {
                    malformed(tokenizer.recordLine(), tokenizer.malformed()
                            ? "text follows a closing quote"
                            : "expected " + columns + " fields, found " + tokenizer.fieldCount());
                    continue;
                }
                lines[slot] = tokenizer.recordLine();
                slot++;
                if (slot == chunkCapacity) {
                    count += convert(slot, count);
                    slot = 0;
                }
            }
            count += convert(slot, count);
            if (byUnit && end && recordsInBatch > 0) {
                throw new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED, fileName
                        + " ended inside a unit: it changed since its units were listed");
            }
            if (count == 0 && end && !byUnit) {
                exhausted = true;
                for (ArrowSink sink : sinks) {
                    sink.finish(0);
                }
                root.setRowCount(0);
                loaded = true;
                return false;
            }
            for (ArrowSink sink : sinks) {
                sink.finish(count);
            }
            root.setRowCount(count);
            rows += count;
            batches++;
            loaded = true;
            return true;
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    fileName + " cannot be read: " + io.sluice.connectors.SourceFiles.reason(e), e);
        } catch (OutOfMemoryException | OversizedAllocationException e) {
            throw new ConnectorException(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED, "the scan of " + fileName
                    + " needs more memory than its bound of " + memoryBound + " bytes (option maxBatchBytes or the"
                    + " broker's stream memory); read fewer rows per batch or raise the bound", e);
        } finally {
            if (!loaded) {
                close();
            }
        }
    }

    private void skipRecord() throws IOException {
        while (tokenizer.next(starts, ends, flags, 0, 0) == CsvTokenizer.Result.NEED_MORE) {
            tokenizer.refill();
        }
    }

    private void malformed(long line, String problem) {
        if (!skipMalformed) {
            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " line " + line + ": " + problem);
        }
        skipped++;
        noteSkipped(line);
        LOG.debug("scan of {}: skipped line {}: {}", fileName, line, problem);
    }

    private void noteSkipped(long line) {
        if (skippedLines.size() < CsvCheck.MAX_LINES) {
            skippedLines.add(line);
        }
    }

    /** The lines of the first {@link CsvCheck#MAX_LINES} malformed rows skipped so far, in the order found. */
    List<Long> skippedLines() {
        return List.copyOf(skippedLines);
    }

    /**
     * Converts the {@code count} records of the chunk into rows {@code [row, ...)}; returns how
     * many rows were written (fewer when malformed rows are skipped).
     */
    private int convert(int count, int row) {
        if (count == 0) {
            return 0;
        }
        Arrays.fill(bad, 0, count, false);
        boolean anyBad = false;
        for (int c = 0; c < columns; c++) {
            anyBad |= convertColumn(c, count, row, null, count);
        }
        if (!anyBad) {
            return count;
        }
        int kept = 0;
        for (int r = 0; r < count; r++) {
            if (!bad[r]) {
                keep[kept++] = r;
            } else {
                skipped++;
                noteSkipped(lines[r]);
            }
        }
        for (ArrowSink sink : sinks) {
            sink.clearValidity(row, count);
            if (sink instanceof ArrowSink.Variable variable) {
                variable.rewind(row);
            }
        }
        for (int c = 0; c < columns; c++) {
            if (output[c] >= 0) {
                convertColumn(c, count, row, keep, kept);
            }
        }
        return kept;
    }

    /**
     * Converts column {@code c} of the chunk's records (all of them, or those in {@code only}) into
     * rows from {@code row} on; with {@code only == null} it also checks every value and marks the
     * records that fail in {@link #bad}. Returns whether any failed.
     */
    private boolean convertColumn(int c, int count, int row, int[] only, int n) {
        byte[] bytes = tokenizer.buffer();
        CsvType type = types.get(c);
        int target = output[c];
        ArrowSink sink = target >= 0 ? sinks[target] : null;
        boolean anyBad = false;
        CsvValues parser = values;
        switch (type) {
            case UTF8 -> {
                if (sink == null) {
                    for (int i = 0; i < n; i++) {
                        int r = only == null ? i : only[i];
                        int at = r * columns + c;
                        if (!Utf8.valid(bytes, starts[at], ends[at])) {
                            anyBad |= fail(r, c, "not valid UTF-8");
                        }
                    }
                    return anyBad;
                }
                return convertStrings((ArrowSink.Variable) sink, c, row, only, n, bytes);
            }
            case BOOLEAN -> {
                ArrowSink.Bits bits = (ArrowSink.Bits) sink;
                for (int i = 0; i < n; i++) {
                    int r = only == null ? i : only[i];
                    int at = r * columns + c;
                    int s = starts[at];
                    int e = ends[at];
                    if (s == e) {
                        if (bits != null) {
                            bits.set(row + i, false);
                        }
                        continue;
                    }
                    if (!parser.parseBoolean(bytes, s, e)) {
                        anyBad |= fail(r, c, "not a boolean");
                        continue;
                    }
                    if (bits != null) {
                        bits.set(row + i, parser.booleanValue);
                        BitVectorHelper.setBit(bits.validity(), row + i);
                    }
                }
                return anyBad;
            }
            default -> {
                ArrowSink.Fixed fixed = (ArrowSink.Fixed) sink;
                MemorySegment data = fixed == null ? null : fixed.data();
                ArrowBuf validity = fixed == null ? null : fixed.validity();
                for (int i = 0; i < n; i++) {
                    int r = only == null ? i : only[i];
                    int at = r * columns + c;
                    int s = starts[at];
                    int e = ends[at];
                    int slot = row + i;
                    if (s == e) {
                        if (data != null) {
                            zero(data, type, slot);
                        }
                        continue;
                    }
                    boolean ok;
                    switch (type) {
                        case INT64 -> {
                            ok = parser.parseLong(bytes, s, e);
                            if (ok && data != null) {
                                data.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * slot, parser.longValue);
                            }
                        }
                        case INT32 -> {
                            ok = parser.parseLong(bytes, s, e) && parser.longValue == (int) parser.longValue;
                            if (ok && data != null) {
                                data.set(ValueLayout.JAVA_INT_UNALIGNED, 4L * slot, (int) parser.longValue);
                            }
                        }
                        case DOUBLE -> {
                            ok = parser.parseDouble(bytes, s, e);
                            if (ok && data != null) {
                                data.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, 8L * slot, parser.doubleValue);
                            }
                        }
                        case DATE -> {
                            ok = parser.parseDate(bytes, s, e);
                            if (ok && data != null) {
                                data.set(ValueLayout.JAVA_INT_UNALIGNED, 4L * slot, parser.dayValue);
                            }
                        }
                        case TIMESTAMP, TIMESTAMPTZ -> {
                            ok = parser.parseTimestamp(bytes, s, e) && parser.zoned == (type == CsvType.TIMESTAMPTZ);
                            if (ok && data != null) {
                                data.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * slot, parser.microsValue);
                            }
                        }
                        default -> throw new IllegalStateException("unexpected type " + type);
                    }
                    if (!ok) {
                        anyBad |= fail(r, c, "not " + article(type) + " " + type.label()
                                + (type == CsvType.TIMESTAMP ? " without a zone"
                                : type == CsvType.TIMESTAMPTZ ? " with a zone (Z or an offset)" : ""));
                        if (data != null) {
                            zero(data, type, slot);
                        }
                        continue;
                    }
                    if (validity != null) {
                        BitVectorHelper.setBit(validity, slot);
                    }
                }
                return anyBad;
            }
        }
    }

    private boolean convertStrings(ArrowSink.Variable sink, int c, int row, int[] only, int n, byte[] bytes) {
        boolean anyBad = false;
        long total = 0;
        for (int i = 0; i < n; i++) {
            int r = only == null ? i : only[i];
            int at = r * columns + c;
            total += ends[at] - starts[at];
        }
        sink.reserve(total);
        MemorySegment source = MemorySegment.ofArray(bytes);
        MemorySegment data = sink.data();
        ArrowBuf validity = sink.validity();
        int[] lengths = sink.lengths(n);
        long to = sink.dataEnd();
        for (int i = 0; i < n; i++) {
            int r = only == null ? i : only[i];
            int at = r * columns + c;
            int s = starts[at];
            int e = ends[at];
            byte flag = flags[at];
            int length = e - s;
            if (length == 0 && flag == 0) {
                lengths[i] = 0; // unquoted empty: null
                continue;
            }
            if (!Utf8.valid(bytes, s, e)) {
                anyBad |= fail(r, c, "not valid UTF-8");
                lengths[i] = 0;
                continue;
            }
            if ((flag & CsvTokenizer.ESCAPED) != 0) {
                length = unescape(bytes, s, e, data, to);
            } else {
                copy(source, s, data, to, length);
            }
            lengths[i] = length;
            to += length;
            BitVectorHelper.setBit(validity, row + i);
        }
        sink.advance(to - sink.dataEnd());
        sink.place(row, n, null, 0, 0);
        return anyBad;
    }

    /** Copies a quoted field's bytes, collapsing each doubled quote; returns the bytes written. */
    private int unescape(byte[] bytes, int start, int end, MemorySegment target, long to) {
        int written = 0;
        for (int i = start; i < end; i++) {
            target.set(ValueLayout.JAVA_BYTE, to + written++, bytes[i]);
            if (bytes[i] == quote && i + 1 < end && bytes[i + 1] == quote) {
                i++;
            }
        }
        return written;
    }

    /** As the Parquet reader's short copies: a long at a time up to 64 bytes (buffers are padded). */
    private static void copy(MemorySegment source, long from, MemorySegment target, long to, int length) {
        if (length <= 64) {
            for (int i = 0; i < length; i += 8) {
                target.set(ValueLayout.JAVA_LONG_UNALIGNED, to + i, source.get(ValueLayout.JAVA_LONG_UNALIGNED, from + i));
            }
        } else {
            MemorySegment.copy(source, from, target, to, length);
        }
    }

    private static void zero(MemorySegment data, CsvType type, int slot) {
        switch (type) {
            case INT64, DOUBLE, TIMESTAMP, TIMESTAMPTZ -> data.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * slot, 0L);
            default -> data.set(ValueLayout.JAVA_INT_UNALIGNED, 4L * slot, 0);
        }
    }

    private boolean fail(int record, int column, String problem) {
        if (!skipMalformed) {
            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " line " + lines[record]
                    + ", column '" + names.get(column) + "': the value is " + problem);
        }
        bad[record] = true;
        return true;
    }

    private static String article(CsvType type) {
        return type == CsvType.INT32 || type == CsvType.INT64 ? "an" : "a";
    }

    /** Releases the root, the file and the child allocator. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            tokenizer.close();
        } catch (IOException e) {
            LOG.warn("closing the scan of {} failed", fileName, e);
        }
        try {
            root.close();
        } finally {
            allocator.close();
        }
    }

    /** UTF-8 validation: ASCII eight bytes at a time, the rest by the standard's well-formed byte sequences. */
    static final class Utf8 {
        private static final java.lang.invoke.VarHandle LONGS =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

        private Utf8() {}

        static boolean valid(byte[] bytes, int start, int end) {
            int i = start;
            while (i + 8 <= end) {
                long word = (long) LONGS.get(bytes, i);
                if ((word & 0x8080808080808080L) != 0) {
                    break;
                }
                i += 8;
            }
            while (i < end) {
                int b = bytes[i] & 0xFF;
                if (b < 0x80) {
                    i++;
                    continue;
                }
                int need;
                int min;
                if (b >= 0xC2 && b <= 0xDF) {
                    need = 1;
                    min = 0x80;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    need = 2;
                    min = 0x800;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    need = 3;
                    min = 0x10000;
                } else {
                    return false;
                }
                if (i + need >= end) {
                    return false;
                }
                int code = b & (0x3F >> need);
                for (int k = 1; k <= need; k++) {
                    int next = bytes[i + k] & 0xFF;
                    if ((next & 0xC0) != 0x80) {
                        return false;
                    }
                    code = (code << 6) | (next & 0x3F);
                }
                if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
                    return false;
                }
                i += need + 1;
            }
            return true;
        }
    }
}
