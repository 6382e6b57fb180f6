package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The prefetch stage alone: a counting source, a consumer in the test thread, no broker. */
class PrefetcherTest {

    private static final Duration BOUND = Duration.ofSeconds(20);

    /** Counts what it produced and what was discarded, failing after {@code failAfter} items if asked. */
    private static final class CountingSource implements Prefetcher.Source<Integer> {
        final AtomicInteger produced = new AtomicInteger();
        final List<Integer> discarded = new CopyOnWriteArrayList<>();
        private final int items;
        private final RuntimeException failure;

        CountingSource(int items, RuntimeException failure) {
            this.items = items;
            this.failure = failure;
        }

        @Override
        public Integer next() {
            if (produced.get() == items) {
                if (failure != null) {
                    throw failure;
                }
                return null;
            }
            return produced.getAndIncrement();
        }

        /**
         * Waits until the prefetch thread has produced at least {@code atLeast} items and is parked
         * (on a full queue), then says how many it produced.
         */
        int awaitParked(int atLeast) throws InterruptedException {
            awaitWaiting(() -> produced.get() < atLeast ? null : Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("test-prefetch")).findFirst().orElse(null));
            return produced.get();
        }
    }

    /** Polls until the thread {@code which} finds is parked ({@code WAITING}); fails after {@link #BOUND}. */
    private static void awaitWaiting(java.util.function.Supplier<Thread> which) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            Thread thread = which.get();
            if (thread != null && thread.getState() == Thread.State.WAITING) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the thread did not park within " + BOUND + ": " + thread);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void deliversEveryItemInOrderThenEnds() {
        CountingSource source = new CountingSource(50, null);
        List<Integer> taken = new ArrayList<>();
        try (Prefetcher<Integer> prefetcher = started(2, source)) {
            assertTimeoutPreemptively(BOUND, () -> {
                while (prefetcher.hasNext()) {
                    taken.add(prefetcher.next());
                }
            });
            assertThat(prefetcher.hasNext()).isFalse();
            assertThatThrownBy(prefetcher::next).isInstanceOf(NoSuchElementException.class);
        }
        assertThat(taken).hasSize(50).isSorted().doesNotHaveDuplicates();
        assertThat(source.discarded).isEmpty();
    }

    @Test
    void keepsDepthItemsReadyAndOneOnItsWayNoMore() throws InterruptedException {
        CountingSource source = new CountingSource(100, null);
        try (Prefetcher<Integer> prefetcher = started(3, source)) {
            assertThat(source.awaitParked(1)).as("3 queued and 1 waiting for room").isEqualTo(4);

            assertThat(prefetcher.next()).isZero();
            assertThat(source.awaitParked(5)).as("one taken, one more made").isEqualTo(5);
        }
    }

    @Test
    void aFailureBehindAFullQueueReachesTheConsumerAfterTheItemsBeforeIt() throws InterruptedException {
        LoaderException broken = new LoaderException(LoaderErrorCode.STREAM_BROKEN, "connection reset", null);
        CountingSource source = new CountingSource(3, broken);
        List<Integer> taken = new ArrayList<>();
        try (Prefetcher<Integer> prefetcher = started(3, source)) {
            source.awaitParked(1); // the queue is full and the failure waits behind it

            LoaderException e = assertTimeoutPreemptively(BOUND, () -> catchThrowableOfType(LoaderException.class, () -> {
                while (prefetcher.hasNext()) {
                    taken.add(prefetcher.next());
                }
            }));

            assertThat(e).isSameAs(broken);
            assertThat(prefetcher.hasNext()).as("the failure is thrown once").isFalse();
        }
        assertThat(taken).containsExactly(0, 1, 2);
    }

    @Test
    void closeDiscardsEveryItemNotTakenExactlyOnce() throws InterruptedException {
        CountingSource source = new CountingSource(100, null);
        List<Integer> taken = new ArrayList<>();
        Prefetcher<Integer> prefetcher = started(4, source, source.discarded);
        taken.add(prefetcher.next());
        taken.add(prefetcher.next());
        assertThat(prefetcher.hasNext()).isTrue(); // one more peeked, not taken
        source.awaitParked(1);

        prefetcher.close();
        prefetcher.close();

        List<Integer> accounted = new ArrayList<>(taken);
        accounted.addAll(source.discarded);
        assertThat(accounted).as("every item produced is either taken or discarded, once")
                .doesNotHaveDuplicates().hasSize(source.produced.get());
        assertThat(source.discarded).contains(2); // the peeked one
        assertThat(prefetcher.hasNext()).isFalse();
    }

    @Test
    void closeStopsASourceThatIsWaitingAndDiscardsWhatItReturnsThen() {
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        List<Integer> discarded = new CopyOnWriteArrayList<>();
        Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch", 2, () -> {
            if (calls.incrementAndGet() == 1) {
                return 1;
            }
            try {
                never.await();
            } catch (InterruptedException e) {
                return 2; // a source that answers an interrupt with one more item
            }
            return null;
        }, discarded::add);
        prefetcher.start();
        assertThat(prefetcher.next()).isEqualTo(1);

        assertTimeoutPreemptively(BOUND, prefetcher::close);

        assertThat(discarded).containsExactly(2);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("test-prefetch"));
    }

    @Test
    void aFailureCausedByClosingIsNotReported() {
        CountDownLatch waiting = new CountDownLatch(1);
        Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch-failing", 2, () -> {
            waiting.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                throw new LoaderException(LoaderErrorCode.INTERRUPTED, "read interrupted", e);
            }
            return null;
        }, _ -> {
        });
        prefetcher.start();
        assertTimeoutPreemptively(BOUND, () -> {
            waiting.await();
            prefetcher.close();
        });

        assertThat(prefetcher.hasNext()).isFalse();
    }

    @Test
    void anInterruptedConsumerGetsAnInterruptedFailureAndKeepsItsInterrupt() throws InterruptedException {
        CountDownLatch never = new CountDownLatch(1);
        try (Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch-slow", 1, () -> {
            never.await();
            return null;
        }, _ -> {
        })) {
            prefetcher.start();
            Thread.currentThread().interrupt();

            LoaderException e = catchThrowableOfType(LoaderException.class, prefetcher::hasNext);

            assertThat(e.error()).isEqualTo("interrupted");
            assertThat(Thread.interrupted()).isTrue();
        }
    }

    @Test
    void countsTheTimeTheConsumerWaited() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Thread consumer = Thread.currentThread();
        try (Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch-late", 1, () -> {
            if (calls.incrementAndGet() > 1) {
                return null;
            }
            release.await();
            return 1;
        }, _ -> {
        })) {
            prefetcher.start();
            // Once the consumer waits, it waits at least another 100 ms before the item comes.
            Thread.ofVirtual().start(() -> {
                try {
                    awaitWaiting(() -> consumer);
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    release.countDown();
                }
            });
            long started = System.nanoTime();
            assertThat(prefetcher.next()).isEqualTo(1);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

            assertThat(prefetcher.waited()).isBetween(Duration.ofMillis(100), elapsed);
        }
    }

    @Test
    void closeDoesNotHangOnASourceThatSwallowsTheInterruptWhileTheQueueIsFull() {
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        List<Integer> discarded = new CopyOnWriteArrayList<>();
        List<Thread> discardedOn = new CopyOnWriteArrayList<>();
        Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch-stubborn", 1, () -> {
            int call = calls.incrementAndGet();
            if (call == 1) {
                return 1; // fills the queue of one
            }
            try {
                never.await();
            } catch (InterruptedException e) {
                return call; // swallows the interrupt and answers with one more item
            }
            return null;
        }, value -> {
            discarded.add(value);
            discardedOn.add(Thread.currentThread());
        });
        prefetcher.start();
        assertTimeoutPreemptively(BOUND, () -> awaitWaiting(() -> Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("test-prefetch-stubborn")).findFirst().orElse(null)));

        Thread closing = assertTimeoutPreemptively(BOUND, () -> {
            prefetcher.close();
            return Thread.currentThread();
        });

        assertThat(discarded).containsExactlyInAnyOrder(1, 2);
        assertThat(discardedOn).as("discarded on the closing thread, never on the interrupted prefetch thread")
                .containsOnly(closing);
    }

    @Test
    void anErrorInTheSourceReachesTheConsumerInsteadOfLeavingItWaiting() {
        StackOverflowError error = new StackOverflowError("deep");
        try (Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch-error", 2, () -> {
            throw error;
        }, _ -> {
        })) {
            prefetcher.start();

            IllegalStateException e = assertTimeoutPreemptively(BOUND,
                    () -> catchThrowableOfType(IllegalStateException.class, prefetcher::hasNext));

            assertThat(e).hasCause(error).hasMessageContaining("test-prefetch-error failed");
        }
    }

    private static Prefetcher<Integer> started(int depth, CountingSource source) {
        return started(depth, source, source.discarded);
    }

    private static Prefetcher<Integer> started(int depth, Prefetcher.Source<Integer> source, List<Integer> discarded) {
        Prefetcher<Integer> prefetcher = new Prefetcher<>("test-prefetch", depth, source, discarded::add);
        prefetcher.start();
        return prefetcher;
    }
}
