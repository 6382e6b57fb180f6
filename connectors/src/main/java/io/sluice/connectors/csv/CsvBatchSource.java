package io.sluice.connectors.csv;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceFiles;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local CSV file (UTF-8, RFC 4180 quoting), read straight from its bytes into Arrow vectors.
 *
 * <p>Lifecycle: {@link #open} hashes the whole file (the fingerprint), reads a sample to decide
 * whether the first record is a header and to infer each column's type, and applies the
 * {@code types} overrides. Each {@link #open(ScanSpec, BufferAllocator)} returns a reader that
 * reads the file again from the start.
 *
 * <p>Values: an empty field is null in every column type, except that a quoted empty field
 * ({@code ""}) is the empty string in a {@code utf8} column. Numbers, booleans, dates and
 * timestamps may be surrounded by spaces. Every column is nullable.
 *
 * <p>Malformed rows (a wrong number of fields, text after a closing quote, a value that does not
 * parse as its column's type, invalid UTF-8) fail the scan with
 * {@link ConnectorErrorCode#CORRUPT_SOURCE} naming the line (option {@code onError=reject}, the
 * default), or are skipped and counted in {@link io.sluice.connectors.ScanMetrics#malformedRowsSkipped()}
 * ({@code onError=skip}). Every column of a row is checked, projected or not, so that the rows a
 * scan returns never depend on its projection. Messages never quote cell values.
 *
 * <p>Shards: the data records are cut into blocks of {@link #SHARD_BLOCK_RECORDS}; block {@code b}
 * belongs to shard {@code b % shards}. Each shard's reader parses the whole file but converts only
 * its own blocks. Predicates are not used ({@link #filtersExactly()} is false).
 *
 * <p>Units: the same blocks. The first {@link #units} call tokenizes the file once to find where
 * each block starts (a byte offset at a record boundary, quoted line breaks included); a scan of
 * named units seeks to each and reads only its records. A unit's batches hold
 * {@code min(batchRows, records left)} records each, fewer rows (possibly none) where malformed
 * rows are skipped, so its batch count is known without converting it.
 *
 * <p>Threading: immutable after {@link #open}; scans may run concurrently.
 */
public final class CsvBatchSource implements BatchSource {
    private static final Logger LOG = LoggerFactory.getLogger(CsvBatchSource.class);

    /** Records per shard block. */
    public static final int SHARD_BLOCK_RECORDS = 16_384;
    /** The most columns a CSV file may have. */
    static final int MAX_COLUMNS = 100_000;

    private final Path file;
    private final String fileName;
    private final CsvOptions options;
    private final boolean header;
    private final List<CsvType> types;
    private final Schema schema;
    private final String fingerprint;
    private final long size;
    private final FileTime lastModified;
    private volatile boolean closed;
    /** Where each unit starts, found on first use. */
    private volatile List<Block> blocks;

    /**
     * A unit: {@code records} data records from byte {@code offset}, the first on line {@code line}.
     */
    record Block(long offset, long line, long records) {}

    private CsvBatchSource(Path file, String fileName, CsvOptions options, boolean header, List<CsvType> types,
            Schema schema, String fingerprint, long size, FileTime lastModified) {
        this.file = file;
        this.fileName = fileName;
        this.options = options;
        this.header = header;
        this.types = List.copyOf(types);
        this.schema = schema;
        this.fingerprint = fingerprint;
        this.size = size;
        this.lastModified = lastModified;
    }

    /**
     * Opens {@code file} with {@code options}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#SOURCE_NOT_FOUND} when the file is
     *     missing or unreadable, {@link ConnectorErrorCode#CORRUPT_SOURCE} when it has no record or
     *     its first records cannot be tokenized, {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG}
     *     when {@code types} names a column the file lacks, {@link ConnectorErrorCode#SOURCE_CHANGED}
     *     when the file changes while it is hashed
     */
    static CsvBatchSource open(Path file, CsvOptions options) {
        requireNonNull(file, "file is null");
        requireNonNull(options, "options is null");
        String fileName = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (Files.isDirectory(file)) {
            throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG,
                    "'" + fileName + "' is a directory; a csv source is one file");
        }
        try {
            BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class);
            String fingerprint = sha256(file, fileName);
            BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
            if (before.size() != after.size() || !before.lastModifiedTime().equals(after.lastModifiedTime())) {
                throw new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED,
                        fileName + " changed while it was being read; try again when it is complete");
            }
            Sample sample = sample(file, fileName, options);
            CsvBatchSource source = new CsvBatchSource(file, fileName, options, sample.header(), sample.types(),
                    sample.schema(), fingerprint, after.size(), after.lastModifiedTime());
            LOG.debug("opened {}: header {}, schema {}, fingerprint {}", fileName, sample.header(), sample.schema(),
                    fingerprint);
            return source;
        } catch (NoSuchFileException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND, fileName + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND, fileName + " is not readable", e);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    fileName + " cannot be read: " + SourceFiles.reason(e), e);
        }
    }

    @Override
    public Schema schema() {
        return schema;
    }

    /** Unknown without a scan. */
    @Override
    public OptionalLong rowCount() {
        return OptionalLong.empty();
    }

    /** Lower-case hex SHA-256 of the file's bytes. */
    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** Whether the first record is a header (given, or detected). */
    public boolean hasHeader() {
        return header;
    }

    /** Every block of {@link #SHARD_BLOCK_RECORDS} data records; the predicate rules none out. */
    @Override
    public List<ScanUnit> units(ScanSpec spec) {
        requireNonNull(spec, "spec is null");
        projection(spec);
        List<Block> all = blocks();
        List<ScanUnit> units = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            units.add(ScanUnit.of(i, all.get(i).records(), spec.batchRows()));
        }
        return units;
    }

    /**
     * Converts every column of the file's records, as a scan does, up to about {@code maxBytes}:
     * the whole file when it is no larger, else its leading units (blocks of
     * {@link #SHARD_BLOCK_RECORDS} records) that start before {@code maxBytes}. Meant for
     * registration, so that a bad row in the checked part is found before any stream is cut by it.
     *
     * @param allocator the scan takes a child of it and closes it before this returns
     * @throws ConnectorException {@link ConnectorErrorCode#CORRUPT_SOURCE} naming the line (and
     *     column) of the first malformed row with {@code onError=reject}; as {@link #open(ScanSpec, BufferAllocator)}
     */
    public CsvCheck check(long maxBytes, BufferAllocator allocator) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, was " + maxBytes);
        }
        requireNonNull(allocator, "allocator is null");
        ScanSpec spec = ScanSpec.of(schema.getFields().stream().map(Field::getName).toList());
        boolean whole = size <= maxBytes;
        long bytesChecked = size;
        if (!whole) {
            List<Block> all = blocks();
            List<Integer> leading = new ArrayList<>();
            for (int unit = 0; unit < all.size() && (unit == 0 || all.get(unit).offset() < maxBytes); unit++) {
                leading.add(unit);
            }
            whole = leading.size() == all.size();
            bytesChecked = whole ? size : all.get(leading.size()).offset();
            spec = spec.withUnits(leading);
        }
        try (BatchReader reader = open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                // every batch converts every column; the values are not kept
            }
            List<Long> lines = new ArrayList<>(((CsvBatchReader) reader).skippedLines());
            lines.sort(null);
            return new CsvCheck(bytesChecked, whole, reader.metrics().rows(), reader.metrics().malformedRowsSkipped(),
                    lines);
        }
    }

    private List<Block> blocks() {
        List<Block> found = blocks;
        if (found == null) {
            found = findBlocks();
            blocks = found;
        }
        return found;
    }

    private List<Block> findBlocks() {
        checkUnchanged();
        List<Block> found = new ArrayList<>();
        int[] none = new int[0];
        byte[] noFlags = new byte[0];
        try (CsvTokenizer tokenizer = new CsvTokenizer(SourceFiles.openRegular(file, fileName), fileName,
                options.delimiter(), options.quote(), options.maxRecordBytes())) {
            long records = header ? -1 : 0;
            long offset = 0;
            long line = 0;
            while (true) {
                CsvTokenizer.Result result = tokenizer.next(none, none, noFlags, 0, 0);
                if (result == CsvTokenizer.Result.NEED_MORE) {
                    tokenizer.refill();
                    continue;
                }
                if (result == CsvTokenizer.Result.END) {
                    break;
                }
                if (records >= 0 && records % SHARD_BLOCK_RECORDS == 0) {
                    if (records > 0) {
                        found.add(new Block(offset, line, SHARD_BLOCK_RECORDS));
                    }
                    offset = tokenizer.recordOffset();
                    line = tokenizer.recordLine();
                }
                records++;
            }
            if (records > 0 && records % SHARD_BLOCK_RECORDS != 0) {
                found.add(new Block(offset, line, records % SHARD_BLOCK_RECORDS));
            } else if (records > 0) {
                found.add(new Block(offset, line, SHARD_BLOCK_RECORDS));
            }
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    fileName + " cannot be read: " + SourceFiles.reason(e), e);
        }
        checkUnchanged();
        return List.copyOf(found);
    }

    /**
     * Starts a scan of {@code spec.columns()} in that order.
     *
     * @return a reader the caller owns and must close; it takes a child of {@code allocator}
     * @throws ConnectorException {@link ConnectorErrorCode#UNKNOWN_COLUMN},
     *     {@link ConnectorErrorCode#INVALID_PREDICATE}, or {@link ConnectorErrorCode#SOURCE_CHANGED}
     *     when the file's size or modification time changed since {@link #open}
     */
    @Override
    public BatchReader open(ScanSpec spec, BufferAllocator allocator) {
        requireNonNull(spec, "spec is null");
        requireNonNull(allocator, "allocator is null");
        int[] projection = projection(spec);
        List<Block> units = new ArrayList<>();
        if (spec.units().isPresent()) {
            List<Block> all = blocks();
            for (int unit : spec.units().get()) {
                if (unit >= all.size()) {
                    throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "unit " + unit + " of "
                            + fileName + " does not exist: it has " + all.size() + " blocks of records");
                }
                units.add(all.get(unit));
            }
        }
        checkUnchanged();
        FileChannel channel;
        try {
            channel = SourceFiles.openRegular(file, fileName);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    fileName + " cannot be opened for a scan: " + SourceFiles.reason(e), e);
        }
        return CsvBatchReader.open(channel, fileName, options, header, types, schema, projection, spec,
                spec.units().isPresent() ? java.util.Optional.of(units) : java.util.Optional.empty(), allocator);
    }

    /** The file columns the spec reads, in its order; checks its predicate too. */
    private int[] projection(ScanSpec spec) {
        if (closed) {
            throw new IllegalStateException("source " + fileName + " is closed");
        }
        List<String> names = schema.getFields().stream().map(Field::getName).toList();
        int[] projection = new int[spec.columns().size()];
        for (int i = 0; i < projection.length; i++) {
            projection[i] = names.indexOf(spec.columns().get(i));
            if (projection[i] < 0) {
                throw new ConnectorException(ConnectorErrorCode.UNKNOWN_COLUMN, "unknown column '"
                        + spec.columns().get(i) + "' in " + fileName + "; available columns: " + names);
            }
        }
        spec.predicate().ifPresent(predicate -> predicate.checkAgainst(schema, fileName));
        return projection;
    }

    private void checkUnchanged() {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED, fileName
                    + " changed since the source was opened (fingerprint " + fingerprint + "): it cannot be read any more");
        }
        if (attributes.size() != size || !attributes.lastModifiedTime().equals(lastModified)) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED, fileName
                    + " changed since the source was opened (fingerprint " + fingerprint
                    + "); open the source again to serve the new version");
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "CsvBatchSource[" + fileName + ", " + fingerprint + "]";
    }

    private static String sha256(Path file, String fileName) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try (FileChannel channel = SourceFiles.openRegular(file, fileName)) {
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private record Sample(boolean header, List<CsvType> types, Schema schema) {}

    /** Reads the first record and up to {@code sampleRows} more; decides the header and the types. */
    private static Sample sample(Path file, String fileName, CsvOptions options) throws IOException {
        return sample(file, fileName, options, 256);
    }

    private static Sample sample(Path file, String fileName, CsvOptions options, int capacity) throws IOException {
        CsvValues values = new CsvValues();
        try (CsvTokenizer tokenizer = new CsvTokenizer(SourceFiles.openRegular(file, fileName), fileName,
                options.delimiter(), options.quote(), options.maxRecordBytes())) {
            int[] starts = new int[capacity];
            int[] ends = new int[capacity];
            byte[] flags = new byte[capacity];
            CsvTokenizer.Result result;
            while ((result = tokenizer.next(starts, ends, flags, 0, capacity)) == CsvTokenizer.Result.NEED_MORE) {
                tokenizer.refill();
            }
            if (result == CsvTokenizer.Result.END) {
                throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " holds no records");
            }
            int columns = tokenizer.fieldCount();
            if (columns > capacity) {
                if (columns > MAX_COLUMNS) {
                    throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " line "
                            + tokenizer.recordLine() + ": " + columns + " fields, more than the " + MAX_COLUMNS
                            + " a csv source accepts");
                }
                return sample(file, fileName, options, columns); // again, with room for every field
            }
            List<String> first = new ArrayList<>(columns);
            byte[] bytes = tokenizer.buffer();
            for (int c = 0; c < columns; c++) {
                first.add(text(bytes, starts[c], ends[c], flags[c], options.quote()));
            }
            Inference inference = new Inference(columns);
            boolean[] firstParses = inference.firstRecord(bytes, starts, ends, flags, values);
            int sampled = 0;
            while (sampled < options.sampleRows()) {
                result = tokenizer.next(starts, ends, flags, 0, capacity);
                if (result == CsvTokenizer.Result.NEED_MORE) {
                    tokenizer.refill();
                    continue;
                }
                if (result == CsvTokenizer.Result.END) {
                    break;
                }
                sampled++;
                if (tokenizer.fieldCount() == columns && !tokenizer.malformed()) {
                    inference.add(tokenizer.buffer(), starts, ends, flags, values);
                }
            }
            return decide(fileName, options, first, firstParses, inference, sampled);
        }
    }

    private static Sample decide(String fileName, CsvOptions options, List<String> first, boolean[] firstParses,
            Inference inference, int sampled) {
        int columns = first.size();
        List<CsvType> fromSample = inference.types();
        boolean header = options.header().orElseGet(() -> detectHeader(first, firstParses, fromSample, sampled));
        List<CsvType> inferred = fromSample;
        if (!header) {
            // The first record is data: it takes part in the inference too.
            inference.addFirst();
            inferred = inference.types();
        }
        List<String> names = new ArrayList<>(columns);
        Set<String> seen = new HashSet<>();
        for (int c = 0; c < columns; c++) {
            String name = header ? first.get(c).strip() : "";
            if (name.isEmpty()) {
                name = "column" + (c + 1);
            }
            String unique = name;
            for (int n = 2; !seen.add(unique); n++) {
                unique = name + "_" + n;
            }
            names.add(unique);
        }
        List<CsvType> types = new ArrayList<>(inferred);
        for (Map.Entry<String, CsvType> override : options.types().entrySet()) {
            int index = names.indexOf(override.getKey());
            if (index < 0) {
                throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source type 'csv': option"
                        + " 'types' names column '" + override.getKey() + "' but " + fileName + " has columns " + names);
            }
            types.set(index, override.getValue());
        }
        List<Field> fields = new ArrayList<>(columns);
        for (int c = 0; c < columns; c++) {
            fields.add(new Field(names.get(c), new FieldType(true, types.get(c).arrowType(), null), null));
        }
        return new Sample(header, types, new Schema(fields));
    }

    /**
     * The first record is a header when some column has a non-string type in the sample and the
     * first record's field there is not a value of it; when every column is a string (or there is
     * no sample), when its fields are all non-empty and distinct.
     */
    private static boolean detectHeader(List<String> first, boolean[] firstParses, List<CsvType> inferred, int sampled) {
        boolean anyTyped = false;
        for (int c = 0; c < first.size(); c++) {
            if (inferred.get(c) != CsvType.UTF8 && sampled > 0) {
                anyTyped = true;
                if (!firstParses[c]) {
                    return true;
                }
            }
        }
        if (anyTyped) {
            return false;
        }
        Set<String> distinct = new HashSet<>();
        for (String field : first) {
            if (field.isBlank() || !distinct.add(field)) {
                return false;
            }
        }
        return true;
    }

    static String text(byte[] bytes, int start, int end, byte flags, byte quote) {
        String text = new String(bytes, start, end - start, StandardCharsets.UTF_8);
        String one = String.valueOf((char) quote);
        return (flags & CsvTokenizer.ESCAPED) != 0 ? text.replace(one + one, one) : text;
    }

    /** Candidate types per column, narrowed by every sampled value. */
    private static final class Inference {
        private static final CsvType[] ORDER = {CsvType.BOOLEAN, CsvType.INT64, CsvType.DOUBLE, CsvType.DATE,
            CsvType.TIMESTAMP, CsvType.TIMESTAMPTZ};
        private final int[] candidates;
        private final boolean[] sawValue;
        private int[] firstCandidates;
        private boolean[] firstSaw;

        Inference(int columns) {
            candidates = new int[columns];
            sawValue = new boolean[columns];
            java.util.Arrays.fill(candidates, (1 << ORDER.length) - 1);
        }

        /** Remembers the first record's candidates apart; returns, per column, whether it parses as a typed value. */
        boolean[] firstRecord(byte[] bytes, int[] starts, int[] ends, byte[] flags, CsvValues values) {
            int columns = candidates.length;
            firstCandidates = new int[columns];
            firstSaw = new boolean[columns];
            boolean[] parses = new boolean[columns];
            for (int c = 0; c < columns; c++) {
                int mask = (1 << ORDER.length) - 1;
                if (starts[c] < ends[c]) {
                    mask = mask(bytes, starts[c], ends[c], flags[c], values);
                    firstSaw[c] = true;
                }
                firstCandidates[c] = mask;
                parses[c] = mask != 0 || starts[c] == ends[c];
            }
            return parses;
        }

        void addFirst() {
            for (int c = 0; c < candidates.length; c++) {
                candidates[c] &= firstCandidates[c];
                sawValue[c] |= firstSaw[c];
            }
        }

        void add(byte[] bytes, int[] starts, int[] ends, byte[] flags, CsvValues values) {
            for (int c = 0; c < candidates.length; c++) {
                if (starts[c] < ends[c] && candidates[c] != 0) {
                    candidates[c] &= mask(bytes, starts[c], ends[c], flags[c], values);
                    sawValue[c] = true;
                }
            }
        }

        private static int mask(byte[] bytes, int start, int end, byte flags, CsvValues values) {
            if ((flags & CsvTokenizer.ESCAPED) != 0) {
                return 0;
            }
            int mask = 0;
            if (values.parseBoolean(bytes, start, end)) {
                mask |= 1;
            }
            if (values.parseLong(bytes, start, end)) {
                mask |= 2;
            }
            if (values.parseDouble(bytes, start, end)) {
                mask |= 4;
            }
            if (values.parseDate(bytes, start, end)) {
                mask |= 8;
            }
            if (values.parseTimestamp(bytes, start, end)) {
                mask |= values.zoned ? 32 : 16;
            }
            return mask;
        }

        List<CsvType> types() {
            List<CsvType> types = new ArrayList<>(candidates.length);
            for (int c = 0; c < candidates.length; c++) {
                CsvType type = CsvType.UTF8;
                if (sawValue[c]) {
                    for (int t = 0; t < ORDER.length; t++) {
                        if ((candidates[c] & (1 << t)) != 0) {
                            type = ORDER[t];
                            break;
                        }
                    }
                }
                types.add(type);
            }
            return types;
        }
    }
}
