package io.sluice.loader;

import java.net.URI;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retry and failover decisions of a {@link TrainingStream}, apart from its threads: which
 * failures are worth another connection, when the retries are used up (and the checkpoint to name
 * then), and when to move on to the next broker.
 */
final class Reconnects {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingStream.class);

    private Reconnects() {
    }

    /**
     * Moves {@code brokers} on when {@code failure} says the broker in use is gone (see
     * {@link BrokerRotation#brokerLost}), and says so: the next connection resumes at
     * {@code position} there.
     */
    static void moveIfLost(BrokerRotation brokers, LoaderException failure, String grantId, Checkpoint start,
            long position) {
        if (!brokers.canMove() || !BrokerRotation.brokerLost(failure)) {
            return;
        }
        URI lost = brokers.current();
        URI next = brokers.moveOn();
        LOG.warn("broker {} does not answer; the stream of grant {} (shard {} of {}, epoch {}) moves to broker {}"
                + " and resumes there at batch {}", lost, grantId, start.shard(), start.shards(), start.epoch(), next,
                position);
    }

    /** Null to retry; else the exception to fail with. */
    static LoaderException giveUp(LoaderException e, int failures, RetryPolicy retry, String grantId,
            Checkpoint start, long position) {
        if (!retryable(e)) {
            return e;
        }
        if (failures <= retry.maxRetries()) {
            return null;
        }
        if (retry.maxRetries() == 0) {
            return e;
        }
        Checkpoint at = start.advance(position - start.position());
        return new LoaderException(LoaderErrorCode.RETRIES_EXHAUSTED, "stream of grant " + grantId + " (shard "
                + start.shard() + " of " + start.shards() + ", epoch " + start.epoch() + ") failed " + failures
                + " times in a row before batch " + position + " and gave up after " + retry.maxRetries()
                + " retries; resume later from checkpoint " + at.token() + ". Last failure: " + e.getMessage(), e);
    }

    /** Dropped or cut connections, an unreachable broker, and overload or gateway answers are worth retrying. */
    static boolean retryable(LoaderException e) {
        return switch (e.error()) {
            case "stream_broken", "stream_truncated", "broker_unreachable" -> true;
            default -> e.httpStatus() == 429 || e.httpStatus() == 502 || e.httpStatus() == 503 || e.httpStatus() == 504;
        };
    }
}
