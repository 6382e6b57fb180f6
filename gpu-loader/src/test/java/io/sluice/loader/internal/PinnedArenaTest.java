package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

import io.sluice.loader.HostMemoryDevice;
import io.sluice.loader.NumaResidence;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;

@SuppressWarnings("restricted")
public class PinnedArenaTest {

    private static final long SLAB = 1L << 20;

    @Test
    void locksTheWholeArenaSoVmLckGrowsByItsBudget() throws IOException {
        long before = vmLckKiB();
        try (PinnedArena arena = PinnedArena.create(SLAB, 4, 2, null)) {
            assumeTrue(arena.locked(), "mlock was refused (errno " + arena.creation().lockErrno()
                    + "): raise `ulimit -l` or run as root to check locking");
            assertThat(vmLckKiB() - before).isEqualTo(4 * SLAB / 1024);
            assertThat(arena.budgetBytes()).isEqualTo(4 * SLAB);
        }
        assertThat(vmLckKiB()).isEqualTo(before);
    }

    @Test
    void preTouchesTheSlabsInParallelEachThreadItsShare() {
        try (PinnedArena arena = PinnedArena.create(SLAB, 4, 2, null)) {
            PinnedArena.Creation creation = arena.creation();

            assertThat(creation.touchThreads()).isEqualTo(2);
            assertThat(creation.slabTouchedBy()).containsExactly(
                    "sluice-arena-touch-0", "sluice-arena-touch-1", "sluice-arena-touch-0", "sluice-arena-touch-1");
            assertThat(creation.elapsed()).isPositive();
        }
        try (PinnedArena arena = PinnedArena.create(SLAB, 1, 8, null)) {
            assertThat(arena.creation().touchThreads()).isEqualTo(1);
        }
    }

    @Test
    void sizesEveryAllocationExactlyInsteadOfToAPowerOfTwo() {
        try (PinnedArena arena = PinnedArena.create(SLAB, 2, 1, null);
                RootAllocator root = arena.newRootAllocator(arena.budgetBytes());
                ArrowBuf buffer = root.buffer(600_001)) {
            assertThat(buffer.capacity()).isEqualTo(600_001);
            assertThat(arena.bytesInUse()).isEqualTo(600_064); // rounded to 64 bytes, not to 1 MiB
            assertThat(root.getAllocatedMemory()).isEqualTo(600_001);
            // a second one fits beside it in the same 2 MiB: power-of-two rounding would not fit two
            try (ArrowBuf second = root.buffer(600_001); ArrowBuf third = root.buffer(600_001)) {
                assertThat(arena.bytesInUse()).isEqualTo(3 * 600_064);
                for (ArrowBuf b : List.of(buffer, second, third)) {
                    assertThat(arena.contains(b.memoryAddress(), b.capacity())).isTrue();
                    assertThat(b.memoryAddress() % PinnedArena.ALIGNMENT).isZero();
                    assertThat(PinnedAllocationManager.isPinned(b)).isEqualTo(arena.locked());
                }
            }
        }
    }

    @Test
    void enforcesItsBudgetWithAClearError() {
        try (PinnedArena arena = PinnedArena.create(64 * 1024, 2, 1, null);
                RootAllocator root = arena.newRootAllocator(Long.MAX_VALUE);
                ArrowBuf held = root.buffer(100 * 1024)) {
            assertThatThrownBy(() -> root.buffer(40 * 1024)).isInstanceOf(OutOfMemoryException.class)
                    .hasMessage("the pinned arena has no room for 40960 bytes: 102400 of 131072 bytes (2 slabs of 65536) "
                            + "are held by 1 buffers, the largest free extent is 28672 bytes");
            assertThat(held.capacity()).isEqualTo(100 * 1024);
        }
    }

    @Test
    void reusesFreedExtentsAndJoinsNeighbours() {
        try (PinnedArena arena = PinnedArena.create(64 * 1024, 1, 1, null);
                RootAllocator root = arena.newRootAllocator(Long.MAX_VALUE)) {
            ArrowBuf a = root.buffer(16 * 1024);
            ArrowBuf b = root.buffer(16 * 1024);
            ArrowBuf c = root.buffer(32 * 1024);
            long start = a.memoryAddress();
            b.close();
            a.close();
            try (ArrowBuf joined = root.buffer(32 * 1024)) {
                assertThat(joined.memoryAddress()).isEqualTo(start);
            }
            c.close();
            try (ArrowBuf whole = root.buffer(64 * 1024)) {
                assertThat(whole.memoryAddress()).isEqualTo(arena.address());
            }
            assertThat(arena.bytesInUse()).isZero();
            assertThat(arena.allocations()).isEqualTo(5);
        }
    }

