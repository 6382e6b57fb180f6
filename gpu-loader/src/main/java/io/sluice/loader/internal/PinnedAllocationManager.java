package io.sluice.loader.internal;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.BufferLedger;
import org.apache.arrow.memory.ReferenceManager;

/**
 * One Arrow allocation: an extent of a {@link PinnedArena}, exactly the requested size rounded up
 * to {@link PinnedArena#ALIGNMENT}.
 *
 * <p>Created by the arena when Arrow asks for memory; Arrow calls {@link #release0()} exactly once,
 * from whichever thread dropped the last reference, which is why nothing here is bound to a thread.
 */
public final class PinnedAllocationManager extends AllocationManager {

    private final PinnedArena arena;
    private final long size;
    private final long address;
    private final long extent;

    PinnedAllocationManager(BufferAllocator accountingAllocator, PinnedArena arena, long size, long address, long extent) {
        super(accountingAllocator);
        this.arena = arena;
        this.size = size;
        this.address = address;
        this.extent = extent;
    }

    /** Whether this allocation is page-locked (pinned) host memory: locked by mlock or registered with the device. */
    public boolean locked() {
        return arena.pinned();
    }

    /** The arena this allocation belongs to. */
    public PinnedArena arena() {
        return arena;
    }

    /** The start of the allocation. */
    public long address() {
        return address;
    }

    /** The bytes the allocation takes in the arena: {@link #getSize()} rounded up to {@link PinnedArena#ALIGNMENT}. */
    public long extentSize() {
        return extent;
    }

    /** The allocation that holds {@code buffer}'s memory, if it is an arena extent. */
    public static java.util.Optional<PinnedAllocationManager> of(ArrowBuf buffer) {
        ReferenceManager reference = buffer.getReferenceManager();
        if (reference instanceof BufferLedger ledger && ledger.getAllocationManager() instanceof PinnedAllocationManager m) {
            return java.util.Optional.of(m);
        }
        return java.util.Optional.empty();
    }

    /**
     * Whether {@code buffer} lies in page-locked memory of a {@link PinnedArena}. Zero-capacity
     * buffers hold no memory and count as pinned.
     */
    public static boolean isPinned(ArrowBuf buffer) {
        if (buffer.capacity() == 0) {
            return true;
        }
        return of(buffer).map(PinnedAllocationManager::locked).orElse(false);
    }

    @Override
    public long getSize() {
        return size;
    }

    @Override
    protected long memoryAddress() {
        return address;
    }

    @Override
    protected void release0() {
        arena.give(address, extent);
    }
}
