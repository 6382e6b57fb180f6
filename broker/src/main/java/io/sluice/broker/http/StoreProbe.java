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
 */
final class StoreProbe {
    private final Database database;
    private final Duration bound;
    private final AtomicReference<CompletableFuture<Boolean>> inFlight = new AtomicReference<>();

    StoreProbe(Database database, Duration bound) {
        this.database = requireNonNull(database, "database is null");
        this.bound = requireNonNull(bound, "bound is null");
    }

    /** Completes with whether the store answered within the bound; never fails. */
    CompletableFuture<Boolean> reachable() {
        while (true) {
            CompletableFuture<Boolean> check = inFlight.get();
            if (check != null) {
                return bounded(check);
            }
            CompletableFuture<Boolean> fresh = new CompletableFuture<>();
            if (inFlight.compareAndSet(null, fresh)) {
                Thread.ofVirtual().name("sluice-store-probe").start(() -> {
                    boolean answered = answers();
                    inFlight.compareAndSet(fresh, null);
                    fresh.complete(answered);
                });
                return bounded(fresh);
            }
        }
    }

    /** A copy, so that one caller's timeout does not decide the shared check for the others. */
    private CompletableFuture<Boolean> bounded(CompletableFuture<Boolean> check) {
        return check.copy().completeOnTimeout(false, bound.toMillis(), TimeUnit.MILLISECONDS);
    }

    private boolean answers() {
        try (Connection connection = database.connection()) {
            return connection.isValid((int) Math.max(1, bound.toSeconds()));
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }
}
