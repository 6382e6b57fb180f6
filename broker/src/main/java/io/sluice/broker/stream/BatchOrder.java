package io.sluice.broker.stream;

import io.sluice.broker.service.StreamService.ShardRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The order a shard's batches leave in. Without a seed: source order. With one: a shuffle buffer of
 * {@link #WINDOW} batches, drawn from by a generator seeded with the seed and the epoch, so that the
 * same seed, epoch and shard count give the same order every time, with memory bounded by the
 * window. Then the first {@code from} batches of that order are skipped, which is how a resumed
 * stream continues exactly where an earlier one stopped.
 *
 * <p>Owns every batch it holds: each is handed on to the sink (which then owns it) or closed.
 */
final class BatchOrder implements AutoCloseable {
    static final int WINDOW = 8;

    private final OptionalLong seed;
    private final SplittableRandom random;
    private final long skip;
    private final Consumer<VectorSchemaRoot> sink;
    private final List<VectorSchemaRoot> window = new ArrayList<>(WINDOW);
    private long emitted;

    BatchOrder(ShardRequest request, Consumer<VectorSchemaRoot> sink) {
        this.seed = request.seed();
        this.random = new SplittableRandom(seed.orElse(0) * 0x9E3779B97F4A7C15L + request.epoch() * 0xBF58476D1CE4E5B9L
                + request.shards());
        this.skip = request.from();
        this.sink = sink;
    }

    /** Takes ownership of {@code batch}. */
    void add(VectorSchemaRoot batch) {
        if (seed.isEmpty()) {
            emit(batch);
            return;
        }
        window.add(batch);
        if (window.size() == WINDOW) {
            emit(window.remove(random.nextInt(window.size())));
        }
    }

    /** Emits what the window still holds, in the seeded order. */
    void finish() {
        while (!window.isEmpty()) {
            emit(window.remove(random.nextInt(window.size())));
        }
    }

    private void emit(VectorSchemaRoot batch) {
        if (emitted++ < skip) {
            batch.close();
            return;
        }
        sink.accept(batch);
    }

    @Override
    public void close() {
        window.forEach(VectorSchemaRoot::close);
        window.clear();
    }
}
