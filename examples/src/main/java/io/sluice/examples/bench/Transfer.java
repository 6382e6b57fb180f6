package io.sluice.examples.bench;

/**
 * What one measured run moved.
 *
 * @param bytes Arrow payload delivered (IPC bytes; for the scan and Flight, the size of the same
 *     batches as the broker's IPC stream)
 * @param rows rows delivered
 * @param seconds how long it took, by the clock of whoever measured it
 */
record Transfer(long bytes, long rows, double seconds) {
    Transfer {
        if (bytes < 0 || rows < 0) {
            throw new IllegalArgumentException("bytes and rows must be >= 0, were " + bytes + " and " + rows);
        }
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("seconds must be > 0, was " + seconds);
        }
    }

    /** Throughput in MB/s (10^6 bytes a second). */
    double megabytesPerSecond() {
        return bytes / 1e6 / seconds;
    }

    /** Times {@code body} on this JVM's monotonic clock. */
    static Transfer timed(Counted body) throws Exception {
        long started = System.nanoTime();
        long[] counted = body.run();
        return new Transfer(counted[0], counted[1], (System.nanoTime() - started) / 1e9);
    }

    /** A measured body that returns {bytes, rows}. */
    @FunctionalInterface
    interface Counted {
        long[] run() throws Exception;
    }
}
