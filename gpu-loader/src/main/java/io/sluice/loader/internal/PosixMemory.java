package io.sluice.loader.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * The few POSIX calls the pinned allocator needs, bound through {@link Linker} downcalls:
 * {@code mmap}/{@code munmap} for page-exclusive anonymous memory (Linux only) and
 * {@code mlock}/{@code munlock} to page-lock it, {@code madvise} for huge pages and {@code mbind}
 * (through {@code syscall}) for NUMA placement, with {@code errno} captured.
 *
 * <p>Thread-safe: the handles are immutable and every call captures {@code errno} into its own
 * confined arena.
 */
final class PosixMemory {

    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20; // Linux value on x86-64 and aarch64
    private static final long MAP_FAILED = -1L;
    private static final long FALLBACK_PAGE_SIZE = 4096;
    private static final int MADV_HUGEPAGE = 14; // Linux
    private static final long MPOL_PREFERRED = 1; // <linux/mempolicy.h>

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private final Optional<MethodHandle> mmap;
    private final Optional<MethodHandle> munmap;
    private final Optional<MethodHandle> mlock;
    private final Optional<MethodHandle> munlock;
    private final Optional<MethodHandle> madvise;
    private final Optional<MethodHandle> syscall;
    private final long mbindNumber;
    private final long pageSize;

    private PosixMemory(
            Optional<MethodHandle> mmap,
            Optional<MethodHandle> munmap,
            Optional<MethodHandle> mlock,
            Optional<MethodHandle> munlock,
            Optional<MethodHandle> madvise,
            Optional<MethodHandle> syscall,
            long mbindNumber,
            long pageSize) {
        this.mmap = mmap;
        this.munmap = munmap;
        this.mlock = mlock;
        this.munlock = munlock;
        this.madvise = madvise;
        this.syscall = syscall;
        this.mbindNumber = mbindNumber;
        this.pageSize = pageSize;
    }

