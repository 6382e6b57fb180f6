package io.sluice.connectors.parquet;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * One local Parquet file, read with parquet-java's column readers into Arrow vectors.
 *
 * <p>Lifecycle: {@link #open(Path)} reads and checks the footer once: the schema, the row count
 * and the {@linkplain #fingerprint() fingerprint} come from it, and every scan reuses it. The
 * source keeps no file handle and no Arrow memory between scans; {@link #close()} only forbids
 * further scans. Each {@link #open(ScanSpec, BufferAllocator)} opens the file again and returns
 * a reader that owns a child of the given allocator.
 *
 * <p>Versioning: a scan refuses to start ({@link ConnectorErrorCode#SOURCE_READ_FAILED}) when the
 * file's size or modification time differ from those seen when the footer was read, so that
 * data is never served under a stale fingerprint. Open a new source to serve the new version.
 *
 * <p>Threading: immutable after {@link #open(Path)}; {@link #schema()}, {@link #rowCount()},
 * {@link #fingerprint()} and {@link #open(ScanSpec, BufferAllocator)} may be called from several
 * threads at once. Opening and scanning block on file I/O: call them off any event loop.
 */
public final class ParquetBatchSource implements BatchSource {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetBatchSource.class);

    private final Path file;
    private final ParquetFooter footer;
    private final Map<String, ParquetColumn> columnsByName;
    private final Schema schema;
    private volatile boolean closed;

    private ParquetBatchSource(Path file, ParquetFooter footer, List<ParquetColumn> columns) {
        this.file = requireNonNull(file, "file is null");
        this.footer = requireNonNull(footer, "footer is null");
        Map<String, ParquetColumn> byName = new LinkedHashMap<>();
        for (ParquetColumn column : columns) {
            byName.put(column.name(), column);
        }
        this.columnsByName = byName;
        this.schema = new Schema(columns.stream().map(ParquetColumn::field).toList());
    }

    /**
     * Opens one Parquet file: reads its footer, maps its schema, computes its fingerprint.
     *
     * @param file a regular file; already confined by the caller (see
     *     {@link io.sluice.connectors.SourcePaths})
     * @return a source the caller owns and must close
     * @throws ConnectorException {@link ConnectorErrorCode#SOURCE_NOT_FOUND} when the file is
     *     missing or unreadable; {@link ConnectorErrorCode#CORRUPT_SOURCE} when it is not a
     *     well-formed Parquet file; {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming every column
     *     of a type this reader cannot read yet; {@link ConnectorErrorCode#SOURCE_READ_FAILED} on
     *     other I/O errors. Messages name the file by its name only, never its absolute path.
     */
    public static ParquetBatchSource open(Path file) {
        requireNonNull(file, "file is null");
        ParquetFooter footer = ParquetFooter.read(file);
        List<ParquetColumn> columns = ParquetArrowSchema.columns(
                footer.metadata().getFileMetaData().getSchema(), footer.fileName());
        ParquetBatchSource source = new ParquetBatchSource(file, footer, columns);
        LOG.debug("opened {}: {} rows in {} row groups, {} columns, fingerprint {}", footer.fileName(),
                footer.rowCount(), footer.metadata().getBlocks().size(), columns.size(), footer.fingerprint());
        return source;
    }

    @Override
    public Schema schema() {
        return schema;
    }

    /** The row count from the footer: always present. */
    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(footer.rowCount());
    }

    /**
     * Lower-case hex SHA-256 of the UTF-8 file name, one zero byte, the file size as a big-endian
     * int64 and the serialized footer bytes. The footer holds the schema, every row group's
     * offsets and sizes and, from most writers, column statistics, so a rewrite changes it in
     * practice; a rewrite that keeps every byte of the footer and the size is not detected.
     */
    @Override
    public String fingerprint() {
        return footer.fingerprint();
    }

    /**
     * Starts a scan of {@code spec.columns()} in that order.
     *
     * @return a reader the caller owns and must close; it takes a child of {@code allocator}
     * @throws ConnectorException {@link ConnectorErrorCode#UNKNOWN_COLUMN} naming the column and
     *     the available ones; {@link ConnectorErrorCode#SOURCE_READ_FAILED} when the file changed
     *     since {@link #open(Path)} or cannot be opened
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public BatchReader open(ScanSpec spec, BufferAllocator allocator) {
        requireNonNull(spec, "spec is null");
        requireNonNull(allocator, "allocator is null");
        if (closed) {
            throw new IllegalStateException("source " + footer.fileName() + " is closed");
        }
        List<ParquetColumn> projected = new ArrayList<>(spec.columns().size());
        for (String name : spec.columns()) {
            ParquetColumn column = columnsByName.get(name);
            if (column == null) {
                throw new ConnectorException(ConnectorErrorCode.UNKNOWN_COLUMN, "unknown column '" + name + "' in "
                        + footer.fileName() + "; available columns: " + columnsByName.keySet());
            }
            projected.add(column);
        }
        checkUnchanged();
        return ParquetBatchReader.open(file, footer, projected, spec.batchRows(), allocator);
    }

    private void checkUnchanged() {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    footer.fileName() + " cannot be read any more: " + e.getMessage(), e);
        }
        if (attributes.size() != footer.fileSize() || !attributes.lastModifiedTime().equals(footer.lastModified())) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED, footer.fileName()
                    + " changed since it was opened (fingerprint " + footer.fingerprint()
                    + "); open the source again to serve the new version");
        }
    }

    /** Forbids further scans; readers already open stay valid. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "ParquetBatchSource[" + footer.fileName() + ", " + footer.fingerprint() + "]";
    }
}
