package io.sluice.loader.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A CUDA driver made of Java methods exposed as native function pointers (FFM upcalls): the
 * loader's downcall handles call them through the very descriptors they use against
 * {@code libcuda.so.1}. "Device memory" is host memory. Like a real stream, copies and event
 * records run later, in order, on a stream thread (each copy after {@link #copyDelay}), and
 * {@code cuEventSynchronize}/{@code cuStreamSynchronize} wait for them. It logs every call by export
 * name, and can be told to fail a call with a given {@code CUresult} (at once or after some
 * successes) or to lack an export (then {@code cuGetProcAddress_v2} serves it).
 */
@SuppressWarnings("restricted")
public final class FakeCudaDriver implements AutoCloseable {

    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    public static final int CUDA_ERROR_NO_DEVICE = 100;
    public static final int CUDA_ERROR_NOT_PERMITTED = 800;
    public static final int CUDA_ERROR_LAUNCH_FAILED = 719;

    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> exports = new HashMap<>();
    private final Map<String, MemorySegment> procAddresses = new HashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Set<String> missing = new HashSet<>();
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Map<Long, Arena> allocations = new HashMap<>();
    private final Map<Long, Long> events = new HashMap<>();
    private final Map<Integer, MemorySegment> strings = new HashMap<>();
    private final Map<Long, Long> registered = new HashMap<>();
    private final List<Integer> eventFlags = new ArrayList<>();
    private long nextEvent = 0x7000;
    private final Map<String, Integer> successesBeforeFailure = new HashMap<>();
    private final java.util.concurrent.ExecutorService stream = java.util.concurrent.Executors.newSingleThreadExecutor(
            task -> Thread.ofPlatform().daemon().name("fake-cuda-stream").unstarted(task));
    private final Map<Long, java.util.concurrent.Future<?>> eventRecords = new HashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger pendingCopies = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger completedCopies = new java.util.concurrent.atomic.AtomicInteger();
    private volatile java.time.Duration copyDelay = java.time.Duration.ZERO;
    private boolean everRegistered;
    private int contextReferences;
    private static final long PRIMARY = 0x1000;
    private final Set<Long> foreignContexts = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Long> current = ThreadLocal.withInitial(() -> 0L);
    private int resets;
    private int copiesFromReleasedMemory;
    private volatile String pciBusId = "0000:3B:00.0";

    public FakeCudaDriver() {
        for (CudaDriver.Function function : CudaDriver.Function.values()) {
            MemorySegment stub = stub(function);
            exports.put(function.symbol(), stub);
            procAddresses.put(function.apiName(), stub);
        }
    }

    /** Makes {@code symbol} fail with {@code result}. */
    public FakeCudaDriver failing(String symbol, int result) {
        failures.put(symbol, result);
        return this;
    }

    /** Makes {@code symbol} succeed {@code successes} times, then fail with {@code result}. */
    public synchronized FakeCudaDriver failingAfter(String symbol, int successes, int result) {
        failures.put(symbol, result);
        successesBeforeFailure.put(symbol, successes);
        return this;
    }

    /** Makes every copy take {@code delay} on the stream thread after it was enqueued. */
    public FakeCudaDriver copyDelay(java.time.Duration delay) {
        this.copyDelay = delay;
        return this;
    }

    /** Copies that ran after their host memory had been unregistered: a loader bug (the copy is skipped, not made). */
    public synchronized int copiesFromReleasedMemory() {
        return copiesFromReleasedMemory;
    }

    /** Copies that ran to completion on the stream thread. */
    public int completedCopies() {
        return completedCopies.get();
    }

    /** Copies enqueued and not yet completed. */
    public int pendingCopies() {
        return pendingCopies.get();
    }

    /** Removes {@code symbol} from the exports (cuGetProcAddress_v2 still knows it by its API name). */
    public FakeCudaDriver without(String symbol) {
        missing.add(symbol);
        return this;
    }

    public SymbolLookup lookup() {
        return name -> missing.contains(name) ? Optional.empty() : Optional.ofNullable(exports.get(name));
    }

    /** A lookup that knows only the named exports. */
    SymbolLookup only(String... symbols) {
        Set<String> known = Set.of(symbols);
        return name -> known.contains(name) ? Optional.ofNullable(exports.get(name)) : Optional.empty();
    }

    /** The exports called so far, in order. */
    public List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** The flags of every cuEventCreate so far, in order. */
    public synchronized List<Integer> eventFlags() {
        return List.copyOf(eventFlags);
    }

    public synchronized int liveAllocations() {
        return allocations.size();
    }

    public synchronized Map<Long, Long> registered() {
        return Map.copyOf(registered);
    }

    @Override
    public void close() {
        stream.shutdown();
        try {
            stream.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            allocations.values().forEach(Arena::close);
            allocations.clear();
        }
        arena.close();
    }

    private MemorySegment stub(CudaDriver.Function function) {
        String method = function.symbol();
        FunctionDescriptor descriptor = function.descriptor();
        try {
            MethodHandle target = MethodHandles.lookup()
                    .findVirtual(FakeCudaDriver.class, method, descriptor.toMethodType())
                    .bindTo(this);
            return Linker.nativeLinker().upcallStub(target, descriptor, arena);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("FakeCudaDriver lacks " + method + descriptor.toMethodType(), e);
        }
    }

    private int enter(String symbol) {
        calls.add(symbol);
        synchronized (this) {
            Integer failure = failures.get(symbol);
            if (failure == null) {
                return 0;
            }
            int successes = successesBeforeFailure.getOrDefault(symbol, 0);
            if (successes > 0) {
                successesBeforeFailure.put(symbol, successes - 1);
                return 0;
            }
            return failure;
        }
    }

    private static void await(java.util.concurrent.Future<?> done) {
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    // ---- the functions, named by their exports, with the exact C signatures as Java types ----

    int cuInit(int flags) {
        return enter("cuInit");
    }

    int cuDriverGetVersion(MemorySegment version) {
        version.reinterpret(4).set(JAVA_INT, 0, 13000);
        return enter("cuDriverGetVersion");
    }

    int cuDeviceGet(MemorySegment device, int ordinal) {
        int result = enter("cuDeviceGet");
        if (result != 0) {
            return result;
        }
        if (ordinal != 0) {
            return 101; // CUDA_ERROR_INVALID_DEVICE
        }
        device.reinterpret(4).set(JAVA_INT, 0, 0);
        return 0;
    }

    int cuDeviceGetName(MemorySegment name, int length, int device) {
        byte[] bytes = "Fake GPU\0".getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, name.reinterpret(length), 0, bytes.length);
        return enter("cuDeviceGetName");
    }

    /** Makes cuDeviceGetPCIBusId answer {@code busId} (the driver's form, e.g. {@code 0000:3B:00.0}). */
    public FakeCudaDriver pciBusId(String busId) {
        this.pciBusId = busId;
        return this;
    }

    int cuDeviceGetPCIBusId(MemorySegment busId, int length, int device) {
        byte[] bytes = (pciBusId + "\0").getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > length) {
            return 1; // CUDA_ERROR_INVALID_VALUE
        }
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, busId.reinterpret(length), 0, bytes.length);
        return enter("cuDeviceGetPCIBusId");
    }

    int cuDevicePrimaryCtxRetain(MemorySegment context, int device) {
        context.reinterpret(8).set(ADDRESS, 0, MemorySegment.ofAddress(0x1000));
        int result = enter("cuDevicePrimaryCtxRetain");
        if (result == 0) {
            synchronized (this) {
                contextReferences++;
            }
        }
        return result;
    }

    /** Like the driver: the last release resets the primary context, freeing every allocation made in it. */
    int cuDevicePrimaryCtxRelease_v2(int device) {
        int result = enter("cuDevicePrimaryCtxRelease_v2");
        if (result != 0) {
            return result;
        }
        synchronized (this) {
            if (contextReferences == 0) {
                return 201; // CUDA_ERROR_INVALID_CONTEXT
            }
            if (--contextReferences == 0) {
                resets++;
                allocations.values().forEach(Arena::close);
                allocations.clear();
            }
        }
        return 0;
    }

    /** Makes {@code context} a valid context the fake did not create (another library's, another device's). */
    public FakeCudaDriver foreignContext(long context) {
        foreignContexts.add(context);
        return this;
    }

    int cuCtxSetCurrent(MemorySegment context) {
        long address = context.address();
        synchronized (this) {
            boolean valid = address == 0 || foreignContexts.contains(address) || (address == PRIMARY && contextReferences > 0);
            if (!valid) {
                return 201; // CUDA_ERROR_INVALID_CONTEXT: unknown, or reset by its last release
            }
        }
        int result = enter("cuCtxSetCurrent");
        if (result == 0) {
            current.set(address);
        }
        return result;
    }

    int cuCtxGetCurrent(MemorySegment context) {
        context.reinterpret(8).set(ADDRESS, 0, MemorySegment.ofAddress(current.get()));
        return enter("cuCtxGetCurrent");
    }

    /** Like the driver: calls that work in "the" context fail unless the primary context is current on this thread. */
    private int inPrimaryContext(int result) {
        if (result != 0) {
            return result;
        }
        return current.get() == PRIMARY ? 0 : 201; // CUDA_ERROR_INVALID_CONTEXT (or, worse, the wrong device)
    }

    /** References to the primary context now. */
    public synchronized int contextReferences() {
        return contextReferences;
    }

    /** How often the primary context was reset (its last reference released). */
    public synchronized int contextResets() {
        return resets;
    }

    int cuMemAlloc_v2(MemorySegment pointer, long bytes) {
        int result = inPrimaryContext(enter("cuMemAlloc_v2"));
        if (result != 0) {
            return result;
        }
        Arena memory = Arena.ofShared();
        long address = memory.allocate(bytes, 256).address();
        synchronized (this) {
            allocations.put(address, memory);
        }
        pointer.reinterpret(8).set(JAVA_LONG, 0, address);
        return 0;
    }

    int cuMemFree_v2(long pointer) {
        Arena memory;
        synchronized (this) {
            memory = allocations.remove(pointer);
        }
        if (memory == null) {
            return 1; // CUDA_ERROR_INVALID_VALUE
        }
        memory.close();
        return enter("cuMemFree_v2");
    }

    int cuMemHostRegister_v2(MemorySegment address, long bytes, int flags) {
        int result = inPrimaryContext(enter("cuMemHostRegister_v2"));
        if (result == 0) {
            synchronized (this) {
                registered.put(address.address(), bytes);
                everRegistered = true;
            }
        }
        return result;
    }

    int cuMemHostUnregister(MemorySegment address) {
        synchronized (this) {
            return registered.remove(address.address()) == null ? 713 : enter("cuMemHostUnregister");
        }
    }

    int cuMemcpyHtoDAsync_v2(long device, MemorySegment host, long bytes, MemorySegment handle) {
        int result = inPrimaryContext(enter("cuMemcpyHtoDAsync_v2"));
        if (result == 0) {
            long hostAddress = host.address();
            pendingCopies.incrementAndGet();
            stream.execute(() -> {
                try {
                    java.util.concurrent.locks.LockSupport.parkNanos(copyDelay.toNanos());
                    synchronized (this) { // cuMemHostUnregister waits: the host memory stays mapped while this copies
                        Long start = allocations.keySet().stream().filter(a -> a <= device).max(Long::compare).orElse(null);
                        boolean hostRegistered = registered.entrySet().stream()
                                .anyMatch(r -> r.getKey() <= hostAddress && hostAddress + bytes <= r.getKey() + r.getValue());
                        if (everRegistered && !hostRegistered) {
                            // the arena was unregistered (and is about to be unmapped) under a pending copy
                            copiesFromReleasedMemory++;
                        } else if (start != null) { // copy only into live device memory, as a real copy would fault
                            MemorySegment.copy(MemorySegment.ofAddress(hostAddress).reinterpret(bytes), 0,
                                    MemorySegment.ofAddress(device).reinterpret(bytes), 0, bytes);
                        }
                    }
                } finally {
                    completedCopies.incrementAndGet();
                    pendingCopies.decrementAndGet();
                }
            });
        }
        return result;
    }

    int cuStreamCreate(MemorySegment stream, int flags) {
        stream.reinterpret(8).set(ADDRESS, 0, MemorySegment.ofAddress(0x2000));
        return inPrimaryContext(enter("cuStreamCreate"));
    }

    int cuStreamSynchronize(MemorySegment handle) {
        int result = enter("cuStreamSynchronize");
        if (result == 0) {
            await(stream.submit(() -> {
            }));
        }
        return result;
    }

    int cuStreamDestroy_v2(MemorySegment stream) {
        return enter("cuStreamDestroy_v2");
    }

    int cuEventCreate(MemorySegment event, int flags) {
        long handle;
        synchronized (this) {
            handle = nextEvent++;
            events.put(handle, 0L);
            eventFlags.add(flags);
        }
        event.reinterpret(8).set(ADDRESS, 0, MemorySegment.ofAddress(handle));
        return inPrimaryContext(enter("cuEventCreate"));
    }

    int cuEventRecord(MemorySegment event, MemorySegment handle) {
        int result = inPrimaryContext(handle.address() == 0x2000 ? enter("cuEventRecord") : 400); // 400: CUDA_ERROR_INVALID_HANDLE
        if (result == 0) {
            long key = event.address();
            synchronized (this) {
                eventRecords.put(key, stream.submit(() -> {
                    synchronized (this) {
                        events.put(key, System.nanoTime());
                    }
                }));
            }
        }
        return result;
    }

    int cuEventSynchronize(MemorySegment event) {
        int result = enter("cuEventSynchronize");
        if (result == 0) {
            java.util.concurrent.Future<?> recorded;
            synchronized (this) {
                recorded = eventRecords.get(event.address());
            }
            if (recorded != null) {
                await(recorded);
            }
        }
        return result;
    }

    int cuEventElapsedTime_v2(MemorySegment millis, MemorySegment start, MemorySegment end) {
        synchronized (this) {
            millis.reinterpret(4).set(JAVA_FLOAT, 0, (events.get(end.address()) - events.get(start.address())) / 1e6f);
        }
        return enter("cuEventElapsedTime_v2");
    }

    int cuEventDestroy_v2(MemorySegment event) {
        synchronized (this) {
            events.remove(event.address());
        }
        return enter("cuEventDestroy_v2");
    }

    int cuGetErrorName(int result, MemorySegment text) {
        String name = switch (result) {
            case CUDA_ERROR_OUT_OF_MEMORY -> "CUDA_ERROR_OUT_OF_MEMORY";
            case CUDA_ERROR_NO_DEVICE -> "CUDA_ERROR_NO_DEVICE";
            default -> null;
        };
        return text(text, name, result * 2);
    }

    int cuGetErrorString(int result, MemorySegment text) {
        String description = switch (result) {
            case CUDA_ERROR_OUT_OF_MEMORY -> "out of memory";
            case CUDA_ERROR_NO_DEVICE -> "no CUDA-capable device is detected";
            default -> null;
        };
        return text(text, description, result * 2 + 1);
    }

    private int text(MemorySegment out, String value, int key) {
        if (value == null) {
            return 1; // CUDA_ERROR_INVALID_VALUE
        }
        MemorySegment string;
        synchronized (this) {
            string = strings.computeIfAbsent(key, _ -> arena.allocateFrom(value, StandardCharsets.US_ASCII));
        }
        out.reinterpret(8).set(ADDRESS, 0, string);
        return 0;
    }

    int cuGetProcAddress_v2(MemorySegment symbol, MemorySegment pfn, int version, long flags, MemorySegment status) {
        String name = symbol.reinterpret(256).getString(0, StandardCharsets.US_ASCII);
        calls.add("cuGetProcAddress_v2(" + name + ", " + version + ")");
        MemorySegment address = procAddresses.get(name);
        pfn.reinterpret(8).set(ADDRESS, 0, address == null ? MemorySegment.NULL : address);
        status.reinterpret(4).set(JAVA_INT, 0, address == null ? 1 : 0);
        return address == null ? 500 : 0; // CUDA_ERROR_NOT_FOUND
    }
}
