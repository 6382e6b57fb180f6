package io.sluice.connectors.parquet;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceFiles;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanMetrics;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetColumn.Leaf;
import io.sluice.connectors.parquet.ParquetDataset.DataFile;
import io.sluice.connectors.parquet.ParquetDataset.Unit;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.OversizedAllocationException;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scan of a Parquet data set: the row groups of one shard, minus those the predicate's
 * statistics rule out, each decoded column chunk by column chunk, page by page, straight into the
 * vectors of one reused {@link VectorSchemaRoot}.
 *
 * <p>Only the projected column chunks are read from disk. A batch holds at most
 * {@code batchRows} rows and never spans two row groups, so a row group of 300 rows read with
 * {@code batchRows = 128} gives batches of 128, 128 and 44 rows.
 *
 * <p>Ownership: the reader owns a child allocator named {@code parquet-scan:<source name>} whose
 * limit is the smaller of the caller's limit and {@code maxBatchBytes}; the root, every page
 * buffer and the open file belong to it, and {@link #close()} releases all of them. A failure
 * while loading a batch releases everything at once (the exception is then the last thing the
 * reader produces; {@link #close()} stays safe to call).
 *
 * <p>Threading: one thread at a time. Loading a batch blocks on file I/O and decoding; with
 * {@link ScanSpec#decodeThreads()} above one, the batch's columns are decoded side by side
 * ({@link BatchFills}) and the call returns once all are done.
 */
final class ParquetBatchReader implements BatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetBatchReader.class);

    private final ParquetDataset dataset;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final List<String> columns;
    private final List<Unit> units;
    private final int batchRows;
    private final long memoryBound;
    private final long rowGroupsSkipped;
    /** Page buffers per projected leaf, by its position among the projection's leaves. */
    private final List<ColumnChunkPages.Buffers> buffers = new ArrayList<>();
    private final BatchFills batchFills;

    private int unitIndex = -1;
    private int openFile = -1;
    private FileChannel channel;
    private List<LeafReader> leafReaders = List.of();
    private long rowsLeftInUnit;
    private long rows;
    private long batches;
    private long rowGroupsScanned;
    private boolean exhausted;
    private boolean closed;

    private ParquetBatchReader(ParquetDataset dataset, BufferAllocator allocator, VectorSchemaRoot root,
            List<String> columns, List<Unit> units, int batchRows, long memoryBound, long rowGroupsSkipped,
            int decodeThreads) {
        this.dataset = dataset;
        this.allocator = allocator;
        this.root = root;
        this.columns = columns;
        this.units = units;
        this.batchRows = batchRows;
        this.memoryBound = memoryBound;
        this.rowGroupsSkipped = rowGroupsSkipped;
        this.batchFills = new BatchFills(decodeThreads);
    }

    /**
     * Opens a scan; the spec's columns are already checked to exist.
     *
     * @param maxBatchBytes the bound on the scan's memory (the caller's allocator limit applies too)
     */
    static ParquetBatchReader open(ParquetDataset dataset, ScanSpec spec, BufferAllocator parentAllocator,
            long maxBatchBytes) {
        requireNonNull(dataset, "dataset is null");
        requireNonNull(spec, "spec is null");
        requireNonNull(parentAllocator, "parentAllocator is null");
        Map<String, Field> fields = new HashMap<>();
        for (Field field : dataset.schema().getFields()) {
            fields.put(field.getName(), field);
        }
        Schema schema = new Schema(spec.columns().stream().map(fields::get).toList());
        List<Unit> shard = spec.units().isPresent() ? named(dataset, spec.units().get())
                : dataset.shard(spec.shard(), spec.shards());
        // Named units are read whole: their caller counted on their batches.
        List<Unit> kept = spec.units().isPresent() ? shard : mightMatch(dataset, spec, shard);
        int lastChecked = -1;
        for (Unit unit : kept) {
            if (unit.file() != lastChecked) {
                checkUnchanged(dataset, dataset.files().get(unit.file()));
                lastChecked = unit.file();
            }
        }
        long bound = Math.min(parentAllocator.getLimit(), maxBatchBytes);
        BufferAllocator allocator = parentAllocator.newChildAllocator("parquet-scan:" + dataset.name(), 0, bound);
        VectorSchemaRoot root = null;
        try {
            root = VectorSchemaRoot.create(schema, allocator);
            return new ParquetBatchReader(dataset, allocator, root, List.copyOf(spec.columns()), List.copyOf(kept),
                    spec.batchRows(), bound, shard.size() - kept.size(), spec.decodeThreads());
        } catch (RuntimeException | Error e) {
            if (root != null) {
                root.close();
            }
            allocator.close();
            throw e;
        }
    }

    /** The units {@code spec}'s predicate cannot rule out by the footers' statistics, in order. */
    static List<Unit> mightMatch(ParquetDataset dataset, ScanSpec spec, List<Unit> units) {
        Optional<Predicate> predicate = spec.predicate().map(Predicate::withoutNot);
        if (predicate.isEmpty()) {
            return units;
        }
        Map<String, Field> fields = new HashMap<>();
        for (Field field : dataset.schema().getFields()) {
            fields.put(field.getName(), field);
        }
        List<Unit> kept = new ArrayList<>();
        for (Unit unit : units) {
            if (StatisticsPruning.mightMatch(predicate.get(), column -> dataset.range(unit, column),
                    column -> fields.get(column).getType())) {
                kept.add(unit);
            }
        }
        LOG.debug("scan of {}: predicate {} keeps {} of {} row groups", dataset.name(),
                spec.predicate().get().describe(), kept.size(), units.size());
        return kept;
    }

    private static List<Unit> named(ParquetDataset dataset, List<Integer> indexes) {
        List<Unit> all = dataset.units();
        List<Unit> named = new ArrayList<>(indexes.size());
        for (int index : indexes) {
            if (index >= all.size()) {
                throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "unit " + index + " of "
                        + dataset.name() + " does not exist: it has " + all.size() + " row groups");
            }
            named.add(all.get(index));
        }
        return named;
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
        return new ScanMetrics(rows, batches, rowGroupsScanned, rowGroupsSkipped, 0);
    }

    @Override
    public boolean loadNextBatch() {
        if (closed) {
            throw new IllegalStateException("scan of " + dataset.name() + " is closed");
        }
        if (exhausted) {
            return false;
        }
        boolean loaded = false;
        try {
            while (rowsLeftInUnit == 0) {
                if (!nextUnit()) {
                    exhausted = true;
                    root.setRowCount(0);
                    loaded = true;
                    return false;
                }
            }
            int count = (int) Math.min(batchRows, rowsLeftInUnit);
            batchFills.run(count);
            root.setRowCount(count);
            rowsLeftInUnit -= count;
            rows += count;
            batches++;
            loaded = true;
            return true;
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    currentFileName() + " cannot be read: " + SourceFiles.reason(e), e);
        } catch (OutOfMemoryException | OversizedAllocationException e) {
            throw new ConnectorException(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED, "the scan of " + dataset.name()
                    + " needs more memory than its bound of " + memoryBound + " bytes (option maxBatchBytes or the"
                    + " broker's stream memory); read fewer rows per batch or raise the bound", e);
        } catch (ConnectorException e) {
            throw e;
        } catch (RuntimeException e) {
            // Decoders report undecodable pages, levels and values as unchecked exceptions.
            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, currentFileName() + " is corrupt: row group "
                    + currentRowGroup() + " cannot be decoded (" + e.getMessage() + ")", e);
        } finally {
            if (!loaded) {
                close();
            }
        }
    }

    private String currentFileName() {
        return openFile >= 0 ? dataset.files().get(openFile).name() : dataset.name();
    }

    private int currentRowGroup() {
        return unitIndex >= 0 && unitIndex < units.size() ? units.get(unitIndex).rowGroup() : -1;
    }

    private boolean nextUnit() throws IOException {
        unitIndex++;
        if (unitIndex >= units.size()) {
            closeFile();
            return false;
        }
        Unit unit = units.get(unitIndex);
        if (unit.file() != openFile) {
            openFile(unit.file());
        }
        DataFile file = dataset.files().get(unit.file());
        BlockMetaData block = file.footer().metadata().getBlocks().get(unit.rowGroup());
        Map<ColumnPath, ColumnChunkMetaData> chunks = new HashMap<>();
        for (ColumnChunkMetaData chunk : block.getColumns()) {
            chunks.put(chunk.getPath(), chunk);
        }
        for (int i = 0; i < leafReaders.size(); i++) {
            LeafReader reader = leafReaders.get(i);
            String[] path = reader.leaf.descriptor().getPath();
            ColumnChunkMetaData chunk = chunks.get(ColumnPath.get(path));
            String column = String.join(".", path);
            if (chunk == null) {
                throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, file.name() + " is corrupt: row group "
                        + unit.rowGroup() + " has no column chunk for " + column);
            }
            if (reader.leaf.maxRepetitionLevel() == 0 && chunk.getValueCount() != unit.rows()) {
                throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, file.name() + " is corrupt: row group "
                        + unit.rowGroup() + " has " + unit.rows() + " rows but column " + column + " has "
                        + chunk.getValueCount() + " values");
            }
            reader.startRowGroup(new ColumnChunkPages(channel, file.name(), unit.rowGroup(), column, chunk.getCodec(),
                    ParquetFooter.chunkStart(chunk), chunk.getTotalSize(), buffers.get(i)), unit.rowGroup(),
                    chunk.getValueCount());
        }
        rowsLeftInUnit = unit.rows();
        rowGroupsScanned++;
        LOG.debug("scan of {}: row group {} of {} with {} rows", dataset.name(), unit.rowGroup(), file.name(),
                unit.rows());
        return true;
    }

    private void openFile(int index) throws IOException {
        closeFile();
        DataFile file = dataset.files().get(index);
        checkUnchanged(dataset, file);
        channel = SourceFiles.openRegular(file.path(), file.name());
        openFile = index;
        List<LeafReader> readers = new ArrayList<>();
        List<ColumnFill> newFills = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            String name = columns.get(c);
            FieldVector vector = root.getVector(c);
            ParquetColumn column = file.columns().get(name);
            if (column == null) {
                int partition = partitionIndex(name);
                newFills.add(new ColumnFill.PartitionFill(vector, file.partitionValues().get(partition)));
                continue;
            }
            newFills.add(ColumnFill.of(column.node(), vector, (Leaf leaf) -> {
                int position = readers.size();
                while (buffers.size() <= position) {
                    buffers.add(new ColumnChunkPages.Buffers(allocator));
                }
                LeafReader reader = new LeafReader(leaf, file.name(), buffers.get(position));
                readers.add(reader);
                return reader;
            }));
        }
        leafReaders = List.copyOf(readers);
        batchFills.use(newFills);
    }

    private int partitionIndex(String name) {
        List<Field> partitionFields = dataset.partitionFields();
        for (int i = 0; i < partitionFields.size(); i++) {
            if (partitionFields.get(i).getName().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("column " + name + " is neither in the file nor a partition key");
    }

    /** Size and modification time as when the footer was read, or {@link ConnectorErrorCode#SOURCE_CHANGED}. */
    private static void checkUnchanged(ParquetDataset dataset, DataFile file) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file.path(), BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw changed(dataset, file);
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    file.name() + " cannot be read any more: " + SourceFiles.reason(e), e);
        }
        if (attributes.size() != file.footer().fileSize()
                || !attributes.lastModifiedTime().equals(file.footer().lastModified())) {
            throw changed(dataset, file);
        }
    }

    private static ConnectorException changed(ParquetDataset dataset, DataFile file) {
        return new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED, file.name()
                + " changed since the source was opened (fingerprint " + dataset.fingerprint()
                + "); open the source again to serve the new version");
    }

    private void closeFile() throws IOException {
        batchFills.use(List.of());
        leafReaders = List.of();
        openFile = -1;
        if (channel != null) {
            FileChannel open = channel;
            channel = null;
            open.close();
        }
    }

    /** Releases the root, the page buffers, the file and the child allocator. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // No fill runs now (a batch's threads end before it returns), so the workers end at once.
        batchFills.close();
        RuntimeException failure = null;
        try {
            root.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (ColumnChunkPages.Buffers buffer : buffers) {
            buffer.close();
        }
        try {
            closeFile();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing the scan of {} failed", dataset.name(), e);
        }
        try {
            allocator.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
