package io.sluice.loader.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.sluice.loader.NumaResidence;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The page-locked host memory of one loader: one mapping of {@code slabs × slabBytes}, made once,
 * pre-touched in parallel (one thread per share of the slabs, so the page faults that zero the
 * memory run side by side), locked with {@code mlock} slab by slab, and registered with the CUDA
 * driver ({@code cuMemHostRegister_v2}) when a {@link HostRegistration} is given. Its budget bounds
 * the loader's memory: nothing is mapped after creation.
 *
 * <p>It is the {@link AllocationManager.Factory} of the loader's root allocator: every Arrow
 * allocation — the IPC reader's batch bodies above all — is an extent of the arena, sized exactly
 * (rounded up to {@value #ALIGNMENT} bytes for Arrow's alignment, never to a power of two), so the
 * IPC body lands straight from the socket in pinned memory.
 *
 * <p>With a NUMA node, the mapping's policy prefers that node ({@code mbind(MPOL_PREFERRED)})
 * before it is touched, so the pre-touch places the pages there; after the pre-touch the pages per
 * node are read back from {@code /proc/self/numa_maps} ({@link Creation#numa()}). A refused
 * {@code mbind} is logged once with the errno and the arena stays usable where it was touched.
 *
 * <p>A refused {@code mlock} (typically {@code ENOMEM} under {@code RLIMIT_MEMLOCK}) is logged once
 * with the errno and the fix, and the arena stays usable in pageable memory ({@link #locked()}
 * {@code false}).
 *
 * <p><b>Threading:</b> allocation and release are synchronized on the arena; Arrow releases from
 * any thread. <b>Lifecycle:</b> {@link #close()} unmaps the memory only when no extent is in use;
 * otherwise it refuses and leaves the mapping in place rather than free memory that a batch still
 * points to.
 */
@SuppressWarnings("restricted") // raw addresses are the point; the JVM runs with --enable-native-access
public final class PinnedArena implements AllocationManager.Factory, AutoCloseable {

    /** Every extent starts on, and is sized in, multiples of this many bytes (Arrow's buffer alignment). */
    public static final long ALIGNMENT = 64;

    private static final Logger LOG = LoggerFactory.getLogger(PinnedArena.class);

    /** What creating the arena took and achieved. */
    public record Creation(
            Duration elapsed, int touchThreads, List<String> slabTouchedBy, boolean locked, int lockErrno,
            boolean registered, Optional<String> registrationFailure, boolean hugePages, NumaResidence numa) {
        public Creation {
            Objects.requireNonNull(elapsed, "elapsed is null");
            Objects.requireNonNull(registrationFailure, "registrationFailure is null");
            Objects.requireNonNull(numa, "numa is null");
            slabTouchedBy = List.copyOf(slabTouchedBy);
        }
    }

    /** Registers host memory with a device (cuMemHostRegister) and unregisters it. */
    public interface HostRegistration {
        void register(long address, long bytes);

        void unregister(long address);
    }

    private final PosixMemory posix;
    private final long address;
    private final long slabBytes;
    private final int slabs;
    private final Arena fallbackArena; // null when mmap was used
    private final HostRegistration registration; // null when not registered
    private final Creation creation;

    /** Free extents: offset -> length, address ordered, coalesced. */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    private long bytesInUse;
    private long extentsInUse;
    private long allocations;
    private boolean closed;

    private PinnedArena(PosixMemory posix, long address, long slabBytes, int slabs, Arena fallbackArena,
            HostRegistration registration, Creation creation) {
        this.posix = posix;
        this.address = address;
        this.slabBytes = slabBytes;
        this.slabs = slabs;
        this.fallbackArena = fallbackArena;
        this.registration = registration;
        this.creation = creation;
        free.put(0L, budgetBytes());
    }

    /**
     * Maps, pre-touches, locks and (with {@code registration}) registers {@code slabs} slabs of
     * {@code slabBytes} each (rounded up to whole pages).
     *
     * <p>A refused registration is not fatal: one warning names the driver's error, and the arena
     * stays in locked (or, without mlock, pageable) memory that the driver stages copies from.
     * Registration pins the pages itself, so an arena whose mlock was refused but whose registration
     * succeeded is pinned all the same ({@link #pinned()}).
     *
     * @param touchThreads how many threads pre-touch the slabs, at least 1; slab {@code i} is touched
     *     by thread {@code i % touchThreads}
     * @param registration the device to register the arena with, or {@code null}
     * @throws OutOfMemoryException when the memory cannot be mapped
     */
    public static PinnedArena create(long slabBytes, int slabs, int touchThreads, HostRegistration registration) {
        return create(slabBytes, slabs, touchThreads, registration, false, OptionalInt.empty(), new TouchHook() {
        });
    }

    /**
     * As {@link #create(long, int, int, HostRegistration)}; with {@code hugePages}, the mapping is
     * advised to use transparent huge pages ({@code madvise(MADV_HUGEPAGE)}) before it is touched,
     * which the kernel may ignore ({@link Creation#hugePages()} says whether the advice was taken).
     */
    public static PinnedArena create(long slabBytes, int slabs, int touchThreads, HostRegistration registration,
            boolean hugePages) {
        return create(slabBytes, slabs, touchThreads, registration, hugePages, OptionalInt.empty(), new TouchHook() {
        });
    }

    /**
     * As {@link #create(long, int, int, HostRegistration, boolean)}; with {@code numaNode}, the
     * mapping prefers that node ({@code mbind(MPOL_PREFERRED)}) before it is touched. A preference,
     * not a binding: where the node is full the kernel places pages elsewhere instead of failing.
     * {@link Creation#numa()} says where the pages went.
     */
    public static PinnedArena create(long slabBytes, int slabs, int touchThreads, HostRegistration registration,
            boolean hugePages, OptionalInt numaNode) {
        return create(slabBytes, slabs, touchThreads, registration, hugePages, numaNode, new TouchHook() {
        });
    }

    static PinnedArena create(long slabBytes, int slabs, int touchThreads, HostRegistration registration, TouchHook hook) {
        return create(slabBytes, slabs, touchThreads, registration, false, OptionalInt.empty(), hook);
    }

    /** Test hooks into the pre-touch threads: a failure while touching, a refused mlock. */
    interface TouchHook {
        /** Called before slab {@code slab} at {@code address} is touched. */
        default void beforeTouch(int slab, long address) {
        }

        /** The mlock result taken for slab {@code slab}: {@code errno} (0 = locked) unless a test says otherwise. */
        default int lockResult(int slab, int errno) {
            return errno;
        }
    }

    static PinnedArena create(long slabBytes, int slabs, int touchThreads, HostRegistration registration, boolean hugePages,
            OptionalInt numaNode, TouchHook hook) {
        if (slabBytes <= 0) {
            throw new IllegalArgumentException("slabBytes must be > 0, was " + slabBytes);
        }
        if (slabs < 1) {
            throw new IllegalArgumentException("slabs must be >= 1, was " + slabs);
        }
        if (touchThreads < 1) {
            throw new IllegalArgumentException("touchThreads must be >= 1, was " + touchThreads);
        }
        Objects.requireNonNull(numaNode, "numaNode is null");
        long started = System.nanoTime();
        PosixMemory posix = PosixMemory.load();
        long slab = Math.ceilDiv(slabBytes, posix.pageSize()) * posix.pageSize();
        long budget = Math.multiplyExact(slab, (long) slabs);
        Arena fallback = null;
        long address;
        if (posix.canMap()) {
            try {
                address = posix.map(budget);
            } catch (NativeCallException e) {
                throw new OutOfMemoryException("cannot map a pinned arena of " + budget + " bytes (" + slabs
                        + " slabs of " + slab + "): " + e.getMessage());
            }
        } else {
            fallback = Arena.ofShared();
            try {
                address = fallback.allocate(budget, posix.pageSize()).address();
            } catch (OutOfMemoryError e) {
                fallback.close();
                throw new OutOfMemoryException("cannot allocate a pinned arena of " + budget + " bytes");
            }
        }
        boolean advisedHugePages = false;
        if (hugePages && fallback == null) {
            int errno = posix.adviseHugePages(address, budget);
            advisedHugePages = errno == 0;
            if (!advisedHugePages) {
                LOG.warn("madvise(MADV_HUGEPAGE) of the pinned arena failed with errno {} ({}): it uses small pages "
                        + "(is transparent_hugepage disabled in /sys/kernel/mm/transparent_hugepage/enabled?)", errno,
                        NativeCallException.name(errno));
            }
        }
        Optional<String> numaFailure = numaNode.isPresent()
                ? preferNode(posix, address, budget, numaNode.getAsInt(), fallback != null) : Optional.empty();
        int threads = Math.min(touchThreads, slabs);
        AtomicReferenceArray<String> touchedBy = new AtomicReferenceArray<>(slabs);
        int[] lockErrnos = new int[slabs];
        Arrays.fill(lockErrnos, -1); // not reached: neither locked nor refused
        try {
            touchAndLock(posix, address, slab, slabs, threads, touchedBy, lockErrnos, hook);
        } catch (RuntimeException | Error e) {
            // A pre-touch thread failed: give back what was locked and mapped before the failure propagates.
            unlockLocked(posix, address, slab, lockErrnos);
            releaseMapping(posix, address, budget, fallback);
            throw e;
        }
        int lockErrno = 0;
        for (int errno : lockErrnos) {
            lockErrno = lockErrno != 0 ? lockErrno : errno;
        }
        boolean locked = lockErrno == 0;
        if (!locked) {
            unlockLocked(posix, address, slab, lockErrnos);
        }
        boolean registered = false;
        Optional<String> registrationFailure = Optional.empty();
        if (registration != null) {
            try {
                registration.register(address, budget);
                registered = true;
            } catch (RuntimeException e) {
                registrationFailure = Optional.of(Objects.requireNonNullElse(e.getMessage(), e.toString()));
                LOG.warn("registering the {} byte pinned arena with the device failed ({}): batches stay in {} host memory "
                        + "and the driver stages every copy through its own pinned buffer, so copies to the GPU are slower "
                        + "(LoaderMetrics.hostMemory() and PinnedArenaInfo.registered() say so)", budget,
                        registrationFailure.get(), locked ? "locked but unregistered" : "pageable");
            }
        }
        if (!locked && registered) {
            LOG.info("mlock of the {} byte pinned arena failed with errno {} ({}), but registering it with the device "
                    + "pinned it: batches are in page-locked memory", budget, lockErrno, NativeCallException.name(lockErrno));
        } else if (!locked) {
            LOG.warn("mlock of the {} byte pinned arena failed with errno {} ({}): batches stay in pageable host "
                    + "memory (HostBatch.pinned() is false) and copies to the GPU will be slower. Raise the "
                    + "locked-memory limit of the training process: `ulimit -l unlimited` in its shell, memlock in "
                    + "/etc/security/limits.conf, LimitMEMLOCK=infinity for a systemd unit, --ulimit memlock=-1 "
                    + "for Docker, or grant CAP_IPC_LOCK.", budget, lockErrno, NativeCallException.name(lockErrno));
        }
        List<String> names = new ArrayList<>(slabs);
        for (int i = 0; i < slabs; i++) {
            names.add(touchedBy.get(i));
        }
        NumaResidence numa = new NumaResidence(numaNode, numaFailure,
                fallback == null ? NumaMaps.pagesPerNode(address, budget) : Optional.empty());
        Creation creation = new Creation(Duration.ofNanos(System.nanoTime() - started), threads, names, locked,
                lockErrno, registered, registrationFailure, advisedHugePages, numa);
        LOG.info("pinned arena: {} slabs of {} bytes ({} bytes) made in {} ms with {} touch threads, {}{}, {}", slabs, slab,
                budget, creation.elapsed().toMillis(), threads, locked ? "locked" : "NOT locked",
                registered ? ", registered with the device" : "", numa.description());
        return new PinnedArena(posix, address, slab, slabs, fallback, registered ? registration : null, creation);
    }

    /**
     * Sets the mapping's policy to prefer {@code node} before any page is touched (placement happens
     * at the first touch); empty when it was set, else why not, logged once.
     */
    private static Optional<String> preferNode(PosixMemory posix, long address, long budget, int node, boolean fallback) {
        if (fallback) {
            String why = "no anonymous mapping on this platform to place";
            LOG.warn("NUMA node {} for the pinned arena is not set: {}", node, why);
            return Optional.of(why);
        }
        int errno;
        try {
            errno = posix.preferNode(address, budget, node);
        } catch (RuntimeException e) { // the downcall itself failed: the mapping must not leak over a hint
            LOG.warn("NUMA placement of the pinned arena on node {} is not set: {}", node, e.getMessage());
            return Optional.of("mbind could not be called: " + e.getMessage());
        }
        if (errno == 0) {
            return Optional.empty();
        }
        String why = "mbind failed with errno " + errno + " (" + NativeCallException.name(errno) + ")";
        LOG.warn("NUMA placement of the {} byte pinned arena on node {} is not set: {}{}; its pages go where they are "
                + "first touched, and copies from another socket's memory cross the inter-socket link", budget, node, why,
                errno == NativeCallException.EPERM ? " (a container's seccomp profile may forbid mbind)"
                        : errno == NativeCallException.ENOSYS ? " (no NUMA support in this kernel or on this architecture)" : "");
        return Optional.of(why);
    }

    private static void touchAndLock(PosixMemory posix, long address, long slab, int slabs, int threads,
            AtomicReferenceArray<String> touchedBy, int[] lockErrnos, TouchHook hook) {
        long page = posix.pageSize();
        List<Thread> workers = new ArrayList<>(threads);
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int first = t;
            workers.add(Thread.ofPlatform().name("sluice-arena-touch-" + t).start(() -> {
                try {
                    for (int i = first; i < slabs; i += threads) {
                        hook.beforeTouch(i, address + i * slab);
                        MemorySegment memory = MemorySegment.ofAddress(address + i * slab).reinterpret(slab);
                        for (long offset = 0; offset < slab; offset += page) {
                            memory.set(ValueLayout.JAVA_BYTE, offset, (byte) 0);
                        }
                        touchedBy.set(i, Thread.currentThread().getName());
                        int errno = hook.lockResult(i, posix.canLock() ? posix.lock(address + i * slab, slab)
                                : NativeCallException.ENOSYS);
                        synchronized (lockErrnos) {
                            lockErrnos[i] = errno;
                        }
                    }
                } catch (RuntimeException | Error e) {
                    synchronized (failure) {
                        if (failure[0] == null) {
                            failure[0] = e;
                        }
                    }
                }
            }));
        }
        boolean interrupted = false;
        for (Thread worker : workers) {
            while (true) { // not interruptible: the memory is being written until the workers end
                try {
                    worker.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        synchronized (failure) {
            switch (failure[0]) {
                case null -> {
                }
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException(failure[0]);
            }
        }
    }

    /** Unlocks the slabs whose mlock succeeded (errno 0). */
    private static void unlockLocked(PosixMemory posix, long address, long slab, int[] lockErrnos) {
        synchronized (lockErrnos) {
            for (int i = 0; i < lockErrnos.length; i++) {
                if (lockErrnos[i] == 0) {
                    posix.unlock(address + i * slab, slab);
                }
            }
        }
    }

    /** A root allocator over this arena, limited to {@code limitBytes}, with exact-fit sizing. The caller must close it. */
    public RootAllocator newRootAllocator(long limitBytes) {
        return new RootAllocator(RootAllocator.configBuilder()
                .allocationManagerFactory(this)
                .roundingPolicy(size -> size) // exact fit: no power-of-two rounding
                .maxAllocation(limitBytes)
                .build());
    }

    public long address() {
        return address;
    }

    public long slabBytes() {
        return slabBytes;
    }

    public int slabs() {
        return slabs;
    }

    /** {@link #slabs()} × {@link #slabBytes()}: the most memory the arena ever holds. */
    public long budgetBytes() {
        return slabBytes * slabs;
    }

    public long pageSize() {
        return posix.pageSize();
    }

    /** Whether every page of the arena is locked in memory. */
    public boolean locked() {
        return creation.locked();
    }

    public boolean registered() {
        return creation.registered();
    }

    /**
     * Whether the arena's pages are page-locked: by {@code mlock}, or by the driver when it
     * registered them ({@code cuMemHostRegister} pins the pages itself, whatever the mlock limit).
     */
    public boolean pinned() {
        return locked() || registered();
    }

    public Creation creation() {
        return creation;
    }

    /** Whether {@code [start, start + bytes)} lies inside the arena. */
    public boolean contains(long start, long bytes) {
        return start >= address && bytes >= 0 && start + bytes <= address + budgetBytes();
    }

    /** Bytes of the arena held by live extents (each rounded up to {@value #ALIGNMENT}). */
    public synchronized long bytesInUse() {
        return bytesInUse;
    }

    /** Bytes of page-locked memory held by live extents: {@link #bytesInUse()} when {@link #pinned()}, else 0. */
    public long pinnedBytesInUse() {
        return pinned() ? bytesInUse() : 0;
    }

    /** Extents handed out since creation. */
    public synchronized long allocations() {
        return allocations;
    }

    @Override
    public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        long extent = Math.max(ALIGNMENT, Math.ceilDiv(size, ALIGNMENT) * ALIGNMENT);
        long offset = take(size, extent);
        return new PinnedAllocationManager(accountingAllocator, this, size, address + offset, extent);
    }

    @Override
    public ArrowBuf empty() {
        return UnsafeAllocationManager.FACTORY.empty();
    }

    private synchronized long take(long size, long extent) {
        if (closed) {
            throw new IllegalStateException("the pinned arena is closed");
        }
        long largest = 0;
        for (Map.Entry<Long, Long> hole : free.entrySet()) {
            long length = hole.getValue();
            if (length >= extent) {
                long offset = hole.getKey();
                free.remove(offset);
                if (length > extent) {
                    free.put(offset + extent, length - extent);
                }
                bytesInUse += extent;
                extentsInUse++;
                allocations++;
                return offset;
            }
            largest = Math.max(largest, length);
        }
        throw new OutOfMemoryException("the pinned arena has no room for " + size + " bytes: " + bytesInUse + " of "
                + budgetBytes() + " bytes (" + slabs + " slabs of " + slabBytes + ") are held by " + extentsInUse
                + " buffers, the largest free extent is " + largest + " bytes");
    }

    synchronized void give(long extentAddress, long extent) {
        long offset = extentAddress - address;
        Map.Entry<Long, Long> before = free.floorEntry(offset);
        Map.Entry<Long, Long> after = free.ceilingEntry(offset);
        long start = offset;
        long length = extent;
        if (before != null && before.getKey() + before.getValue() == offset) {
            start = before.getKey();
            length += before.getValue();
            free.remove(before.getKey());
        }
        if (after != null && after.getKey() == offset + extent) {
            length += after.getValue();
            free.remove(after.getKey());
        }
        free.put(start, length);
        bytesInUse -= extent;
        extentsInUse--;
    }

    /**
     * Unregisters, unlocks and unmaps the arena. Idempotent.
     *
     * @throws IllegalStateException when extents are still in use; the memory then stays mapped
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (extentsInUse > 0) {
            throw new IllegalStateException("the pinned arena still holds " + extentsInUse + " buffers (" + bytesInUse
                    + " bytes); it stays mapped until the process ends");
        }
        closed = true;
        try {
            if (registration != null) {
                registration.unregister(address);
            }
        } finally {
            release(posix, address, budgetBytes(), slabBytes, slabs, locked(), fallbackArena);
        }
    }

    private static void release(PosixMemory posix, long address, long budget, long slab, int slabs, boolean locked,
            Arena fallback) {
        if (locked) {
            for (int i = 0; i < slabs; i++) {
                posix.unlock(address + i * slab, slab);
            }
        }
        releaseMapping(posix, address, budget, fallback);
    }

    private static void releaseMapping(PosixMemory posix, long address, long budget, Arena fallback) {
        if (fallback != null) {
            fallback.close();
        } else {
            posix.unmap(address, budget);
        }
    }
}
