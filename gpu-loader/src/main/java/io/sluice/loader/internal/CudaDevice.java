package io.sluice.loader.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Optional;

import io.sluice.loader.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CUDA device through the driver API: its primary context, one non-blocking copy stream, device
 * memory from {@code cuMemAlloc_v2}, copies with {@code cuMemcpyHtoDAsync_v2}, timing events.
 *
 * <p>The CUDA context is current per OS thread, and the loader is called on the training thread
 * ({@code next()}, {@code DeviceBatch.close()}), which may have another device's context, or
 * another library's, current. So every call saves the thread's current context
 * ({@code cuCtxGetCurrent}), makes the primary context current only when it is not already, makes
 * the call, and restores the saved context: a thread leaves a loader call with the context it
 * entered with. Both are cheap thread-local accesses in the driver (a call costs up to two more
 * downcalls, tens of nanoseconds, against copies of megabytes). No
 * call blocks between the switch and the call it prepares, so a virtual thread is not unmounted
 * in between.
 *
 * <p>Thread-safe. The loader that opened it owns it and closes it last.
 */
public final class CudaDevice implements Device {

    private static final Logger LOG = LoggerFactory.getLogger(CudaDevice.class);

    private final CudaDriver driver;
    private final int ordinal;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final String name;
    private boolean closed; // the owner gave up its hold
    private int holds = 1; // the owner's, plus one per open lease

    private CudaDevice(CudaDriver driver, int ordinal, int device, MemorySegment context, MemorySegment stream, String name) {
        this.driver = driver;
        this.ordinal = ordinal;
        this.device = device;
        this.context = context;
        this.stream = stream;
        this.name = name;
    }

    /**
     * Initialises the driver and opens device {@code ordinal}: primary context, copy stream.
     *
     * @throws CudaException naming the call that failed
     */
    public static CudaDevice open(CudaDriver driver, int ordinal) {
        Objects.requireNonNull(driver, "driver is null");
        driver.init();
        int device = driver.deviceGet(ordinal);
        MemorySegment context = driver.primaryCtxRetain(device);
        try {
            MemorySegment saved = driver.ctxGetCurrent();
            MemorySegment stream;
            driver.ctxSetCurrent(context);
            try {
                stream = driver.streamCreate(CudaDriver.CU_STREAM_NON_BLOCKING);
            } finally {
                driver.ctxSetCurrent(saved); // the caller's thread keeps the context it had
            }
            String name = "cuda:" + ordinal + " " + driver.deviceName(device) + " (driver " + driver.driverVersion() / 1000
                    + "." + driver.driverVersion() % 1000 / 10 + ")";
            return new CudaDevice(driver, ordinal, device, context, stream, name);
        } catch (RuntimeException e) {
            try {
                driver.primaryCtxRelease(device);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    public int ordinal() {
        return ordinal;
    }

    public CudaDriver driver() {
        return driver;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isGpu() {
        return true;
    }

    /** From {@code cuDeviceGetPCIBusId}; empty (and a warning) when the driver cannot say. */
    @Override
    public Optional<String> pciBusId() {
        try {
            return driver.devicePciBusId(device);
        } catch (CudaException e) {
            LOG.warn("cannot read the PCI bus id of {}: {}", name, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public long allocate(long bytes) {
        MemorySegment saved = enter();
        try {
            return driver.memAlloc(bytes);
        } finally {
            exit(saved);
        }
    }

    @Override
    public void free(long devicePointer) {
        MemorySegment saved = enter();
        try {
            driver.memFree(devicePointer);
        } finally {
            exit(saved);
        }
    }

    @Override
    public void copyAsync(long devicePointer, long hostAddress, long bytes) {
        MemorySegment saved = enter();
        try {
            driver.memcpyHtoDAsync(devicePointer, hostAddress, bytes, stream);
        } finally {
            exit(saved);
        }
    }

    @Override
    public long createEvent() {
        MemorySegment saved = enter();
        try {
            // Blocking sync: the consumer waits in next() without burning the core its training step needs;
            // timing stays on (no CU_EVENT_DISABLE_TIMING) for the per-batch copy time.
            return driver.eventCreate(CudaDriver.CU_EVENT_BLOCKING_SYNC).address();
        } finally {
            exit(saved);
        }
    }

    @Override
    public void destroyEvent(long event) {
        MemorySegment saved = enter();
        try {
            driver.eventDestroy(MemorySegment.ofAddress(event));
        } finally {
            exit(saved);
        }
    }

    @Override
    public void record(long event) {
        MemorySegment saved = enter();
        try {
            driver.eventRecord(MemorySegment.ofAddress(event), stream);
        } finally {
            exit(saved);
        }
    }

    @Override
    public void synchronize(long event) {
        MemorySegment saved = enter();
        try {
            driver.eventSynchronize(MemorySegment.ofAddress(event));
        } finally {
            exit(saved);
        }
    }

    @Override
    public void synchronizeCopies() {
        MemorySegment saved = enter();
        try {
            driver.streamSynchronize(stream);
        } finally {
            exit(saved);
        }
    }

    @Override
    public float elapsedMillis(long startEvent, long endEvent) {
        MemorySegment saved = enter();
        try {
            return driver.eventElapsedTime(MemorySegment.ofAddress(startEvent), MemorySegment.ofAddress(endEvent));
        } finally {
            exit(saved);
        }
    }

    @Override
    public void registerHost(long address, long bytes) {
        MemorySegment saved = enter();
        try {
            driver.memHostRegister(address, bytes, CudaDriver.CU_MEMHOSTREGISTER_PORTABLE);
        } finally {
            exit(saved);
        }
    }

    @Override
    public void unregisterHost(long address) {
        MemorySegment saved = enter();
        try {
            driver.memHostUnregister(address);
        } finally {
            exit(saved);
        }
    }

    /**
     * Keeps the primary context retained (and so the device memory allocated in it) until the lease
     * is closed, even after {@link #close()}: CUDA resets a primary context when its last reference
     * goes, which would free a still-open batch's memory under its consumer.
     */
    @Override
    public synchronized Lease retain() {
        if (holds == 0) {
            throw new IllegalStateException(name + " is closed");
        }
        holds++;
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (once.compareAndSet(false, true)) {
                drop();
            }
        };
    }

    /**
     * Gives up the owner's hold. With no lease open: waits for the copy stream, destroys it and
     * releases the primary context; otherwise that happens when the last lease closes. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        drop();
    }

    private void drop() {
        synchronized (this) {
            if (--holds > 0) {
                return;
            }
        }
        MemorySegment saved = enter();
        try {
            driver.streamSynchronize(stream);
        } finally {
            try {
                driver.streamDestroy(stream);
            } finally {
                try {
                    exit(saved);
                } finally {
                    driver.primaryCtxRelease(device);
                }
            }
        }
    }

    /** Makes the primary context current on this thread, returning the context to restore. */
    private MemorySegment enter() {
        MemorySegment saved = driver.ctxGetCurrent();
        if (saved.address() != context.address()) {
            driver.ctxSetCurrent(context);
        }
        return saved;
    }

    /** Gives the thread back the context it had before {@link #enter()} (none: NULL). */
    private void exit(MemorySegment saved) {
        if (saved.address() != context.address()) {
            driver.ctxSetCurrent(saved);
        }
    }
}
