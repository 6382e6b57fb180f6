package io.sluice.loader;

import java.time.Duration;
import java.util.Objects;

/**
 * How often and how patiently a {@link TrainingStream} reconnects when its connection drops or the
 * broker is briefly unavailable. Retries count consecutive failures without progress: a batch
 * received after a reconnect resets the count.
 *
 * @param maxRetries reconnects allowed after one failure before the stream fails, at least 0
 * @param initialBackoff the wait before the first reconnect; doubled for each further one
 * @param maxBackoff the longest wait between two reconnects
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff) {

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff is null");
        Objects.requireNonNull(maxBackoff, "maxBackoff is null");
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0, was " + maxRetries);
        }
        if (initialBackoff.isNegative()) {
            throw new IllegalArgumentException("initialBackoff must be >= 0, was " + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must be >= initialBackoff (" + initialBackoff + "), was "
                    + maxBackoff);
        }
    }

    /** 3 retries, waiting 250 ms, 500 ms, 1 s (at most 4 s). */
    public static RetryPolicy defaults() {
        return new RetryPolicy(3, Duration.ofMillis(250), Duration.ofSeconds(4));
    }

    /** No retry: the first failure fails the stream. */
    public static RetryPolicy none() {
        return new RetryPolicy(0, Duration.ZERO, Duration.ZERO);
    }

    /** The wait before reconnect number {@code retry} (1-based). */
    public Duration backoff(int retry) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry must be >= 1, was " + retry);
        }
        Duration wait = initialBackoff;
        for (int i = 1; i < retry && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }
}
