package io.sluice.loader.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Whether this machine lets a test place memory on NUMA node 0: a kernel with NUMA
 * ({@code /proc/self/numa_maps}), node 0 online, and {@code mbind} allowed. A container's seccomp
 * profile commonly refuses {@code mbind} without {@code CAP_SYS_NICE} ({@code EPERM}), and some
 * kernels lack it ({@code ENOSYS}); a test that needs the preference to take is skipped there, as
 * the loader itself then only warns.
 */
public final class NumaSupport {

    private NumaSupport() {
    }

    /** Skips the calling test unless a preference for node 0 takes on this machine. */
    public static void assumeNodeZeroCanBePreferred() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/numa_maps")), "no /proc/self/numa_maps: a kernel without NUMA");
        assumeTrue(NumaNodes.system().online().map(nodes -> nodes.contains(0)).orElse(false), "node 0 is not online");
        try (PinnedArena probe = PinnedArena.create(1, 1, 1, null, false, OptionalInt.of(0))) {
            assumeTrue(probe.creation().numa().preferenceSet(), "mbind is refused here ("
                    + probe.creation().numa().preferenceFailure().orElse("?") + "), e.g. by a container's seccomp profile");
        }
    }
}
