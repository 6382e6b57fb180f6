package io.sluice.loader;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-and-retry stage of a {@link TrainingStream}: the batches of one shard of one
 * epoch of a grant, in order, read over as many connections as it takes. A connection that drops
 * (or a broker answering 429/502/503/504) is retried with backoff from the last fully received
 * batch ({@code from=} that position), so no batch is repeated or skipped; when the broker in use
 * stops answering the next connection goes to the next broker ({@link Reconnects},
 * {@link BrokerRotation}). Every resumed connection must bring the schema the first one did.
 *
 * <p>Batches the policy left without rows still hold a position: they are counted and passed over,
 * not returned.
 *
 * <p><b>Threading:</b> {@link #open()} and {@link #next()} are called by one thread at a time (the
 * caller's, then the prefetch thread); {@link #retries()}, {@link #bytesReceived()} and
 * {@link #connections()} may be read from any thread.
 */
final class ResumingBatches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingStream.class);

    /** Opens one connection: the stream of the grant at {@code at}, on {@code broker}. */
    @FunctionalInterface
    interface Connector {
        GrantStream open(URI broker, Checkpoint at);
    }

    /** Waits between retries; a test may record instead. */
    @FunctionalInterface
    interface Backoff {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final String grantId;
    private final Checkpoint start;
    private final RetryPolicy retry;
    private final BrokerRotation brokers;
    private final Connector connector;
    private final Backoff backoff;
    private final BrokerConnections connections = new BrokerConnections();

    private Schema schema; // of the first connection
    private long received; // the position after the last batch received
    private int failures; // in a row: reset by every batch received
    private volatile int retries;

    ResumingBatches(String grantId, Checkpoint start, RetryPolicy retry, BrokerRotation brokers, Connector connector,
            Backoff backoff) {
        this.grantId = Objects.requireNonNull(grantId, "grantId is null");
        this.start = Objects.requireNonNull(start, "start is null");
        this.retry = Objects.requireNonNull(retry, "retry is null");
        this.brokers = Objects.requireNonNull(brokers, "brokers is null");
        this.connector = Objects.requireNonNull(connector, "connector is null");
        this.backoff = Objects.requireNonNull(backoff, "backoff is null");
        this.received = start.position();
    }

    /**
     * Opens the first connection, retrying as for any later one, and returns its schema.
     *
     * @throws LoaderException when the broker refuses, or the retries are used up
     * @throws InterruptedException while waiting to retry
     */
    Schema open() throws InterruptedException {
        connected();
        return schema;
    }

    /**
     * The next batch with rows, which the caller then owns, or {@code null} at the end of the shard.
     *
     * @throws LoaderException when a failure is not worth retrying, or the retries are used up
     *     ({@code retries_exhausted}, naming the checkpoint to resume from)
     * @throws InterruptedException while waiting to retry
     */
    HostBatch next() throws InterruptedException {
        while (true) {
            GrantStream current = connected();
            HostBatch batch;
            try {
                if (!current.hasNext()) {
                    connections.end(Optional.empty());
                    return null;
                }
                batch = current.next();
            } catch (LoaderException e) {
                failed(e);
                continue;
            }
            failures = 0;
            received++;
            if (batch.rowCount() > 0) {
                return batch;
            }
            batch.close();
        }
    }

    /** The position after the last batch received. */
    long received() {
        return received;
    }

    /** Reconnects after a connection that had opened dropped; retries of the first connection do not count. */
    int retries() {
        return retries;
    }

    /** Body bytes received over every connection so far. */
    long bytesReceived() {
        return connections.bytesReceived();
    }

    /** The connections read so far, oldest first. */
    List<StreamSummary> connections() {
        return connections.summaries();
    }

    /** Drops the connection being read, if any. */
    @Override
    public void close() {
        connections.end(Optional.of("closed"));
    }

    /** The connection being read, or a new one at {@link #received}, retrying until one answers. */
    private GrantStream connected() throws InterruptedException {
        while (connections.current() == null) {
            try {
                connections.open(connect());
            } catch (LoaderException e) {
                failed(e);
            }
        }
        return connections.current();
    }

    private GrantStream connect() {
        URI broker = brokers.current();
        GrantStream next = connector.open(broker, start.advance(received - start.position()));
        if (schema == null) {
            schema = next.schema();
        } else if (!next.schema().equals(schema)) {
            next.close();
            throw new LoaderException(LoaderErrorCode.STREAM_INVALID, "the broker resumed the stream of grant "
                    + grantId + " at batch " + received + " with a different schema: " + next.schema()
                    + ", expected " + schema, null);
        } else {
            LOG.info("resumed the stream of grant {} at batch {} as stream {} on {}", grantId, received,
                    next.streamId(), next.broker());
        }
        return next;
    }

    /** Ends the connection, then throws when giving up, or waits to retry. */
    private void failed(LoaderException e) throws InterruptedException {
        connections.end(Optional.of(e.getMessage()));
        failures++;
        LoaderException giveUp = Reconnects.giveUp(e, failures, retry, grantId, start, received);
        if (giveUp != null) {
            throw giveUp;
        }
        if (schema != null) {
            retries = retries + 1;
        }
        Reconnects.moveIfLost(brokers, e, grantId, start, received);
        Duration wait = retry.backoff(failures);
        LOG.warn("stream of grant {} failed before batch {} ({}); reconnecting from batch {} on {} in {} ms "
                + "(retry {} of {})", grantId, received, e.getMessage(), received, brokers.current(), wait.toMillis(),
                failures, retry.maxRetries());
        backoff.sleep(wait);
    }
}
