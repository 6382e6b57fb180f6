package io.sluice.loader;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Which of the configured brokers a stream talks to, and where it goes when that one stops
 * answering. Shard {@code r} of a job starts on broker {@code r mod n}, so the ranks of one job
 * spread over the brokers; a lost broker hands its streams on to the next one in the list, round
 * robin, each rank to the broker after its own (so they spread again, rather than all landing on
 * the first one).
 *
 * <p>Any broker of one store can resume any stream: grants live in the store, and a stream's
 * batch order depends only on seed, epoch and shard count (decision 0009).
 *
 * <p>Not thread-safe: one stream's loader thread uses it (it is handed over when that thread starts).
 */
final class BrokerRotation {
    private final List<URI> brokers;
    private int current;

    /** Starts shard {@code shard} on broker {@code shard mod brokers.size()}. */
    BrokerRotation(List<URI> brokers, int shard) {
        Objects.requireNonNull(brokers, "brokers is null");
        if (brokers.isEmpty()) {
            throw new IllegalArgumentException("brokers must name at least one broker");
        }
        if (shard < 0) {
            throw new IllegalArgumentException("shard must be >= 0, was " + shard);
        }
        this.brokers = List.copyOf(brokers);
        this.current = shard % brokers.size();
    }

    /** The broker the stream talks to now. */
    URI current() {
        return brokers.get(current);
    }

    /** Whether there is another broker to move to. */
    boolean canMove() {
        return brokers.size() > 1;
    }

    /** Moves to the next broker, round robin, and returns it; with a single broker, stays. */
    URI moveOn() {
        current = (current + 1) % brokers.size();
        return current();
    }

    /**
     * Whether {@code failure} says the current broker itself is gone rather than one stream or
     * request of it failed: no connection to it (refused, timed out, unknown host), or a body that
     * broke off after which the broker did not answer the status lookup either
     * ({@link LoaderException#brokerSilent()}).
     */
    static boolean brokerLost(LoaderException failure) {
        Objects.requireNonNull(failure, "failure is null");
        return switch (failure.error()) {
            case "broker_unreachable" -> true;
            case "stream_broken", "stream_truncated" -> failure.brokerSilent();
            default -> false;
        };
    }
}
