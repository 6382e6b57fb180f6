package io.sluice.connectors.parquet;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import io.sluice.connectors.SourceOptions;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Parquet file, or a directory tree of Parquet files with hive-style partition folders,
 * read page by page into Arrow vectors.
 *
 * <p>Lifecycle: {@link #open(Path)} reads and checks every footer once: the schema, the row count
 * and the {@linkplain #fingerprint() fingerprint} come from them, and every scan reuses them. The
 * source keeps no file handle and no Arrow memory between scans; {@link #close()} only forbids
 * further scans. Each {@link #open(ScanSpec, BufferAllocator)} returns a reader that opens the
 * files it needs, one at a time, and owns a child of the given allocator.
 *
 * <p>Versioning: a scan refuses to read a file ({@link ConnectorErrorCode#SOURCE_CHANGED}) whose
 * size or modification time differ from those seen when its footer was read, so that data is
 * never served under a stale fingerprint. Open a new source to serve the new version.
 *
 * <p>Predicates only skip row groups (and partitions) whose statistics or partition values show
 * that no row can match; the rows of the other row groups all come back ({@link #filtersExactly()}
 * is false).
 *
 * <p>Threading: immutable after {@link #open(Path)}; {@link #schema()}, {@link #rowCount()},
 * {@link #fingerprint()} and {@link #open(ScanSpec, BufferAllocator)} may be called from several
 * threads at once. Opening and scanning block on file I/O: call them off any event loop.
 */
public final class ParquetBatchSource implements BatchSource {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetBatchSource.class);

    private final ParquetDataset dataset;
    private final Set<String> columnNames;
    private final long maxBatchBytes;
    private volatile boolean closed;

    private ParquetBatchSource(ParquetDataset dataset, long maxBatchBytes) {
        this.dataset = dataset;
        this.maxBatchBytes = maxBatchBytes;
        this.columnNames = dataset.schema().getFields().stream().map(Field::getName)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** {@link #open(Path, long)} with the default memory bound (512 MiB per scan). */
    public static ParquetBatchSource open(Path location) {
        return open(location, SourceOptions.DEFAULT_MAX_BATCH_BYTES);
    }

    /**
     * Opens one Parquet file or a directory tree of them: reads the footers, maps the schema,
     * computes the fingerprint.
     *
     * @param location a regular file or a directory; already confined by the caller (see
     *     {@link io.sluice.connectors.SourcePaths})
     * @param maxBatchBytes the most memory one scan may hold
     * @return a source the caller owns and must close
     * @throws ConnectorException {@link ConnectorErrorCode#SOURCE_NOT_FOUND} when a file is
     *     missing or unreadable; {@link ConnectorErrorCode#CORRUPT_SOURCE} when one is not a
     *     well-formed Parquet file; {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming every column
     *     of a type this reader cannot read; {@link ConnectorErrorCode#SCHEMA_MISMATCH} when the files
     *     of a directory disagree; {@link ConnectorErrorCode#SOURCE_READ_FAILED} on other I/O
     *     errors. Messages name files relative to the source, never by their absolute path.
     */
    public static ParquetBatchSource open(Path location, long maxBatchBytes) {
        requireNonNull(location, "location is null");
        if (maxBatchBytes < 1) {
            throw new IllegalArgumentException("maxBatchBytes must be >= 1, was " + maxBatchBytes);
        }
        ParquetDataset dataset = ParquetDataset.open(location);
        LOG.debug("opened {}: {} files, {} rows in {} row groups, {} columns, fingerprint {}", dataset.name(),
                dataset.files().size(), dataset.rows(), dataset.units().size(), dataset.schema().getFields().size(),
                dataset.fingerprint());
        return new ParquetBatchSource(dataset, maxBatchBytes);
    }

    /** File columns in file order, then partition columns in folder order. */
    @Override
    public Schema schema() {
        return dataset.schema();
    }

    /** The row count from the footers: always present. */
    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(dataset.rows());
    }

    /**
     * Lower-case hex SHA-256. For one file: of the UTF-8 file name, one zero byte, the file size as
     * a big-endian int64 and the serialized footer bytes. For a directory: over every file in
     * relative-path order, of its {@code /}-separated relative path (UTF-8), one zero byte, its
     * size as a big-endian int64, its footer length as a big-endian int32 and its footer bytes.
     * The footer holds the schema, every row group's offsets and sizes and, from most writers,
     * column statistics, so a rewrite changes it in practice; a rewrite that keeps every byte of
     * the footer and the size is not detected.
     */
    @Override
    public String fingerprint() {
        return dataset.fingerprint();
    }

    /** The number of files (1 for a file source). */
    public int fileCount() {
        return dataset.files().size();
    }

    /** The number of row groups over all files: the finest unit of sharding. */
    public int rowGroupCount() {
        return dataset.units().size();
    }

    /**
     * The row groups over all files, in file order then row-group order, less those the spec's
     * predicate rules out by the footers' statistics; each read in batches of
     * {@code spec.batchRows()} that never span row groups.
     */
    @Override
    public List<ScanUnit> units(ScanSpec spec) {
        requireNonNull(spec, "spec is null");
        checkSpec(spec);
        List<ParquetDataset.Unit> all = dataset.units();
        Map<ParquetDataset.Unit, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            index.put(all.get(i), i);
        }
        return ParquetBatchReader.mightMatch(dataset, spec, all).stream()
                .map(unit -> ScanUnit.of(index.get(unit), unit.rows(), spec.batchRows()))
                .toList();
    }

    /**
     * Starts a scan of {@code spec.columns()} in that order, over the row groups of
     * {@code spec.shard()}, skipping those the predicate rules out.
     *
     * @return a reader the caller owns and must close; it takes a child of {@code allocator}
     * @throws ConnectorException {@link ConnectorErrorCode#UNKNOWN_COLUMN} naming the column and
     *     the available ones; {@link ConnectorErrorCode#INVALID_PREDICATE} for a predicate that
     *     compares a column with a literal of another type
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public BatchReader open(ScanSpec spec, BufferAllocator allocator) {
        requireNonNull(spec, "spec is null");
        requireNonNull(allocator, "allocator is null");
        checkSpec(spec);
        return ParquetBatchReader.open(dataset, spec, allocator, maxBatchBytes);
    }

    private void checkSpec(ScanSpec spec) {
        if (closed) {
            throw new IllegalStateException("source " + dataset.name() + " is closed");
        }
        for (String name : spec.columns()) {
            if (!columnNames.contains(name)) {
                throw new ConnectorException(ConnectorErrorCode.UNKNOWN_COLUMN, "unknown column '" + name + "' in "
                        + dataset.name() + "; available columns: "
                        + dataset.schema().getFields().stream().map(Field::getName).toList());
            }
        }
        spec.predicate().ifPresent(predicate -> predicate.checkAgainst(dataset.schema(), dataset.name()));
    }

    /** Forbids further scans; readers already open stay valid. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "ParquetBatchSource[" + dataset.name() + ", " + dataset.fingerprint() + "]";
    }
}
