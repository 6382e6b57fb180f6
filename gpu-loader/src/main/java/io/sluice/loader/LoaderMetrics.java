package io.sluice.loader;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A snapshot of a {@link TrainingStream}'s counters.
 *
 * @param elapsed time since the stream was opened
 * @param bytesReceived body bytes received over all of its connections
 * @param batches batches delivered to the consumer
 * @param rows rows in the delivered batches
 * @param stall time the consumer spent waiting in {@code hasNext()}/{@code next()} for a batch (or
 *     its copy) that was not ready yet
 * @param copiedBatches batches copied to the device
 * @param copyTime total host-to-device copy time of those batches, measured by device events
 * @param pinnedBytesInUse pinned host memory held by the loader now
 * @param retries reconnects after a dropped connection
 * @param device the device's name, or {@code "none (pinned host batches)"}
 * @param hostMemory the kind of host memory batches land in before the copy: registered with the
 *     device, only locked (a failed registration, or no device), or pageable
 */
public record LoaderMetrics(
        Duration elapsed,
        long bytesReceived,
        long batches,
        long rows,
        Duration stall,
        long copiedBatches,
        Duration copyTime,
        long pinnedBytesInUse,
        int retries,
        String device,
        HostMemoryMode hostMemory) {

    public LoaderMetrics {
        Objects.requireNonNull(elapsed, "elapsed is null");
        Objects.requireNonNull(stall, "stall is null");
        Objects.requireNonNull(copyTime, "copyTime is null");
        Objects.requireNonNull(device, "device is null");
        Objects.requireNonNull(hostMemory, "hostMemory is null");
    }

    /** Bytes received per second since the stream was opened. */
    public double bytesPerSecond() {
        return bytesReceived / Math.max(1e-9, elapsed.toNanos() / 1e9);
    }

    /** Mean host-to-device copy time per copied batch; zero when none was copied. */
    public Duration copyTimePerBatch() {
        return copiedBatches == 0 ? Duration.ZERO : copyTime.dividedBy(copiedBatches);
    }

    /**
     * One line for an interactive run, e.g. {@code 37 batches  1,234,567 rows  512.0 MB  1234.5 MB/s
     * stall 0.12 s  h2d 0.310 ms/batch  pinned 64.0 MB  retries 0  cuda:0 NVIDIA H100}.
     */
    public String progressLine() {
        return String.format(Locale.ROOT, "%,d batches  %,d rows  %.1f MB  %.1f MB/s  stall %.2f s  h2d %.3f ms/batch"
                        + "  pinned %.1f MB  retries %d  %s",
                batches, rows, bytesReceived / 1e6, bytesPerSecond() / 1e6, stall.toNanos() / 1e9,
                copyTimePerBatch().toNanos() / 1e6, pinnedBytesInUse / 1e6, retries, device);
    }
}