    @Test
    void readsAndWritesThroughArrowAndNativeViewsAlike() {
        try (PinnedArena arena = PinnedArena.create(SLAB, 1, 1, null);
                RootAllocator root = arena.newRootAllocator(SLAB);
                ArrowBuf buffer = root.buffer(10_000)) {
            MemorySegment segment = MemorySegment.ofAddress(buffer.memoryAddress()).reinterpret(buffer.capacity());
            for (long i = 0; i + 8 <= buffer.capacity(); i += 8) {
                buffer.setLong(i, i * 0x9E37_79B9_7F4A_7C15L);
            }
            for (long i = 0; i + 8 <= buffer.capacity(); i += 8) {
                assertThat(segment.get(ValueLayout.JAVA_LONG_UNALIGNED, i)).isEqualTo(i * 0x9E37_79B9_7F4A_7C15L);
            }
        }
    }

    @Test
    void backsVectorsOfChildAllocatorsAndTakesReleasesFromAnyThread() throws InterruptedException {
        try (PinnedArena arena = PinnedArena.create(SLAB, 1, 1, null);
                RootAllocator root = arena.newRootAllocator(SLAB)) {
            try (BufferAllocator child = root.newChildAllocator("child", 0, SLAB);
                    BigIntVector vector = new BigIntVector("v", child)) {
                vector.allocateNew(1000);
                for (int i = 0; i < 1000; i++) {
                    vector.set(i, -i);
                }
                vector.setValueCount(1000);
                assertThat(vector.get(999)).isEqualTo(-999);
                assertThat(arena.contains(vector.getDataBuffer().memoryAddress(), 8000)).isTrue();
            }
            ArrowBuf buffer = root.buffer(4096);
            Thread releaser = Thread.ofPlatform().start(buffer::close);
            releaser.join();
            assertThat(arena.bytesInUse()).isZero();
        }
    }

    @Test
    void registersWithTheDeviceAndUnregistersWhenClosed() {
        try (HostMemoryDevice device = HostMemoryDevice.create()) {
            PinnedArena.HostRegistration registration = new PinnedArena.HostRegistration() {
                @Override
                public void register(long address, long bytes) {
                    device.registerHost(address, bytes);
                }

                @Override
                public void unregister(long address) {
                    device.unregisterHost(address);
                }
            };
            try (PinnedArena arena = PinnedArena.create(SLAB, 3, 2, registration)) {
                assertThat(arena.registered()).isTrue();
                assertThat(device.registeredBytes()).isEqualTo(3 * SLAB);
            }
            assertThat(device.registeredBytes()).isZero();
        }
    }

    @Test
    void carriesOnUnregisteredWhenTheDeviceRefusesTheRegistration() {
        PinnedArena.HostRegistration refusing = new PinnedArena.HostRegistration() {
            @Override
            public void register(long address, long bytes) {
                throw new CudaException("cuMemHostRegister_v2 of " + bytes + " bytes failed: CUDA_ERROR_NOT_PERMITTED");
            }

            @Override
            public void unregister(long address) {
                throw new AssertionError("an arena that was never registered must not unregister");
            }
        };
        try (PinnedArena arena = PinnedArena.create(SLAB, 2, 1, refusing);
                RootAllocator root = arena.newRootAllocator(arena.budgetBytes());
                ArrowBuf buffer = root.buffer(1000)) {
            assertThat(arena.registered()).isFalse();
            assertThat(arena.creation().registrationFailure()).hasValueSatisfying(
                    failure -> assertThat(failure).contains("CUDA_ERROR_NOT_PERMITTED"));
            assertThat(arena.pinned()).isEqualTo(arena.locked());
            buffer.setByte(999, 1); // usable
        }
    }

