package io.sluice.broker.metrics;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.stream.StreamOutcome;

/**
 * One stream's share of the stream metrics: it is told the stream's running totals as they are
 * recorded and adds only what grew since the last time, so the broker's rows and bytes counters
 * move while a long stream runs rather than all at its end, and count each byte once.
 *
 * <p>Thread-safe; {@link #ended} counts the first end only, so a retried end record is not
 * counted twice.
 */
public final class StreamMeter {
    private final BrokerMetrics metrics;
    private final long openedNanos;
    private long rows;
    private long bytes;
    private boolean ended;

    StreamMeter(BrokerMetrics metrics, long openedNanos) {
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.openedNanos = openedNanos;
    }

    /** The stream's totals so far ({@code RUNNING} progress): counts what grew. Ignored after the end. */
    public void progress(StreamOutcome totals) {
        requireNonNull(totals, "totals is null");
        synchronized (this) {
            if (!ended) {
                count(totals);
            }
        }
    }

    /** The stream ended: counts the rest of what it sent, its outcome and its duration. Once. */
    public void ended(StreamOutcome outcome) {
        requireNonNull(outcome, "outcome is null");
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            count(outcome);
        }
        metrics.ended(outcome.status(), outcome.failure(), System.nanoTime() - openedNanos);
    }

    private void count(StreamOutcome totals) {
        long moreRows = Math.max(0, totals.rows() - rows);
        long moreBytes = Math.max(0, totals.bytes() - bytes);
        rows = Math.max(rows, totals.rows());
        bytes = Math.max(bytes, totals.bytes());
        if (moreRows > 0 || moreBytes > 0) {
            metrics.sent(moreRows, moreBytes);
        }
    }
}
