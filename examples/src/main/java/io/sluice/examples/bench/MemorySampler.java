package io.sluice.examples.bench;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Samples a process's memory while something runs: resident memory every 100 ms from
 * {@code /proc} (and its {@code VmHWM}, reset when sampling starts), and, through a
 * {@link JvmMemoryProbe} when there is one, off-heap committed every second. Keeps the peaks.
 * (Heap in use is not sampled: between collections it counts garbage, so its peak says little.) Start with {@link #start}, stop with {@link #close()}, which joins its thread.
 */
final class MemorySampler implements AutoCloseable {
    private static final long RSS_EVERY_MS = 100;
    private static final long JVM_EVERY_MS = 1000;

    private final long pid;
    private final Optional<JvmMemoryProbe> probe;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final boolean peakReset;
    private final Thread thread;
    private volatile long peakRss;
    private volatile long peakOffHeap = -1;

    private MemorySampler(long pid, Optional<JvmMemoryProbe> probe) {
        this.pid = pid;
        this.probe = probe;
        this.peakReset = ProcessUsage.resetPeak(pid);
        this.thread = Thread.ofPlatform().daemon().name("memory-sampler").unstarted(this::sample);
    }

    static MemorySampler start(long pid, Optional<JvmMemoryProbe> probe) {
        MemorySampler sampler = new MemorySampler(pid, probe);
        sampler.thread.start();
        return sampler;
    }

    private void sample() {
        long nextJvm = 0;
        try {
            do {
                peakRss = Math.max(peakRss, ProcessUsage.of(pid).rssBytes());
                long now = System.currentTimeMillis();
                if (probe.isPresent() && now >= nextJvm) {
                    sampleJvm(probe.get());
                    nextJvm = now + JVM_EVERY_MS;
                }
            } while (!stopped.await(RSS_EVERY_MS, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sampleJvm(JvmMemoryProbe jvm) {
        try {
            OptionalLong offHeap = jvm.offHeapCommitted();
            if (offHeap.isPresent()) {
                peakOffHeap = Math.max(peakOffHeap, offHeap.getAsLong());
            }
        } catch (RuntimeException e) {
            // A JMX call that failed (the JVM is busy or going away) is a sample missed, not a failed run.
        }
    }

    /** The peaks seen, once stopped. */
    record Peaks(long rssBytes, boolean rssFromKernel, OptionalLong offHeapBytes) {}

    /** Stops sampling and returns the peaks: the larger of the samples and the kernel's VmHWM when it could be reset. */
    Peaks stop() {
        close();
        long rss = peakRss;
        if (peakReset) {
            rss = Math.max(rss, ProcessUsage.of(pid).peakRssBytes());
        }
        return new Peaks(rss, peakReset, peakOffHeap >= 0 ? OptionalLong.of(peakOffHeap) : OptionalLong.empty());
    }

    @Override
    public void close() {
        stopped.countDown();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
