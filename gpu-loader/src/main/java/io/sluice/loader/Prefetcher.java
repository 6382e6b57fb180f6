package io.sluice.loader;

import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Consumer;

/**
 * The prefetch stage of a {@link TrainingStream}: one thread that takes items from a
 * {@link Source} and keeps up to {@code depth} of them ready for one consumer, so that receiving
 * (and copying) item {@code n+1} overlaps the consumer's work on item {@code n}.
 *
 * <p>Every item is owned by exactly one party at a time: the source thread until it is queued, the
 * queue until the consumer takes it, then the consumer. An item nobody will take — queued, peeked,
 * or produced while the prefetcher was closing — is handed to the {@code discard} action exactly
 * once, always on the thread that calls {@link #close()}.
 *
 * <p>The end of the source and a failure travel through the queue behind the items before them, so
 * the consumer sees every item produced before a failure, then the failure (once), then no more.
 *
 * <p><b>Threading:</b> one consumer thread calls {@link #hasNext()}, {@link #next()} and
 * {@link #close()}; {@link #waited()} may be read from any thread.
 *
 * @param <T> what is prefetched (a received batch, with its copy in flight)
 */
final class Prefetcher<T> implements AutoCloseable {

    /** Where items come from; called on the prefetch thread only. */
    @FunctionalInterface
    interface Source<T> {
        /**
         * The next item, or {@code null} at the end.
         *
         * @throws InterruptedException when {@link Prefetcher#close()} interrupted the wait
         * @throws RuntimeException a failure, handed to the consumer as it is
         */
        T next() throws InterruptedException;
    }

    private sealed interface Item<T> permits Ready, End, Failed {
    }

    private record Ready<T>(T value) implements Item<T> {
    }

    private record End<T>() implements Item<T> {
    }

    private record Failed<T>(RuntimeException error) implements Item<T> {
    }

    private final Source<T> source;
    private final Consumer<? super T> discard;
    private final ArrayBlockingQueue<Item<T>> queue;
    private final Thread thread;
    private volatile boolean cancelled;
    /**
     * An item the prefetch thread held when it was stopped, left for {@link #close()} to discard
     * after the join (which makes it visible): discarding may wait on a device, and the stopped
     * thread's interrupt would cut that wait short.
     */
    private T orphan;

    // consumer thread
    private T peeked;
    private boolean finished;
    private boolean closed;
    private volatile long waitedNanos;

    /**
     * @param threadName the prefetch thread's name (it shows in thread dumps)
     * @param depth how many items to keep ready, at least 1
     * @param discard releases an item the consumer will not take; must not throw
     */
    Prefetcher(String threadName, int depth, Source<T> source, Consumer<? super T> discard) {
        Objects.requireNonNull(threadName, "threadName is null");
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be >= 1, was " + depth);
        }
        this.source = Objects.requireNonNull(source, "source is null");
        this.discard = Objects.requireNonNull(discard, "discard is null");
        this.queue = new ArrayBlockingQueue<>(depth);
        this.thread = Thread.ofPlatform().daemon().name(threadName).unstarted(this::run);
    }

    /** Starts the prefetch thread; once. */
    void start() {
        thread.start();
    }

    /**
     * Whether another item follows; waits for it if it is not ready yet (see {@link #waited()}).
     * {@code false} at the end, after a failure was thrown, and after {@link #close()}.
     *
     * @throws RuntimeException the source's failure, once
     * @throws LoaderException {@code interrupted} when the consumer thread is interrupted while waiting
     */
    boolean hasNext() {
        if (peeked != null) {
            return true;
        }
        if (finished || closed) {
            return false;
        }
        long started = System.nanoTime();
        Item<T> item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while waiting on " + thread.getName(), e);
        } finally {
            waitedNanos = waitedNanos + (System.nanoTime() - started);
        }
        switch (item) {
            case End<T> _ -> {
                finished = true;
                return false;
            }
            case Failed<T>(RuntimeException error) -> {
                finished = true;
                throw error;
            }
            case Ready<T>(T value) -> {
                peeked = value;
                return true;
            }
        }
    }

    /**
     * The next item, which the caller then owns.
     *
     * @throws NoSuchElementException when {@link #hasNext()} is {@code false}
     */
    T next() {
        if (!hasNext()) {
            throw new NoSuchElementException(thread.getName() + " has no more items");
        }
        T value = peeked;
        peeked = null;
        return value;
    }

    /** How long the consumer has waited in {@link #hasNext()} so far. */
    Duration waited() {
        return Duration.ofNanos(waitedNanos);
    }

    /**
     * Stops the prefetch thread (interrupting a wait in the source), waits for it to end, and
     * discards every item the consumer did not take. Items already taken stay the consumer's.
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelled = true;
        thread.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            if (orphan != null) {
                T value = orphan;
                orphan = null;
                discard.accept(value);
            }
            if (peeked != null) {
                T value = peeked;
                peeked = null;
                discard.accept(value);
            }
            for (Item<T> item = queue.poll(); item != null; item = queue.poll()) {
                if (item instanceof Ready<T>(T value)) {
                    discard.accept(value);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the prefetch thread ----

    private void run() {
        try {
            Item<T> last = produce();
            if (!cancelled) {
                queue.put(last);
            }
        } catch (InterruptedException e) {
            // close() stops the thread
        }
    }

    /**
     * Queues items until the source ends or fails; returns that end or failure. {@link #close()}
     * sets {@code cancelled} before it interrupts, so checking it after every call into the source
     * catches a source that swallowed the interrupt: nothing is then put into a queue that nobody
     * empties any more.
     */
    private Item<T> produce() throws InterruptedException {
        try {
            while (true) {
                T value = source.next();
                if (cancelled) {
                    orphan = value;
                    throw new InterruptedException("closed");
                }
                if (value == null) {
                    return new End<>();
                }
                try {
                    queue.put(new Ready<>(value));
                } catch (InterruptedException e) {
                    orphan = value;
                    throw e;
                }
            }
        } catch (RuntimeException | Error e) {
            if (cancelled) {
                // A failure close() caused (an interrupted read) is nobody's news.
                throw new InterruptedException("closed");
            }
            // An Error too reaches the consumer, who would otherwise wait for an item forever.
            return new Failed<>(e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException(thread.getName() + " failed: " + e, e));
        }
    }
}
