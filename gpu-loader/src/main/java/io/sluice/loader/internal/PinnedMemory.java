package io.sluice.loader.internal;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.rounding.SegmentRoundingPolicy;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The page-locked host memory of one loader: the {@link AllocationManager.Factory} that Arrow
 * calls for every allocation of a {@link #newRootAllocator(long) root allocator} built on it, and
 * the counters of what is in use.
 *
 * <p>Every allocation is rounded up to whole pages (the root allocator's rounding policy), mapped
 * exclusively and locked with {@code mlock}. A refused {@code mlock} is logged once per instance,
 * with the errno and the fix, and the allocation continues in pageable memory; it never fails an
 * allocation. Thread-safe: Arrow allocates and releases from any thread.
 */
public final class PinnedMemory implements AllocationManager.Factory {

    private static final Logger LOG = LoggerFactory.getLogger(PinnedMemory.class);

    private final PosixMemory posix;
    private final AtomicLong pinnedBytes = new AtomicLong();
    private final AtomicLong mappedBytes = new AtomicLong();
    private final AtomicBoolean lockWarningLogged = new AtomicBoolean();

    private PinnedMemory(PosixMemory posix) {
        this.posix = posix;
    }

    /** Binds the native calls of this platform. */
    public static PinnedMemory create() {
        PinnedMemory memory = new PinnedMemory(PosixMemory.load());
        if (!memory.posix.canLock()) {
            LOG.warn("mlock/munlock are not available on this platform: Arrow batches stay in pageable host memory");
            memory.lockWarningLogged.set(true);
        }
        return memory;
    }

    /**
     * A root allocator whose every buffer comes from this memory, limited to {@code limitBytes},
     * rounding requests up to whole pages. The caller owns it and must close it.
     */
    public RootAllocator newRootAllocator(long limitBytes) {
        return new RootAllocator(RootAllocator.configBuilder()
                .allocationManagerFactory(this)
                .roundingPolicy(new SegmentRoundingPolicy(posix.pageSize()))
                .maxAllocation(limitBytes)
                .build());
    }

    /** The page size allocations are rounded to. */
    public long pageSize() {
        return posix.pageSize();
    }

    /** Bytes of page-locked memory currently held by live allocations. */
    public long pinnedBytes() {
        return pinnedBytes.get();
    }

    /** Bytes of host memory currently held by live allocations, locked or not. */
    public long mappedBytes() {
        return mappedBytes.get();
    }

    @Override
    public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        HostPages pages = allocatePages(roundUpToPage(size));
        boolean locked = lock(pages.address(), pages.size());
        mappedBytes.addAndGet(pages.size());
        if (locked) {
            pinnedBytes.addAndGet(pages.size());
        }
        return new PinnedAllocationManager(accountingAllocator, this, size, pages, locked);
    }

    private HostPages allocatePages(long size) {
        if (posix.canMap()) {
            try {
                return new MappedPages(posix, posix.map(size), size);
            } catch (NativeCallException e) {
                throw new OutOfMemoryException("cannot map " + size + " bytes of host memory: " + e.getMessage());
            }
        }
        Arena arena = Arena.ofShared();
        try {
            return new ArenaPages(arena, arena.allocate(size, posix.pageSize()).address(), size);
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new OutOfMemoryException("cannot allocate " + size + " bytes of host memory");
        }
    }

    @Override
    public ArrowBuf empty() {
        return UnsafeAllocationManager.FACTORY.empty();
    }

    private boolean lock(long address, long size) {
        if (!posix.canLock()) {
            return false;
        }
        int errno = posix.lock(address, size);
        if (errno == 0) {
            return true;
        }
        if (lockWarningLogged.compareAndSet(false, true)) {
            LOG.warn("mlock of {} bytes failed with errno {} ({}): Arrow batches stay in pageable host memory "
                    + "(HostBatch.pinned() is false) and copies to the GPU will be slower. Raise the locked-memory "
                    + "limit of the training process: `ulimit -l unlimited` in its shell, memlock in "
                    + "/etc/security/limits.conf, LimitMEMLOCK=infinity for a systemd unit, --ulimit memlock=-1 "
                    + "for Docker, or grant CAP_IPC_LOCK. This warning is logged once.",
                    size, errno, NativeCallException.name(errno));
        }
        return false;
    }

    void release(HostPages pages, boolean locked) {
        try {
            if (locked) {
                int errno = posix.unlock(pages.address(), pages.size());
                if (errno != 0) {
                    LOG.debug("munlock of {} bytes failed with errno {} ({})", pages.size(), errno,
                            NativeCallException.name(errno));
                }
                pinnedBytes.addAndGet(-pages.size());
            }
        } finally {
            mappedBytes.addAndGet(-pages.size());
            pages.free();
        }
    }

    private long roundUpToPage(long size) {
        long page = posix.pageSize();
        if (size <= 0) {
            return page;
        }
        return Math.ceilDiv(size, page) * page;
    }

    /** Whole pages of host memory that belong to exactly one allocation. */
    sealed interface HostPages permits MappedPages, ArenaPages {
        long address();

        long size();

        void free();
    }

    /** A private anonymous mapping (Linux). */
    record MappedPages(PosixMemory posix, long address, long size) implements HostPages {
        @Override
        public void free() {
            posix.unmap(address, size);
        }
    }

    /** Page-aligned memory of a shared arena, where {@code mmap} is unavailable. */
    record ArenaPages(Arena arena, long address, long size) implements HostPages {
        @Override
        public void free() {
            arena.close();
        }
    }
}
