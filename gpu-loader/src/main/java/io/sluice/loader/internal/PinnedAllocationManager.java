package io.sluice.loader.internal;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.BufferLedger;
import org.apache.arrow.memory.ReferenceManager;

/**
 * One Arrow allocation in page-locked host memory.
 *
 * <p>On Linux the memory is a private anonymous {@code mmap} of whole pages, so that no other
 * allocation shares a page with it and {@code munlock} of this allocation never unlocks a
 * neighbour's page. Elsewhere it comes from a shared {@link Arena}, page aligned and page sized.
 * The memory is then locked with {@code mlock}; if the kernel refuses (typically {@code ENOMEM}
 * under {@code RLIMIT_MEMLOCK}), the allocation stays usable in ordinary pageable memory and
 * {@link #locked()} says so.
 *
 * <p>Created by {@link PinnedMemory} when Arrow asks for memory; Arrow calls {@link #release0()}
 * exactly once, from whichever thread dropped the last reference, which is why nothing here is
 * bound to a thread.
 */
public final class PinnedAllocationManager extends AllocationManager {

    private final PinnedMemory memory;
    private final long size;
    private final PinnedMemory.HostPages pages;
    private final boolean locked;

    PinnedAllocationManager(
            BufferAllocator accountingAllocator,
            PinnedMemory memory,
            long size,
            PinnedMemory.HostPages pages,
            boolean locked) {
        super(accountingAllocator);
        this.memory = memory;
        this.size = size;
        this.pages = pages;
        this.locked = locked;
    }

    /** Whether this allocation is page-locked (pinned) host memory. */
    public boolean locked() {
        return locked;
    }

    /** The number of bytes actually mapped: {@link #getSize()} rounded up to whole pages. */
    public long mappedSize() {
        return pages.size();
    }

    /**
     * Whether {@code buffer} lies in page-locked memory made by a {@link PinnedMemory}.
     * Zero-capacity buffers hold no memory and count as pinned.
     */
    public static boolean isPinned(ArrowBuf buffer) {
        if (buffer.capacity() == 0) {
            return true;
        }
        ReferenceManager reference = buffer.getReferenceManager();
        return reference instanceof BufferLedger ledger
                && ledger.getAllocationManager() instanceof PinnedAllocationManager manager
                && manager.locked();
    }

    @Override
    public long getSize() {
        return size;
    }

    @Override
    protected long memoryAddress() {
        return pages.address();
    }

    @Override
    protected void release0() {
        memory.release(pages, locked);
    }
}
