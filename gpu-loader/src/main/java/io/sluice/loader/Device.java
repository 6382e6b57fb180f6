package io.sluice.loader;

/**
 * A place batches are copied to: a CUDA device through the driver API, or a host-memory stand-in
 * ({@link HostMemoryDevice}) that behaves like one for tests and benchmarks. A {@link TrainingStream}
 * uses a device through these few calls only: it allocates its buffers once and reuses them,
 * enqueues copies and event records on one copy stream, and waits for events.
 *
 * <p>Pointers and event handles are opaque {@code long}s meaningful to this device only.
 *
 * <p><b>Threading:</b> implementations are thread-safe: the loader thread enqueues copies and
 * records events while the consumer thread waits for them. Copies and records run in the order
 * they were enqueued. <b>Lifecycle:</b> the creator owns a device and closes it after every loader
 * that uses it.
 */
public interface Device extends AutoCloseable {

    /** A human-readable name, e.g. {@code "cuda:0 NVIDIA H100 80GB HBM3"} or {@code "host stand-in"}. */
    String name();

    /** Whether batches on this device are in GPU memory (false for a stand-in). */
    boolean isGpu();

    /** Allocates {@code bytes} of device memory. */
    long allocate(long bytes);

    void free(long devicePointer);

    /** Enqueues a copy of {@code bytes} from host memory at {@code hostAddress} to {@code devicePointer}. */
    void copyAsync(long devicePointer, long hostAddress, long bytes);

    long createEvent();

    void destroyEvent(long event);

    /** Enqueues {@code event}: it completes when every copy enqueued before it has. */
    void record(long event);

    /** Blocks until {@code event} completed. */
    void synchronize(long event);

    /**
     * Blocks until everything enqueued on the copy stream so far has completed
     * ({@code cuStreamSynchronize}). The loader calls it on an error path before it gives host
     * memory back, so that no copy still reads memory the arena hands out again.
     */
    void synchronizeCopies();

    /** Milliseconds between two completed events. */
    float elapsedMillis(long startEvent, long endEvent);

    /**
     * The device's PCI bus id as the driver writes it ({@code cuDeviceGetPCIBusId}, e.g.
     * {@code 0000:3B:00.0}), which names its NUMA node in sysfs; empty for a device that is not on
     * PCI or cannot say (the default).
     */
    default java.util.Optional<String> pciBusId() {
        return java.util.Optional.empty();
    }

    /** Page-locks host memory for this device's copies (cuMemHostRegister); a no-op by default. */
    default void registerHost(long address, long bytes) {
    }

    default void unregisterHost(long address) {
    }

    /**
     * Keeps the device usable until the returned lease is closed, even after {@link #close()}: a
     * {@link TrainingStream}'s buffer pool holds one so that a {@link DeviceBatch} still open when
     * the loader (and the device) are closed keeps its memory, and frees it on its own
     * {@link DeviceBatch#close()}. The device's resources go when its owner closed it and every
     * lease is closed. The default, for devices without shared state to keep, does nothing.
     *
     * @throws IllegalStateException when the device is already released
     */
    default Lease retain() {
        return () -> {
        };
    }

    /** A hold on a device from {@link #retain()}. Closing it twice is harmless. */
    @FunctionalInterface
    interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Gives up the owner's hold: the device's resources are released now, or, while a
     * {@link #retain() lease} is open, when the last lease closes. Idempotent.
     */
    @Override
    void close();
}
