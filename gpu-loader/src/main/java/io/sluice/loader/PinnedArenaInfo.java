package io.sluice.loader;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The pinned arena a {@link GpuLoader} made when it was created.
 *
 * @param budgetBytes slabs × slab size: the most pinned memory the loader ever holds
 * @param slabBytes the size of one slab (whole pages)
 * @param slabs the number of slabs
 * @param creationTime how long mapping, pre-touching, locking and registering took
 * @param touchThreads how many threads pre-touched the slabs
 * @param locked whether {@code mlock} locked every page
 * @param registered whether the arena is registered with the device ({@code cuMemHostRegister_v2}),
 *     which pins it even where mlock was refused
 * @param registrationFailure why registering with the device failed (the loader then carries on in
 *     unregistered memory); empty when it succeeded or there is no device
 * @param hugePages whether the kernel took the advice to back the arena with transparent huge pages
 *     ({@link LoaderConfig#transparentHugePages()})
 * @param numa the NUMA node the arena preferred ({@link LoaderConfig#numaPlacement()}) and its pages
 *     per node as the kernel counted them after the pre-touch
 */
public record PinnedArenaInfo(long budgetBytes, long slabBytes, int slabs, Duration creationTime, int touchThreads,
        boolean locked, boolean registered, Optional<String> registrationFailure, boolean hugePages,
        NumaResidence numa) {

    public PinnedArenaInfo {
        Objects.requireNonNull(creationTime, "creationTime is null");
        Objects.requireNonNull(registrationFailure, "registrationFailure is null");
        Objects.requireNonNull(numa, "numa is null");
    }

    /** Whether the arena is page-locked: by mlock, or by the driver that registered it. */
    public boolean pinned() {
        return locked || registered;
    }

    /** Which kind of host memory batches land in. */
    public HostMemoryMode hostMemory() {
        return HostMemoryMode.of(locked, registered);
    }

    /** Creation time scaled to one GiB, in milliseconds. */
    public double creationMillisPerGiB() {
        return creationTime.toNanos() / 1e6 / (budgetBytes / (double) (1L << 30));
    }
}
