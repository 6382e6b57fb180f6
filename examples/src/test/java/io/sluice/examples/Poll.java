package io.sluice.examples;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition instead of sleeping for a guessed time: tests hold on a loaded machine. (The
 * broker's tests have the same helper; this module sees only the broker's main classes.)
 */
final class Poll {
    private Poll() {}

    /** Returns as soon as {@code condition} holds; fails naming {@code what} after {@code timeout}. */
    static void until(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(20);
        }
    }
}
