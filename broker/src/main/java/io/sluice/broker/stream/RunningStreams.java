package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The streams this broker is serving: so that a shutdown can refuse new ones, wait for the running
 * ones to finish and stop the rest; and so that neither the broker nor one consumer runs more
 * streams than its limit (each stream holds memory until it ends).
 *
 * <p>Lifecycle of one stream: {@link #admit} before it is opened (refused once the broker
 * {@link #drain() drains}, or past a limit), {@link Ticket#attach} once its streamer exists,
 * {@link Ticket#close()} when the streamer's {@code run} has returned (its end is then on record)
 * or when it was never started. Thread-safe; the waits block, so call them from a thread that may
 * block.
 */
public final class RunningStreams {
    private final Set<Ticket> tickets = new HashSet<>();
    private final Map<String, Integer> perConsumer = new HashMap<>();
    private final int maxStreams;
    private final int maxPerConsumer;
    private boolean draining;
    private boolean stopping;

    /** What {@link #admit} decided. */
    public sealed interface Admission permits Admitted, Refused { }

    /** A place for one stream; the caller must close its ticket. */
    public record Admitted(Ticket ticket) implements Admission { }

    /** No place: why, in words a client can act on. */
    public record Refused(Reason reason, String message) implements Admission { }

    /** Why a stream was not admitted. */
    public enum Reason { DRAINING, BROKER_FULL, CONSUMER_FULL }

    /** No limits: every stream is admitted until the broker drains. */
    public RunningStreams() {
        this(Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * @param maxStreams streams running at once on this broker
     * @param maxPerConsumer streams running at once for one consumer
     */
    public RunningStreams(int maxStreams, int maxPerConsumer) {
        if (maxStreams < 1 || maxPerConsumer < 1) {
            throw new IllegalArgumentException("limits must be >= 1, were " + maxStreams + " and " + maxPerConsumer);
        }
        this.maxStreams = maxStreams;
        this.maxPerConsumer = maxPerConsumer;
    }

    /**
     * A place for one stream of {@code consumer} (a key naming one consumer, e.g. subject and
     * organisation), or the reason there is none.
     */
    public synchronized Admission admit(String consumer) {
        requireNonNull(consumer, "consumer is null");
        if (draining) {
            return new Refused(Reason.DRAINING, "the broker is shutting down");
        }
        if (tickets.size() >= maxStreams) {
            return new Refused(Reason.BROKER_FULL, "the broker is serving its limit of " + maxStreams
                    + " streams; try again when one has ended");
        }
        int running = perConsumer.getOrDefault(consumer, 0);
        if (running >= maxPerConsumer) {
            return new Refused(Reason.CONSUMER_FULL, "you have " + running + " streams running on this broker, its"
                    + " limit per consumer; end one (or wait for one to end) before opening another");
        }
        Ticket ticket = new Ticket(consumer);
        tickets.add(ticket);
        perConsumer.merge(consumer, 1, Integer::sum);
        return new Admitted(ticket);
    }

    /** From now on, {@link #admit()} refuses. */
    public synchronized void drain() {
        draining = true;
    }

    public synchronized boolean draining() {
        return draining;
    }

    /** Streams admitted and not yet ended. */
    public synchronized int size() {
        return tickets.size();
    }

    /** Waits until every admitted stream has ended; false when {@code timeout} passed first. */
    public synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!tickets.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /**
     * Asks every running stream to stop before its next batch (and stops any attached later): each
     * records {@code stream.aborted} with what it sent, then its thread ends. Returns how many were
     * running.
     */
    public int stopAll() {
        List<ArrowHttpStreamer> streamers;
        int running;
        synchronized (this) {
            stopping = true;
            running = tickets.size();
            streamers = tickets.stream().map(t -> t.streamer).filter(s -> s != null).toList();
        }
        streamers.forEach(ArrowHttpStreamer::stop);
        return running;
    }

    /** One admitted stream. */
    public final class Ticket implements AutoCloseable {
        private final String consumer;
        private ArrowHttpStreamer streamer;

        private Ticket(String consumer) {
            this.consumer = consumer;
        }

        /** Names the streamer a shutdown stops; it is stopped at once when the shutdown already began. */
        public void attach(ArrowHttpStreamer newStreamer) {
            requireNonNull(newStreamer, "newStreamer is null");
            boolean stopNow;
            synchronized (RunningStreams.this) {
                streamer = newStreamer;
                stopNow = stopping;
            }
            if (stopNow) {
                newStreamer.stop();
            }
        }

        /** The stream has ended (or never started). Idempotent. */
        @Override
        public void close() {
            synchronized (RunningStreams.this) {
                if (tickets.remove(this)) {
                    perConsumer.computeIfPresent(consumer, (key, count) -> count > 1 ? count - 1 : null);
                    RunningStreams.this.notifyAll();
                }
            }
        }
    }
}