    @Test
    void reportsTheArenaPinnedWhenMlockIsRefusedButTheDriverRegisteredIt() {
        PinnedArena.TouchHook mlockRefused = new PinnedArena.TouchHook() {
            @Override
            public int lockResult(int slab, int errno) {
                return 12; // ENOMEM, as under a small RLIMIT_MEMLOCK
            }
        };
        try (HostMemoryDevice device = HostMemoryDevice.create();
                PinnedArena arena = PinnedArena.create(SLAB, 2, 1, registration(device), mlockRefused);
                RootAllocator root = arena.newRootAllocator(arena.budgetBytes());
                ArrowBuf buffer = root.buffer(1000)) {
            assertThat(arena.locked()).isFalse();
            assertThat(arena.registered()).isTrue();
            assertThat(arena.pinned()).isTrue();
            assertThat(arena.pinnedBytesInUse()).isEqualTo(1024);
            assertThat(PinnedAllocationManager.isPinned(buffer)).isTrue();
        }
        try (PinnedArena unregistered = PinnedArena.create(SLAB, 1, 1, null, mlockRefused);
                RootAllocator root = unregistered.newRootAllocator(unregistered.budgetBytes());
                ArrowBuf buffer = root.buffer(1000)) {
            assertThat(unregistered.pinned()).isFalse();
            assertThat(unregistered.pinnedBytesInUse()).isZero();
            assertThat(PinnedAllocationManager.isPinned(buffer)).isFalse();
        }
    }

    @Test
    void unmapsAndUnlocksTheArenaWhenAPreTouchThreadFails() throws IOException {
        long before = vmLckKiB();
        long[] slabAddress = new long[4];
        PinnedArena.TouchHook failOnThirdSlab = new PinnedArena.TouchHook() {
            @Override
            public void beforeTouch(int slab, long address) {
                slabAddress[slab] = address;
                if (slab == 2) {
                    throw new IllegalStateException("injected pre-touch failure");
                }
            }
        };

        assertThatThrownBy(() -> PinnedArena.create(SLAB, 4, 1, null, failOnThirdSlab))
                .hasMessage("injected pre-touch failure");

        assertThat(slabAddress[0]).isNotZero();
        assertThat(mapped(slabAddress[0])).as("the arena's first slab is still mapped").isFalse();
        assertThat(vmLckKiB()).as("the slabs locked before the failure are unlocked").isEqualTo(before);
    }

