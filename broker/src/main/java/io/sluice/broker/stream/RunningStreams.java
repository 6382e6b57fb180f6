package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The streams this broker is serving, so that a shutdown can refuse new ones, wait for the running
 * ones to finish and stop the rest.
 *
 * <p>Lifecycle of one stream: {@link #admit()} before it is opened (refused once the broker
 * {@link #drain() drains}), {@link Ticket#attach} once its streamer exists, {@link Ticket#close()}
 * when the streamer's {@code run} has returned (its end is then on record) or when it was never
 * started. Thread-safe; the waits block, so call them from a thread that may block.
 */
public final class RunningStreams {
    private final Set<Ticket> tickets = new HashSet<>();
    private boolean draining;
    private boolean stopping;

    /** A place for one stream; empty once the broker drains. The caller must close it. */
    public synchronized Optional<Ticket> admit() {
        if (draining) {
            return Optional.empty();
        }
        Ticket ticket = new Ticket();
        tickets.add(ticket);
        return Optional.of(ticket);
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
        private ArrowHttpStreamer streamer;

        private Ticket() {}

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
                    RunningStreams.this.notifyAll();
                }
            }
        }
    }
}
