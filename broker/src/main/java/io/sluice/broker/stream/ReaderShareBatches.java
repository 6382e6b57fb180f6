package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.service.StreamService.ShardRequest;
import io.sluice.connectors.BatchReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * A stopgap {@link ShareBatches} over one {@link BatchReader}, for the deprecated
 * {@link ArrowHttpStreamer} constructor until the routes pass the real one: source batches dealt to
 * the shard round-robin ({@code batch % shards == shard}), ordered by {@link BatchOrder} (seed,
 * epoch) and the first {@code from} skipped, all counted in source batches.
 *
 * <p>Each batch returned is the reader's batch transferred (not copied) into a new root on
 * {@code allocator}: the caller owns it. Closing closes the reader and what the shuffle window
 * holds. One thread at a time.
 *
 * @deprecated replaced by the stream service's own {@link ShareBatches}
 */
@Deprecated(forRemoval = true)
final class ReaderShareBatches implements ShareBatches {
    private final BatchReader reader;
    private final ShardRequest shard;
    private final BufferAllocator allocator;
    private final ArrayDeque<VectorSchemaRoot> ready = new ArrayDeque<>();
    private final BatchOrder order;
    private long read;
    private boolean exhausted;

    ReaderShareBatches(BatchReader reader, ShardRequest shard, BufferAllocator allocator) {
        this.reader = requireNonNull(reader, "reader is null");
        this.shard = requireNonNull(shard, "shard is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.order = new BatchOrder(shard, ready::add);
    }

    @Override
    public Optional<VectorSchemaRoot> next() {
        while (ready.isEmpty() && !exhausted) {
            if (!reader.loadNextBatch()) {
                exhausted = true;
                order.finish();
            } else if (read++ % shard.shards() == shard.shard()) {
                order.add(transfer(reader.root()));
            }
        }
        return Optional.ofNullable(ready.poll());
    }

    private VectorSchemaRoot transfer(VectorSchemaRoot root) {
        List<FieldVector> vectors = new ArrayList<>(root.getFieldVectors().size());
        try {
            for (FieldVector vector : root.getFieldVectors()) {
                TransferPair pair = vector.getTransferPair(allocator);
                pair.transfer();
                vectors.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException | Error e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(root.getSchema(), vectors, root.getRowCount());
    }

    @Override
    public void close() {
        try {
            order.close();
            ready.forEach(VectorSchemaRoot::close);
            ready.clear();
        } finally {
            reader.close();
        }
    }
}