    /** Binds whatever this platform offers; never throws for a missing symbol. */
    @SuppressWarnings("restricted") // native access is the point; the JVM runs with --enable-native-access
    static PosixMemory load() {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

        Optional<MethodHandle> mmap = linux
                ? libc.find("mmap").map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                        errno))
                : Optional.empty();
        Optional<MethodHandle> munmap = linux
                ? libc.find("munmap").map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), errno))
                : Optional.empty();
        FunctionDescriptor lockDescriptor =
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        Optional<MethodHandle> mlock = libc.find("mlock").map(symbol -> linker.downcallHandle(symbol, lockDescriptor, errno));
        Optional<MethodHandle> munlock =
                libc.find("munlock").map(symbol -> linker.downcallHandle(symbol, lockDescriptor, errno));

        long pageSize = libc.find("getpagesize")
                .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT)))
                .map(PosixMemory::callPageSize)
                .orElse(FALLBACK_PAGE_SIZE);
        Optional<MethodHandle> madvise = linux
                ? libc.find("madvise").map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), errno))
                : Optional.empty();
        // glibc does not export mbind (libnuma does, and may be absent): call it by number through
        // syscall(long number, ...), every argument passed as a full register-wide long.
        long mbindNumber = linux ? mbindSyscallNumber(System.getProperty("os.arch", "")) : -1;
        Optional<MethodHandle> syscall = mbindNumber < 0 ? Optional.empty()
                : libc.find("syscall").map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                        Linker.Option.firstVariadicArg(1), errno));
        return new PosixMemory(mmap, munmap, mlock.filter(_ -> munlock.isPresent()), munlock, madvise, syscall,
                mbindNumber, pageSize);
    }

    /** {@code __NR_mbind} for the JVM's architecture ({@code os.arch}); -1 where the loader does not know it. */
    static long mbindSyscallNumber(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> 237; // arch/x86/entry/syscalls/syscall_64.tbl
            case "aarch64" -> 235; // include/uapi/asm-generic/unistd.h
            default -> -1;
        };
    }

    private static long callPageSize(MethodHandle getpagesize) {
        try {
            int size = (int) getpagesize.invokeExact();
            return size > 0 && Long.bitCount(size) == 1 ? size : FALLBACK_PAGE_SIZE;
        } catch (Throwable e) {
            return FALLBACK_PAGE_SIZE;
        }
    }

    long pageSize() {
        return pageSize;
    }

    /** Whether anonymous page-exclusive mappings are available (Linux). */
    boolean canMap() {
        return mmap.isPresent() && munmap.isPresent();
    }

    boolean canLock() {
        return mlock.isPresent();
    }

    /**
     * Maps {@code size} bytes (a multiple of the page size) of private anonymous, zeroed memory.
     *
     * @return the address
     * @throws NativeCallException with {@code errno} when the kernel refuses
     */
    long map(long size) {
        MethodHandle handle = mmap.orElseThrow(() -> new IllegalStateException("mmap is not available on this platform"));
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            MemorySegment address = (MemorySegment) handle.invokeExact(
                    state, MemorySegment.NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (address.address() == MAP_FAILED) {
                throw new NativeCallException("mmap", size, (int) ERRNO.get(state, 0L));
            }
            return address.address();
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("mmap of " + size + " bytes failed", e);
        }
    }

    void unmap(long address, long size) {
        call(munmap.orElseThrow(() -> new IllegalStateException("munmap is not available on this platform")),
                "munmap", address, size);
    }

    /**
     * Asks for transparent huge pages over {@code [address, address + size)}
     * ({@code madvise(MADV_HUGEPAGE)}): fewer page faults when the memory is touched, fewer TLB
     * misses and larger contiguous ranges for DMA. Only a hint: the kernel may have THP off.
     *
     * @return 0 on success, else the {@code errno} ({@code EINVAL} when the kernel has no THP)
     */
    int adviseHugePages(long address, long size) {
        if (madvise.isEmpty()) {
            return NativeCallException.ENOSYS;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            int result = (int) madvise.get().invokeExact(state, MemorySegment.ofAddress(address), size, MADV_HUGEPAGE);
            return result == 0 ? 0 : (int) ERRNO.get(state, 0L);
        } catch (Throwable e) {
            throw new IllegalStateException("madvise of " + size + " bytes at 0x" + Long.toHexString(address) + " failed", e);
        }
    }

    /**
     * Sets the NUMA policy of {@code [address, address + size)} to prefer {@code node}
     * ({@code mbind(MPOL_PREFERRED)}), so pages touched afterwards are placed there while the node has
     * free memory, elsewhere when it has not. Call it before the memory is touched: pages already
     * present stay where they are.
     *
     * @return 0 on success, else the {@code errno}; {@code ENOSYS} where {@code mbind} is not available
     *     (not Linux, an architecture whose syscall number the loader does not know)
     */
    int preferNode(long address, long size, int node) {
        if (syscall.isEmpty()) {
            return NativeCallException.ENOSYS;
        }
        if (node < 0) {
            throw new IllegalArgumentException("node must be >= 0, was " + node);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            // One bit per node in unsigned longs. maxnode counts one more than the mask's bits: the kernel
            // decrements it before use (mm/mempolicy.c get_nodes; libnuma passes the mask's size + 1 too),
            // so a one-word mask with maxnode 64 would drop node 63.
            int words = node / Long.SIZE + 1;
            MemorySegment mask = call.allocate(ValueLayout.JAVA_LONG, words);
            mask.setAtIndex(ValueLayout.JAVA_LONG, node / Long.SIZE, 1L << (node % Long.SIZE));
            long maxnode = (long) words * Long.SIZE + 1;
            long result = (long) syscall.get().invokeExact(state, mbindNumber, address, size, MPOL_PREFERRED, mask,
                    maxnode, 0L);
            return result == 0 ? 0 : (int) ERRNO.get(state, 0L);
        } catch (Throwable e) {
            throw new IllegalStateException("mbind of " + size + " bytes at 0x" + Long.toHexString(address) + " failed", e);
        }
    }

    /** @return 0 on success, else the {@code errno} of the failed {@code mlock} */
    int lock(long address, long size) {
        return mlock.map(handle -> errnoOf(handle, address, size)).orElse(NativeCallException.ENOSYS);
    }

    /** @return 0 on success, else the {@code errno} of the failed {@code munlock} */
    int unlock(long address, long size) {
        return munlock.map(handle -> errnoOf(handle, address, size)).orElse(NativeCallException.ENOSYS);
    }

    private static void call(MethodHandle handle, String name, long address, long size) {
        int errno = errnoOf(handle, address, size);
        if (errno != 0) {
            throw new NativeCallException(name, size, errno);
        }
    }

    private static int errnoOf(MethodHandle handle, long address, long size) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(CAPTURE_LAYOUT);
            int result = (int) handle.invokeExact(state, MemorySegment.ofAddress(address), size);
            return result == 0 ? 0 : (int) ERRNO.get(state, 0L);
        } catch (Throwable e) {
            throw new IllegalStateException("native memory call failed for " + size + " bytes at 0x"
                    + Long.toHexString(address), e);
        }
    }
}
