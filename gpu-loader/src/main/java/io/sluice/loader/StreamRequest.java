package io.sluice.loader;

/**
 * Which part of a grant's data to stream: shard {@code shard} of {@code shards} for training epoch
 * {@code epoch} (the broker shuffles per epoch and keeps shards disjoint).
 *
 * @param shard the zero-based shard index, {@code 0 <= shard < shards}
 * @param shards the number of shards, at least 1
 * @param epoch the training epoch, at least 0
 */
public record StreamRequest(int shard, int shards, int epoch) {

    public StreamRequest {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, was " + shards);
        }
        if (shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard must be >= 0 and < shards (" + shards + "), was " + shard);
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
    }

    /** The whole grant in one stream: shard 0 of 1, epoch 0. */
    public static StreamRequest whole() {
        return new StreamRequest(0, 1, 0);
    }
}
