package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the store answers, for the health probes. When the database is gone, taking a connection
 * waits for the pool's timeout (30 s); a probe must answer sooner than that and must not tie up a
 * thread per call while the outage lasts. So at most one check runs at a time, callers share it,
 * and each caller waits at most {@code bound}, after which the store counts as not answering.
 *
 * <p>A check may still be waiting on the pool when the broker closes: the store stops it (interrupting
 * the wait, which HikariCP answers at once) before the pool closes, so no probe thread outlives the
 * broker.
 */
final class StoreProbe {
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final Database database;
    private final Duration bound;
    private final AtomicReference<CompletableFuture<Boolean>> inFlight = new AtomicReference<>();
    private final AtomicReference<Thread> checking = new AtomicReference<>();
    private volatile boolean stopped;

    StoreProbe(Database database, Duration bound) {
        this.database = requireNonNull(database, "database is null");
        this.bound = requireNonNull(bound, "bound is null");
        database.beforeClose(this::stop);
    }

    /** Completes with whether the store answered within the bound; never fails. */
    CompletableFuture<Boolean> reachable() {
        while (true) {
            CompletableFuture<Boolean> check = inFlight.get();
            if (check != null) {
                return bounded(check);
            }
            if (stopped) {
                return CompletableFuture.completedFuture(false);
            }
            CompletableFuture<Boolean> fresh = new CompletableFuture<>();
            if (inFlight.compareAndSet(null, fresh)) {
                Thread thread = Thread.ofVirtual().name("sluice-store-probe").unstarted(() -> {
                    boolean answered = !stopped && answers();
                    checking.compareAndSet(Thread.currentThread(), null);
                    inFlight.compareAndSet(fresh, null);
                    fresh.complete(answered);
                });
                checking.set(thread);
                thread.start();
                return bounded(fresh);
            }
        }
    }

    /** A copy, so that one caller's timeout does not decide the shared check for the others. */
    private CompletableFuture<Boolean> bounded(CompletableFuture<Boolean> check) {
        return check.copy().completeOnTimeout(false, bound.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops a check still waiting on the pool and waits for its thread to end. */
    private void stop() {
        stopped = true;
        Thread thread = checking.get();
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(STOP_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean answers() {
        try (Connection connection = database.connection()) {
            return connection.isValid((int) Math.max(1, bound.toSeconds()));
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }
}
