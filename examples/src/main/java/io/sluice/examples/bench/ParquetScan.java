package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import java.util.ArrayList;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.util.TransferPair;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The Parquet scan alone, in the bench's JVM, on one thread (or a batch's columns decoded on
 * {@code decodeThreads}, as the broker's streams do): Sluice's connector
 * ({@link Connectors} -> {@link BatchSource} -> {@link BatchReader}) reading every granted column
 * in batches of {@link ScanSpec#DEFAULT_BATCH_ROWS}, as the broker's stream does, and nothing else
 * (no enforcement, no encoding). Its MB/s are those of the broker's enforced payload for the same
 * rows, so that it compares with the other contenders: the ceiling the decode stage sets.
 */
final class ParquetScan {
    private final Path file;
    private final List<String> columns;
    private final long payloadBytes;
    private final BufferAllocator allocator;
    private final int decodeThreads;
    private final Connectors connectors = Connectors.discover();

    ParquetScan(Path file, List<String> columns, long payloadBytes, BufferAllocator allocator) {
        this(file, columns, payloadBytes, allocator, 1);
    }

    ParquetScan(Path file, List<String> columns, long payloadBytes, BufferAllocator allocator, int decodeThreads) {
        this.decodeThreads = decodeThreads;
        this.file = requireNonNull(file, "file is null");
        this.columns = List.copyOf(columns);
        this.payloadBytes = payloadBytes;
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /**
     * What one stream's decode stage holds, measured through the same connector: the most memory
     * a batch takes once moved out of the reader (allocations round up, so more than its IPC
     * bytes), and the most the reader keeps for itself meanwhile (page buffers and other scratch).
     *
     * @param batchBytes the largest batch's allocated memory
     * @param scratchBytes the reader's own memory, at most
     */
    record Footprint(long batchBytes, long scratchBytes) {}

    Footprint footprint() {
        long batch = 0;
        long scratch = 0;
        try (BufferAllocator scanning = allocator.newChildAllocator("parquet-scan-footprint", 0, Long.MAX_VALUE);
                BufferAllocator taken = allocator.newChildAllocator("taken", 0, Long.MAX_VALUE);
                BatchSource source = connectors.open(SourceConfig.ofFile("parquet", file));
                BatchReader reader = source.open(ScanSpec.of(columns), scanning)) {
            while (reader.loadNextBatch()) {
                List<ValueVector> moved = new ArrayList<>();
                for (FieldVector vector : reader.root().getFieldVectors()) {
                    TransferPair transfer = vector.getTransferPair(taken);
                    transfer.transfer();
                    moved.add(transfer.getTo());
                }
                batch = Math.max(batch, taken.getAllocatedMemory());
                scratch = Math.max(scratch, scanning.getAllocatedMemory());
                moved.forEach(ValueVector::close);
            }
        }
        return new Footprint(batch, scratch);
    }

    Transfer run() throws Exception {
        return Transfer.timed(() -> {
            long rows = 0;
            try (BufferAllocator scanning = allocator.newChildAllocator("parquet-scan", 0, Long.MAX_VALUE);
                    BatchSource source = connectors.open(SourceConfig.ofFile("parquet", file));
                    BatchReader reader = source.open(ScanSpec.of(columns).withDecodeThreads(decodeThreads), scanning)) {
                while (reader.loadNextBatch()) {
                    rows += reader.root().getRowCount();
                }
            }
            return new long[] {payloadBytes, rows};
        });
    }
}
