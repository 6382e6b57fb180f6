package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decode stage on a thread of its own: reads a {@link ShareBatches} up to {@link #AHEAD}
 * batches ahead of the consumer, so that decoding the next batch overlaps enforcing and sending
 * this one.
 *
 * <p><b>Bound.</b> The decode thread takes a permit before each call to the source and the
 * consumer gives it back when it takes a batch, so at most {@link #AHEAD} batches are ever decoded
 * but not yet taken (plus the one the consumer holds).
 *
 * <p><b>Errors.</b> A {@link RuntimeException} (a {@code ConnectorException}) or {@link Error}
 * from the source ends decoding; the consumer receives the batches decoded before it, then the
 * same exception instance from {@link #next()}.
 *
 * <p><b>Threading.</b> {@link #next()} and {@link #close()} are the consumer's: one thread at a
 * time, like any {@link ShareBatches}. The wrapped source is called only by the decode thread
 * until that thread has ended, then closed by {@link #close()}.
 *
 * <p><b>Ownership.</b> Takes over the wrapped source. Every batch {@link #next()} returns is the
 * caller's to close; {@link #close()} closes every batch still queued and the source, and returns
 * only once the decode thread has ended. Closing does not interrupt a source call in progress (an
 * interrupt can close the channel a source reads from, or a database file it shares): it waits for
 * that one batch, then closes it.
 */
public final class DecodeAhead implements ShareBatches {
    /** The most batches decoded but not yet taken by the consumer. */
    public static final int AHEAD = 2;

    private static final Logger LOG = LoggerFactory.getLogger(DecodeAhead.class);

    /** What the decode thread hands over. */
    private sealed interface Item permits Batch, End, Failed { }

    private record Batch(VectorSchemaRoot root) implements Item { }

    private record End() implements Item { }

    private record Failed(Throwable cause) implements Item { }

    private final ShareBatches source;
    private final Semaphore permits = new Semaphore(AHEAD);
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Thread decoder;
    private volatile boolean closing;
    private Item last;
    private boolean closed;

    private DecodeAhead(ShareBatches source, ThreadFactory threads) {
        this.source = source;
        this.decoder = threads.newThread(this::decode);
        if (decoder == null) {
            throw new IllegalStateException("the thread factory made no decode thread");
        }
    }

    /**
     * Starts decoding {@code source} on a virtual thread named {@code decode:<name>}.
     * Takes over {@code source} (closed by {@link #close()}, or at once if the thread cannot start).
     */
    public static DecodeAhead start(ShareBatches source, String name) {
        requireNonNull(name, "name is null");
        return start(source, Thread.ofVirtual().name("decode:" + name).factory());
    }

    /** Like {@link #start(ShareBatches, String)}, with the decode thread made by {@code threads}. */
    public static DecodeAhead start(ShareBatches source, ThreadFactory threads) {
        requireNonNull(source, "source is null");
        requireNonNull(threads, "threads is null");
        try {
            DecodeAhead ahead = new DecodeAhead(source, threads);
            ahead.decoder.start();
            return ahead;
        } catch (RuntimeException | Error e) {
            try {
                source.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void decode() {
        try {
            while (true) {
                permits.acquire();
                if (closing) {
                    return;
                }
                Optional<VectorSchemaRoot> batch = source.next();
                if (batch.isEmpty()) {
                    queue.add(new End());
                    return;
                }
                // Queued even when closing meanwhile: close() drains the queue once this thread has ended.
                queue.add(new Batch(batch.get()));
            }
        } catch (InterruptedException e) {
            // Someone interrupted the decode thread itself: stop decoding, the consumer sees it as a failure.
            queue.add(new Failed(new IllegalStateException("the decode thread was interrupted", e)));
        } catch (RuntimeException | Error e) {
            queue.add(new Failed(e));
        }
    }

    /**
     * The next batch, decoded ahead, owned by the caller; or empty at the end.
     *
     * @throws Interrupted when the calling thread is interrupted while it waits (its interrupt
     *     flag is set again)
     * @throws RuntimeException the source's own exception, after the batches decoded before it
     */
    @Override
    public Optional<VectorSchemaRoot> next() {
        if (closed) {
            throw new IllegalStateException("the decode stage is closed");
        }
        Item item = last;
        if (item == null) {
            try {
                item = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Interrupted();
            }
        }
        return switch (item) {
            case Batch batch -> {
                permits.release();
                yield Optional.of(batch.root());
            }
            case End end -> {
                last = end;
                yield Optional.empty();
            }
            case Failed failed -> {
                last = failed;
                throw rethrow(failed.cause());
            }
        };
    }

    /**
     * Stops the decode thread, waits for it to end (also when the calling thread is interrupted:
     * its flag is set again afterwards), closes every batch still queued, then the source.
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        // Wakes the decode thread if it waits for a permit; it sees closing and ends.
        permits.release(AHEAD + 1);
        boolean interrupted = false;
        while (decoder.isAlive()) {
            try {
                decoder.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        RuntimeException failure = null;
        for (Item item; (item = queue.poll()) != null; ) {
            if (item instanceof Batch batch) {
                try {
                    batch.root().close();
                } catch (RuntimeException e) {
                    failure = collect(failure, e);
                }
            }
        }
        try {
            source.close();
        } catch (RuntimeException e) {
            failure = collect(failure, e);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            LOG.warn("closing the decode stage {} failed", decoder.getName(), failure);
            throw failure;
        }
    }

    private static RuntimeException collect(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        throw new IllegalStateException("decoding failed", cause);
    }

    /** The consumer's thread was interrupted while it waited for a batch. */
    public static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted() {
            super("interrupted while waiting for the next batch", null, false, false);
        }
    }
}
