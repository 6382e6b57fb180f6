package io.sluice.loader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Device} in host memory: "device" buffers are ordinary off-heap memory, and a single
 * copy thread plays the CUDA copy stream, running copies and event records in the order they were
 * enqueued, each copy optionally delayed by a fixed latency. It exercises the loader's double
 * buffering and buffer pooling without CUDA, and counts what the loader asks of it so tests can
 * check that buffers are allocated once, not per batch.
 *
 * <p>A copy that would write outside a live allocation fails the copy (the count of failed copies
 * says so), as an illegal address would on a GPU. Pointers are real host addresses: a test can
 * read a batch's values back from them.
 *
 * <p>Thread-safe. The creator owns it and closes it after the loader that uses it.
 */
@SuppressWarnings("restricted") // raw addresses are the point; the JVM runs with --enable-native-access
public final class HostMemoryDevice implements Device {

    private final Duration copyLatency;
    private final ExecutorService stream;
    private final Object lock = new Object();
    private final TreeMap<Long, Arena> allocations = new TreeMap<>(); // guarded by lock
    private final Map<Long, Long> sizes = new HashMap<>(); // guarded by lock
    private final Map<Long, long[]> events = new HashMap<>(); // handle -> {recorded, completed, nanos}; guarded by lock
    private long nextEvent = 1;
    private long allocationCount;
    private long freeCount;
    private long copiesEnqueued;
    private long copiesCompleted;
    private long failedCopies;
    private long bytesCopied;
    private long registeredBytes;
    private boolean closed; // torn down
    private boolean ownerClosed; // guarded by lock
    private int leases; // guarded by lock

    private HostMemoryDevice(Duration copyLatency) {
        this.copyLatency = copyLatency;
        this.stream = Executors.newSingleThreadExecutor(task -> Thread.ofPlatform().daemon()
                .name("sluice-host-device-stream").unstarted(task));
    }

    /** A stand-in whose copies run as fast as memory copies. */
    public static HostMemoryDevice create() {
        return new HostMemoryDevice(Duration.ZERO);
    }

    /** A stand-in whose every copy takes at least {@code copyLatency} more, like a slow bus. */
    public static HostMemoryDevice withCopyLatency(Duration copyLatency) {
        Objects.requireNonNull(copyLatency, "copyLatency is null");
        if (copyLatency.isNegative()) {
            throw new IllegalArgumentException("copyLatency must be >= 0, was " + copyLatency);
        }
        return new HostMemoryDevice(copyLatency);
    }

    @Override
    public String name() {
        return "host stand-in";
    }

    @Override
    public boolean isGpu() {
        return false;
    }

