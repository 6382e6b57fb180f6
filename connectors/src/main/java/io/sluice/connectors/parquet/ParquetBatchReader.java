package io.sluice.connectors.parquet;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.OversizedAllocationException;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A scan of one Parquet file: row group after row group, column chunk by column chunk, straight
 * into the Arrow vectors of one reused {@link VectorSchemaRoot}.
 *
 * <p>Only the projected column chunks are read from disk. A batch holds at most
 * {@code batchRows} rows and never spans two row groups, so a row group of 300 rows read with
 * {@code batchRows = 128} gives batches of 128, 128 and 44 rows.
 *
 * <p>Ownership: the reader owns a child allocator named {@code parquet-scan:<file name>}, the
 * root and every buffer in it, and the open file; {@link #close()} releases all of them. A
 * failure while loading a batch releases everything at once (the exception is then the last
 * thing the reader produces; {@link #close()} stays safe to call).
 *
 * <p>Threading: one thread at a time. Loading a batch blocks on file I/O and decoding.
 */
final class ParquetBatchReader implements BatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetBatchReader.class);

    /** The column readers need a converter tree; this one is never called (values are pulled). */
    private static final GroupConverter NO_OP_CONVERTER = new GroupConverter() {
        private final PrimitiveConverter primitive = new PrimitiveConverter() {};

        @Override
        public Converter getConverter(int fieldIndex) {
            return primitive;
        }

        @Override
        public void start() {}

        @Override
        public void end() {}
    };

    private final String fileName;
    private final BufferAllocator allocator;
    private final ParquetFileReader fileReader;
    private final MessageType requestedSchema;
    private final String createdBy;
    private final List<ParquetColumn> columns;
    private final ArrowColumnFiller[] fillers;
    private final int[] maxDefinitionLevels;
    private final ColumnReader[] columnReaders;
    private final FieldVector[] vectors;
    private final VectorSchemaRoot root;
    private final int batchRows;

    private PageReadStore rowGroup;
    private int rowGroupIndex = -1;
    private long rowsLeftInRowGroup;
    private boolean exhausted;
    private boolean closed;

    private ParquetBatchReader(String fileName, BufferAllocator allocator, ParquetFileReader fileReader,
            MessageType requestedSchema, List<ParquetColumn> columns, VectorSchemaRoot root, int batchRows) {
        this.fileName = fileName;
        this.allocator = allocator;
        this.fileReader = fileReader;
        this.requestedSchema = requestedSchema;
        this.createdBy = fileReader.getFooter().getFileMetaData().getCreatedBy();
        this.columns = columns;
        this.root = root;
        this.batchRows = batchRows;
        int count = columns.size();
        this.fillers = new ArrowColumnFiller[count];
        this.maxDefinitionLevels = new int[count];
        this.columnReaders = new ColumnReader[count];
        this.vectors = new FieldVector[count];
        for (int c = 0; c < count; c++) {
            ParquetColumn column = columns.get(c);
            fillers[c] = ArrowColumnFiller.forColumn(column);
            maxDefinitionLevels[c] = column.descriptor().getMaxDefinitionLevel();
            vectors[c] = root.getVector(c);
        }
    }

    /**
     * Opens a scan of {@code columns} (already projected, in output order).
     *
     * @param parentAllocator the caller's allocator; the reader takes a child of it
     * @throws ConnectorException {@link ConnectorErrorCode#SOURCE_READ_FAILED} when the file
     *     cannot be opened; nothing is left allocated
     */
    static ParquetBatchReader open(Path file, ParquetFooter footer, List<ParquetColumn> columns, int batchRows,
            BufferAllocator parentAllocator) {
        requireNonNull(file, "file is null");
        requireNonNull(footer, "footer is null");
        requireNonNull(parentAllocator, "parentAllocator is null");
        List<ParquetColumn> projected = List.copyOf(columns);
        if (batchRows < 1) {
            throw new IllegalArgumentException("batchRows must be >= 1, was " + batchRows);
        }
        MessageType fileSchema = footer.metadata().getFileMetaData().getSchema();
        MessageType requestedSchema = new MessageType(fileSchema.getName(),
                projected.stream().map(ParquetColumn::parquetType).toArray(Type[]::new));
        Schema arrowSchema = new Schema(projected.stream().map(ParquetColumn::field).toList());

        BufferAllocator allocator = parentAllocator.newChildAllocator(
                "parquet-scan:" + footer.fileName(), 0, parentAllocator.getLimit());
        ParquetFileReader fileReader = null;
        VectorSchemaRoot root = null;
        try {
            fileReader = openFile(file, footer);
            fileReader.setRequestedSchema(requestedSchema);
            root = VectorSchemaRoot.create(arrowSchema, allocator);
            return new ParquetBatchReader(footer.fileName(), allocator, fileReader, requestedSchema, projected,
                    root, batchRows);
        } catch (IOException e) {
            releaseAll(footer.fileName(), root, null, fileReader, allocator, e);
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    footer.fileName() + " cannot be opened for a scan: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            releaseAll(footer.fileName(), root, null, fileReader, allocator, e);
            throw e;
        }
    }

    private static ParquetFileReader openFile(Path file, ParquetFooter footer) throws IOException {
        // Options per reader: closing a ParquetFileReader releases its options' codec factory.
        // Page checksums (written by default since parquet-java 1.12) turn a flipped bit into an error
        // instead of a silently wrong value.
        ParquetReadOptions options = ParquetReadOptions.builder(new PlainParquetConfiguration())
                .usePageChecksumVerification(true)
                .build();
        LocalInputFile inputFile = new LocalInputFile(file);
        SeekableInputStream stream = inputFile.newStream();
        try {
            return ParquetFileReader.open(inputFile, footer.metadata(), options, stream);
        } catch (IOException | RuntimeException | Error e) {
            try {
                stream.close();
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
    public boolean loadNextBatch() {
        if (closed) {
            throw new IllegalStateException("scan of " + fileName + " is closed");
        }
        if (exhausted) {
            return false;
        }
        boolean loaded = false;
        try {
            while (rowsLeftInRowGroup == 0) {
                if (!nextRowGroup()) {
                    exhausted = true;
                    root.setRowCount(0);
                    loaded = true;
                    return false;
                }
            }
            int rows = (int) Math.min(batchRows, rowsLeftInRowGroup);
            for (int c = 0; c < fillers.length; c++) {
                fillers[c].fill(columnReaders[c], maxDefinitionLevels[c], vectors[c], rows);
            }
            root.setRowCount(rows);
            rowsLeftInRowGroup -= rows;
            loaded = true;
            return true;
        } catch (IOException e) {
            throw readFailure(e);
        } catch (ConnectorException | OutOfMemoryException | OversizedAllocationException e) {
            // Already coded, or the caller's allocator limit or Arrow's buffer limit: not the file's fault.
            throw e;
        } catch (RuntimeException e) {
            // parquet-java reports undecodable pages, levels and values as unchecked exceptions.
            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " is corrupt: row group "
                    + rowGroupIndex + " cannot be decoded (" + e.getMessage() + ")", e);
        } finally {
            if (!loaded) {
                close();
            }
        }
    }

    private boolean nextRowGroup() throws IOException {
        closeRowGroup();
        rowGroupIndex++; // before reading, so that a failure names the row group it happened in
        PageReadStore pages = fileReader.readNextRowGroup();
        if (pages == null) {
            return false;
        }
        rowGroup = pages;
        rowsLeftInRowGroup = pages.getRowCount();
        if (rowsLeftInRowGroup == 0) {
            return true;
        }
        ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, NO_OP_CONVERTER, requestedSchema, createdBy);
        for (int c = 0; c < columnReaders.length; c++) {
            ParquetColumn column = columns.get(c);
            long values = pages.getPageReader(column.descriptor()).getTotalValueCount();
            if (values != rowsLeftInRowGroup) {
                throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " is corrupt: row group "
                        + rowGroupIndex + " has " + rowsLeftInRowGroup + " rows but column " + column.name()
                        + " has " + values + " values");
            }
            columnReaders[c] = store.getColumnReader(column.descriptor());
        }
        LOG.debug("scan of {}: row group {} with {} rows", fileName, rowGroupIndex, rowsLeftInRowGroup);
        return true;
    }

    private void closeRowGroup() {
        Arrays.fill(columnReaders, null);
        if (rowGroup != null) {
            PageReadStore pages = rowGroup;
            rowGroup = null;
            pages.close();
        }
    }

    /**
     * I/O errors with a decoding cause (thrift, a short read) mean a damaged file; bare ones (the
     * disk, the file system) mean the file could not be read.
     */
    private ConnectorException readFailure(IOException e) {
        boolean corrupt = e instanceof EOFException || (e.getClass() == IOException.class && e.getCause() != null);
        return corrupt
                ? new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " is corrupt: row group "
                        + rowGroupIndex + " cannot be read (" + e.getMessage() + ")", e)
                : new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                        fileName + " cannot be read: " + e.getMessage(), e);
    }

    /** Releases the root, the current row group, the file and the child allocator. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        PageReadStore pages = rowGroup;
        rowGroup = null;
        Arrays.fill(columnReaders, null);
        releaseAll(fileName, root, pages, fileReader, allocator, null);
    }

    /**
     * Closes whatever is non-null, in dependency order, so that the allocator closes last and
     * finds nothing outstanding. Failures to close are attached to {@code primary} when there is
     * one; otherwise file-closing failures are logged and an allocator leak is thrown.
     */
    private static void releaseAll(String fileName, VectorSchemaRoot root, PageReadStore pages,
            ParquetFileReader fileReader, BufferAllocator allocator, Throwable primary) {
        RuntimeException leak = null;
        try {
            if (root != null) {
                root.close();
            }
        } catch (RuntimeException e) {
            leak = e;
        }
        try {
            if (pages != null) {
                pages.close();
            }
            if (fileReader != null) {
                fileReader.close();
            }
        } catch (IOException | RuntimeException e) {
            if (primary != null) {
                primary.addSuppressed(e);
            } else {
                LOG.warn("closing the scan of {} failed", fileName, e);
            }
        }
        try {
            allocator.close();
        } catch (RuntimeException e) {
            if (leak == null) {
                leak = e;
            } else {
                leak.addSuppressed(e);
            }
        }
        if (leak != null) {
            if (primary != null) {
                primary.addSuppressed(leak);
            } else {
                throw leak;
            }
        }
    }
}
