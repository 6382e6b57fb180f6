package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.HeartbeatStore;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness across the brokers of one store: this broker's heartbeat, and the end of the streams of
 * brokers that died. Every {@code interval} it writes its heartbeat, then looks for other brokers
 * whose heartbeat is older than {@code peerTimeout} and that still have streams recorded as
 * running, and closes those streams as {@code stream.interrupted}
 * ({@link StreamService#interruptStreamsOf}). Without it, a stream of a broker killed and never
 * started again would have no end in the log.
 *
 * <p>Several live brokers may sweep the same dead broker at once: each stream still gets one end,
 * because its record and its status change commit together under the audit log's lock and only
 * while the stream is running.
 *
 * <p><b>Lifecycle:</b> {@link #start()} writes the first heartbeat on the caller's thread (so a store
 * that cannot take it fails the broker's start) and then runs the rounds on one platform thread of
 * its own; {@link #close()} stops and joins that thread. A round that fails (the store briefly
 * unavailable) is logged and the next one runs as planned.
 */
public final class BrokerLiveness implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerLiveness.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final HeartbeatStore heartbeats;
    private final StreamService streams;
    private final String brokerId;
    private final Duration peerTimeout;
    private final Duration interval;
    private final ScheduledExecutorService timer;

    public BrokerLiveness(HeartbeatStore heartbeats, StreamService streams, String brokerId, Duration peerTimeout,
            Duration interval) {
        this.heartbeats = requireNonNull(heartbeats, "heartbeats is null");
        this.streams = requireNonNull(streams, "streams is null");
        this.brokerId = requireNonNull(brokerId, "brokerId is null");
        this.peerTimeout = requireNonNull(peerTimeout, "peerTimeout is null");
        this.interval = requireNonNull(interval, "interval is null");
        if (interval.isNegative() || interval.isZero() || interval.compareTo(peerTimeout) >= 0) {
            throw new IllegalArgumentException("interval must be > 0 and shorter than the peer timeout ("
                    + peerTimeout.toMillis() + " ms), was " + interval.toMillis() + " ms");
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sluice-liveness").daemon().factory());
    }

    /** Writes the first heartbeat, then beats and sweeps every interval. Blocking for the first write. */
    public void start() {
        heartbeats.starting(brokerId);
        timer.scheduleWithFixedDelay(this::round, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One round: the heartbeat, then the sweep. Returns how many streams of silent brokers this
     * round closed. Blocking; the timer's thread calls it, tests may too.
     */
    int beatAndSweep() {
        heartbeats.beat(brokerId);
        int closed = 0;
        for (HeartbeatStore.SilentBroker silent : heartbeats.silentWithRunningStreams(brokerId, peerTimeout)) {
            int interrupted = streams.interruptStreamsOf(silent, peerTimeout);
            if (interrupted > 0) {
                LOG.warn("broker {} has been silent for {} s (peer timeout {} s): closed {} of its running stream(s)"
                        + " as interrupted", silent.brokerId(), silent.silentFor().toMillis() / 1000.0,
                        peerTimeout.toMillis() / 1000.0, interrupted);
            }
            closed += interrupted;
        }
        return closed;
    }

    private void round() {
        try {
            beatAndSweep();
        } catch (RuntimeException | Error e) {
            // A store that is briefly away: the next round tries again. Peers see the gap in the beats. An Error
            // is caught too: escaping, it would cancel every later round, and peers would sweep a live broker.
            LOG.error("broker {}: heartbeat or sweep of silent brokers failed", brokerId, e);
        }
    }

    /** Stops the rounds and waits for one in progress to end. Idempotent. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("the liveness round did not end within {} s; interrupting it", CLOSE_WAIT.toSeconds());
                timer.shutdownNow();
                timer.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