    @Test
    void advisesTransparentHugePagesWhenAsked() throws IOException {
        boolean kernelHasThp = Files.exists(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        try (PinnedArena plain = PinnedArena.create(4 * SLAB, 1, 1, null, false);
                PinnedArena huge = PinnedArena.create(4 * SLAB, 1, 1, null, true)) {
            assertThat(plain.creation().hugePages()).isFalse();
            // the kernel refuses MADV_HUGEPAGE (EINVAL) only where it was built without THP
            assertThat(huge.creation().hugePages()).isEqualTo(kernelHasThp);
            assertThat(hugePageFlag(huge.address())).as("the arena's mapping carries the hg (MADV_HUGEPAGE) flag")
                    .isEqualTo(huge.creation().hugePages());
            assertThat(hugePageFlag(plain.address())).isFalse();
        }
    }

    @Test
    void prefersTheRequestedNumaNodeAndReportsWhereThePagesWent() throws IOException {
        NumaSupport.assumeNodeZeroCanBePreferred();
        try (PinnedArena arena = PinnedArena.create(SLAB, 4, 2, null, false, OptionalInt.of(0))) {
            NumaResidence numa = arena.creation().numa();

            // the kernel's own record of the mapping: mbind(MPOL_PREFERRED, node 0) was called before the touch
            assertThat(numaMapsLine(arena.address()).split(" ")[1]).isEqualTo("prefer:0");
            assertThat(numa.requestedNode()).hasValue(0);
            assertThat(numa.preferenceSet()).isTrue();
            assertThat(numa.pagesPerNode()).hasValue(new TreeMap<>(Map.of(0, arena.budgetBytes() / arena.pageSize())));
            assertThat(numa.shareOnRequestedNode()).hasValue(1.0);
            assertThat(numa.description()).isEqualTo("NUMA node 0 (100% of pages)");
        }
    }

    @Test
    void leavesThePolicyAtTheDefaultWithoutANodeAndStillCountsThePages() throws IOException {
        NumaSupport.assumeNodeZeroCanBePreferred();
        try (PinnedArena arena = PinnedArena.create(SLAB, 2, 1, null)) {
            NumaResidence numa = arena.creation().numa();

            assertThat(numaMapsLine(arena.address()).split(" ")[1]).isEqualTo("default");
            assertThat(numa.requestedNode()).isEmpty();
            assertThat(numa.pagesPerNode()).hasValueSatisfying(pages -> assertThat(pages.values().stream()
                    .mapToLong(Long::longValue).sum()).isEqualTo(arena.budgetBytes() / arena.pageSize()));
            assertThat(numa.description()).startsWith("NUMA first touch (N");
        }
    }

    @Test
    void staysUsableWhenTheKernelRefusesThePreference() throws IOException {
        NumaSupport.assumeNodeZeroCanBePreferred();
        int offline = 63; // this machine's nodes are below it; the loader refuses it before it gets here
        assumeTrue(!NumaNodes.system().online().orElseThrow().contains(offline));
        try (PinnedArena arena = PinnedArena.create(SLAB, 1, 1, null, false, OptionalInt.of(offline));
                RootAllocator root = arena.newRootAllocator(SLAB);
                ArrowBuf buffer = root.buffer(1000)) {
            NumaResidence numa = arena.creation().numa();

            assertThat(numa.preferenceSet()).isFalse();
            assertThat(numa.preferenceFailure()).hasValue("mbind failed with errno 22 (EINVAL)");
            assertThat(numa.shareOnRequestedNode()).hasValue(0.0);
            assertThat(numa.description()).startsWith("NUMA node 63 not set (mbind failed with errno 22 (EINVAL); N");
            assertThat(numaMapsLine(arena.address()).split(" ")[1]).isEqualTo("default");
            buffer.setByte(999, 1); // usable
        }
    }

    @Test
    void staysMappedWhileABufferStillPointsIntoIt() {
        PinnedArena arena = PinnedArena.create(SLAB, 1, 1, null);
        RootAllocator root = arena.newRootAllocator(SLAB);
        ArrowBuf buffer = root.buffer(100);

        assertThatThrownBy(arena::close).isInstanceOf(IllegalStateException.class)
                .hasMessage("the pinned arena still holds 1 buffers (128 bytes); it stays mapped until the process ends");
        buffer.setByte(0, 7); // still valid
        buffer.close();
        root.close();
        arena.close();
    }

    @Test
    void answersAZeroSizeRequestWithTheEmptyBuffer() {
        try (PinnedArena arena = PinnedArena.create(SLAB, 1, 1, null);
                RootAllocator root = arena.newRootAllocator(SLAB);
                ArrowBuf empty = root.buffer(0)) {
            assertThat(empty.capacity()).isZero();
            assertThat(PinnedAllocationManager.isPinned(empty)).isTrue();
            assertThat(arena.bytesInUse()).isZero();
        }
    }

    private static PinnedArena.HostRegistration registration(HostMemoryDevice device) {
        return new PinnedArena.HostRegistration() {
            @Override
            public void register(long address, long bytes) {
                device.registerHost(address, bytes);
            }

            @Override
            public void unregister(long address) {
                device.unregisterHost(address);
            }
        };
    }

    /** Whether the mapping holding {@code address} has VmFlags "hg" (advised MADV_HUGEPAGE), from /proc/self/smaps. */
    private static boolean hugePageFlag(long address) throws IOException {
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("VmFlags:")) {
                return java.util.Arrays.asList(line.substring("VmFlags:".length()).trim().split(" ")).contains("hg");
            }
        }
        return false;
    }


    /** The numa_maps line of the mapping that holds {@code address}, found through its start in /proc/self/maps. */
    private static String numaMapsLine(long address) throws IOException {
        String start = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(line -> line.substring(0, line.indexOf(' ')).split("-"))
                .filter(range -> Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16))
                .map(range -> range[0])
                .findFirst().orElseThrow();
        return Files.readAllLines(Path.of("/proc/self/numa_maps")).stream()
                .filter(line -> line.startsWith(start + " "))
                .findFirst().orElseThrow(() -> new AssertionError("no numa_maps line starts at " + start));
    }

    /** Whether {@code address} lies in a mapping of this process (/proc/self/maps). */
    private static boolean mapped(long address) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(line -> {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            return Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
        });
    }

    private static long vmLckKiB() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("VmLck:"))
                .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                .findFirst()
                .orElseThrow();
    }
}
