package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import java.util.OptionalLong;

/**
 * Which part of the data a stream reads, in which order: rank {@code shard} of {@code shards}.
 *
 * @param seed when present, the order is shuffled by seed and epoch (the same order for the same
 *     seed, epoch and shard count, on any broker); absent = source order
 * @param from how many batches of that order to skip: a resumed stream continues exactly where an
 *     earlier one stopped. Every source batch of the share counts, also one the policy leaves empty
 *     (it is sent with zero rows)
 */
public record ShardRequest(int shard, int shards, int epoch, OptionalLong seed, long from) {
    public ShardRequest {
        if (shards < 1) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "shards must be >= 1, was " + shards);
        }
        if (shard < 0 || shard >= shards) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "shard must be in 0.." + (shards - 1) + ", was " + shard);
        }
        if (epoch < 0) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "epoch must be >= 0, was " + epoch);
        }
        requireNonNull(seed, "seed is null");
        if (from < 0) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "from must be >= 0, was " + from);
        }
    }

    public ShardRequest(int shard, int shards, int epoch) {
        this(shard, shards, epoch, OptionalLong.empty(), 0);
    }
}
