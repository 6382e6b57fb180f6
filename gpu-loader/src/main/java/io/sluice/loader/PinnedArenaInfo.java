package io.sluice.loader;

import java.time.Duration;
import java.util.Objects;

/**
 * The pinned arena a {@link GpuLoader} made when it was created.
 *
 * @param budgetBytes slabs × slab size: the most pinned memory the loader ever holds
 * @param slabBytes the size of one slab (whole pages)
 * @param slabs the number of slabs
 * @param creationTime how long mapping, pre-touching, locking and registering took
 * @param touchThreads how many threads pre-touched the slabs
 * @param locked whether {@code mlock} locked every page
 * @param registered whether the arena is registered with the device ({@code cuMemHostRegister_v2})
 */
public record PinnedArenaInfo(long budgetBytes, long slabBytes, int slabs, Duration creationTime, int touchThreads,
        boolean locked, boolean registered) {

    public PinnedArenaInfo {
        Objects.requireNonNull(creationTime, "creationTime is null");
    }

    /** Creation time scaled to one GiB, in milliseconds. */
    public double creationMillisPerGiB() {
        return creationTime.toNanos() / 1e6 / (budgetBytes / (double) (1L << 30));
    }
}
