package io.sluice.loader;

/**
 * A batch a {@link TrainingStream} delivers: on the GPU ({@link DeviceBatch}) when the loader has a
 * device, else in pinned host memory ({@link HostBatch}).
 *
 * <p><b>Ownership:</b> the caller owns the batch and must close it; closing returns its memory to
 * the loader's pools.
 */
public sealed interface LoadedBatch extends AutoCloseable permits HostBatch, DeviceBatch {

    int rowCount();

    /** The batch's zero-based index in its shard's order for the epoch (what a checkpoint counts). */
    long position();

    /** Releases the batch's memory. Idempotent. */
    @Override
    void close();
}
