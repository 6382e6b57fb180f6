package io.sluice.loader.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import io.sluice.loader.Device;

/**
 * A CUDA device through the driver API: its primary context, one non-blocking copy stream, device
 * memory from {@code cuMemAlloc_v2}, copies with {@code cuMemcpyHtoDAsync_v2}, timing events.
 *
 * <p>The CUDA context is current per OS thread, so every call makes it current first
 * ({@code cuCtxSetCurrent} is a cheap thread-local store in the driver); no call blocks between
 * that and the call it prepares, so a virtual thread is not unmounted in between.
 *
 * <p>Thread-safe. The loader that opened it owns it and closes it last.
 */
public final class CudaDevice implements Device {

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
            driver.ctxSetCurrent(context);
            MemorySegment stream = driver.streamCreate(CudaDriver.CU_STREAM_NON_BLOCKING);
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

    @Override
    public long allocate(long bytes) {
        driver.ctxSetCurrent(context);
        return driver.memAlloc(bytes);
    }

    @Override
    public void free(long devicePointer) {
        driver.ctxSetCurrent(context);
        driver.memFree(devicePointer);
    }

    @Override
    public void copyAsync(long devicePointer, long hostAddress, long bytes) {
        driver.ctxSetCurrent(context);
        driver.memcpyHtoDAsync(devicePointer, hostAddress, bytes, stream);
    }

    @Override
    public long createEvent() {
        driver.ctxSetCurrent(context);
        // Blocking sync: the consumer waits in next() without burning the core its training step needs;
        // timing stays on (no CU_EVENT_DISABLE_TIMING) for the per-batch copy time.
        return driver.eventCreate(CudaDriver.CU_EVENT_BLOCKING_SYNC).address();
    }

    @Override
    public void destroyEvent(long event) {
        driver.ctxSetCurrent(context);
        driver.eventDestroy(MemorySegment.ofAddress(event));
    }

    @Override
    public void record(long event) {
        driver.ctxSetCurrent(context);
        driver.eventRecord(MemorySegment.ofAddress(event), stream);
    }

    @Override
    public void synchronize(long event) {
        driver.ctxSetCurrent(context);
        driver.eventSynchronize(MemorySegment.ofAddress(event));
    }

    @Override
    public void synchronizeCopies() {
        driver.ctxSetCurrent(context);
        driver.streamSynchronize(stream);
    }

    @Override
    public float elapsedMillis(long startEvent, long endEvent) {
        driver.ctxSetCurrent(context);
        return driver.eventElapsedTime(MemorySegment.ofAddress(startEvent), MemorySegment.ofAddress(endEvent));
    }

    @Override
    public void registerHost(long address, long bytes) {
        driver.ctxSetCurrent(context);
        driver.memHostRegister(address, bytes, CudaDriver.CU_MEMHOSTREGISTER_PORTABLE);
    }

    @Override
    public void unregisterHost(long address) {
        driver.ctxSetCurrent(context);
        driver.memHostUnregister(address);
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
        driver.ctxSetCurrent(context);
        try {
            driver.streamSynchronize(stream);
        } finally {
            try {
                driver.streamDestroy(stream);
            } finally {
                driver.primaryCtxRelease(device);
            }
        }
    }
}