    @Override
    public long allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be > 0, was " + bytes);
        }
        Arena arena = Arena.ofShared();
        long address = arena.allocate(bytes, 256).address();
        synchronized (lock) {
            allocations.put(address, arena);
            sizes.put(address, bytes);
            allocationCount++;
        }
        return address;
    }

    @Override
    public void free(long devicePointer) {
        Arena arena;
        synchronized (lock) {
            arena = allocations.remove(devicePointer);
            if (arena == null) {
                throw new IllegalArgumentException("0x" + Long.toHexString(devicePointer) + " is not an allocation of this device");
            }
            sizes.remove(devicePointer);
            freeCount++;
        }
        arena.close();
    }

    @Override
    public void copyAsync(long devicePointer, long hostAddress, long bytes) {
        synchronized (lock) {
            copiesEnqueued++;
        }
        enqueue(() -> {
            if (!copyLatency.isZero()) {
                LockSupport.parkNanos(copyLatency.toNanos());
            }
            boolean inside;
            synchronized (lock) {
                var start = allocations.floorKey(devicePointer);
                inside = start != null && devicePointer + bytes <= start + sizes.get(start);
            }
            if (inside) {
                MemorySegment.copy(MemorySegment.ofAddress(hostAddress).reinterpret(bytes), 0,
                        MemorySegment.ofAddress(devicePointer).reinterpret(bytes), 0, bytes);
            }
            synchronized (lock) {
                copiesCompleted++;
                if (inside) {
                    bytesCopied += bytes;
                } else {
                    failedCopies++;
                }
                lock.notifyAll();
            }
        });
    }

    @Override
    public long createEvent() {
        synchronized (lock) {
            long handle = nextEvent++;
            events.put(handle, new long[3]);
            return handle;
        }
    }

    @Override
    public void destroyEvent(long event) {
        synchronized (lock) {
            events.remove(event);
        }
    }

    @Override
    public void record(long event) {
        long generation;
        synchronized (lock) {
            long[] state = event(event);
            generation = ++state[0];
        }
        enqueue(() -> {
            synchronized (lock) {
                long[] state = events.get(event);
                if (state != null) {
                    state[1] = Math.max(state[1], generation);
                    state[2] = System.nanoTime();
                }
                lock.notifyAll();
            }
        });
    }

    @Override
    public void synchronize(long event) {
        boolean interrupted = false;
        synchronized (lock) {
            long[] state = event(event);
            long target = state[0];
            while (state[1] < target && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void synchronizeCopies() {
        java.util.concurrent.Future<?> drained;
        try {
            drained = stream.submit(() -> {
            });
        } catch (RejectedExecutionException e) {
            return; // closed: close() finished the enqueued work
        }
        boolean interrupted = false;
        while (true) {
            try {
                drained.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public float elapsedMillis(long startEvent, long endEvent) {
        synchronized (lock) {
            return (event(endEvent)[2] - event(startEvent)[2]) / 1e6f;
        }
    }

    @Override
    public void registerHost(long address, long bytes) {
        synchronized (lock) {
            registeredBytes += bytes;
        }
    }

    @Override
    public void unregisterHost(long address) {
        synchronized (lock) {
            registeredBytes = 0;
        }
    }

    /**
     * Blocks until at least {@code copies} copies have completed, or {@code timeout} passed.
     *
     * @return whether they completed in time
     */
    public boolean awaitCopiesCompleted(long copies, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (copiesCompleted < copies) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /** Device allocations made so far. */
    public long allocations() {
        synchronized (lock) {
            return allocationCount;
        }
    }

    /** Device allocations freed so far. */
    public long frees() {
        synchronized (lock) {
            return freeCount;
        }
    }

    /** Device allocations live now. */
    public long liveAllocations() {
        synchronized (lock) {
            return allocations.size();
        }
    }

    public long copiesEnqueued() {
        synchronized (lock) {
            return copiesEnqueued;
        }
    }

    public long copiesCompleted() {
        synchronized (lock) {
            return copiesCompleted;
        }
    }

    /** Copies that would have written outside a live allocation (and were not done). */
    public long failedCopies() {
        synchronized (lock) {
            return failedCopies;
        }
    }

    public long bytesCopied() {
        synchronized (lock) {
            return bytesCopied;
        }
    }

    /** Host bytes registered now (what {@code cuMemHostRegister} would have locked). */
    public long registeredBytes() {
        synchronized (lock) {
            return registeredBytes;
        }
    }

    /** Keeps the device working until the lease is closed, even after {@link #close()}, as a CUDA device does. */
    @Override
    public Lease retain() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the host stand-in device is closed");
            }
            leases++;
        }
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (!once.compareAndSet(false, true)) {
                return;
            }
            boolean last;
            synchronized (lock) {
                last = --leases == 0 && ownerClosed;
            }
            if (last) {
                tearDown();
            }
        };
    }

    /**
     * Finishes enqueued work, then frees whatever is still allocated; while a {@link #retain() lease}
     * is open, that happens when the last one closes. Idempotent.
     */
    @Override
    public void close() {
        boolean now;
        synchronized (lock) {
            if (ownerClosed) {
                return;
            }
            ownerClosed = true;
            now = leases == 0;
        }
        if (now) {
            tearDown();
        }
    }

    private void tearDown() {
        stream.close(); // waits for enqueued copies
        synchronized (lock) {
            closed = true;
            allocations.values().forEach(Arena::close);
            allocations.clear();
            sizes.clear();
            lock.notifyAll();
        }
    }

    private long[] event(long event) {
        long[] state = events.get(event);
        if (state == null) {
            throw new IllegalArgumentException("event " + event + " does not exist on this device");
        }
        return state;
    }

    private void enqueue(Runnable task) {
        try {
            stream.execute(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the host stand-in device is closed", e);
        }
    }
}
