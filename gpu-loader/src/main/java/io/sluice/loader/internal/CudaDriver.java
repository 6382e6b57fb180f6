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
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The CUDA driver API ({@code libcuda.so.1}) bound with {@code java.lang.foreign}: no JNI, no CUDA
 * toolkit. Each function is looked up under the versioned export that {@code cuda.h} maps its name
 * to ({@code cuMemAlloc} is {@code cuMemAlloc_v2}; the unversioned exports are a legacy ABI), or,
 * where the driver lacks that export, through {@code cuGetProcAddress_v2} with the driver's version
 * (so {@code cuEventElapsedTime} binds to {@code cuEventElapsedTime_v2} on CUDA 13 and to the
 * CUDA 12 function on an older driver).
 *
 * <p>Every {@code CUresult} is checked: a non-zero result throws {@link CudaException} naming the
 * call and the error ({@code cuGetErrorName}/{@code cuGetErrorString} when the driver has them).
 *
 * <p>Thread-safe (the driver is); the CUDA context is per OS thread, so callers make their context
 * current ({@link #ctxSetCurrent}) on the thread that calls, and give the thread back the context
 * it had ({@link #ctxGetCurrent}) when the thread is not theirs.
 */
@SuppressWarnings("restricted") // raw addresses are the point; the JVM runs with --enable-native-access
public final class CudaDriver {

    /** The functions bound, with the exact export looked up and the C signature as a descriptor. */
    public enum Function {
        CU_INIT("cuInit", "cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true),
        CU_DRIVER_GET_VERSION("cuDriverGetVersion", "cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS), false),
        CU_DEVICE_GET("cuDeviceGet", "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true),
        CU_DEVICE_GET_NAME("cuDeviceGetName", "cuDeviceGetName",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), false),
        CU_DEVICE_GET_PCI_BUS_ID("cuDeviceGetPCIBusId", "cuDeviceGetPCIBusId",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), false),
        CU_DEVICE_PRIMARY_CTX_RETAIN("cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true),
        CU_DEVICE_PRIMARY_CTX_RELEASE("cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), true),
        CU_CTX_SET_CURRENT("cuCtxSetCurrent", "cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_CTX_GET_CURRENT("cuCtxGetCurrent", "cuCtxGetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_MEM_ALLOC("cuMemAlloc", "cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), true),
        CU_MEM_FREE("cuMemFree", "cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG), true),
        CU_MEM_HOST_REGISTER("cuMemHostRegister", "cuMemHostRegister_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true),
        CU_MEM_HOST_UNREGISTER("cuMemHostUnregister", "cuMemHostUnregister", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_MEMCPY_HTOD_ASYNC("cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), true),
        CU_STREAM_CREATE("cuStreamCreate", "cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true),
        CU_STREAM_SYNCHRONIZE("cuStreamSynchronize", "cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_STREAM_DESTROY("cuStreamDestroy", "cuStreamDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_EVENT_CREATE("cuEventCreate", "cuEventCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true),
        CU_EVENT_RECORD("cuEventRecord", "cuEventRecord", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), true),
        CU_EVENT_SYNCHRONIZE("cuEventSynchronize", "cuEventSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_EVENT_ELAPSED_TIME("cuEventElapsedTime", "cuEventElapsedTime_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), true),
        CU_EVENT_DESTROY("cuEventDestroy", "cuEventDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS), true),
        CU_GET_ERROR_NAME("cuGetErrorName", "cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), false),
        CU_GET_ERROR_STRING("cuGetErrorString", "cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), false),
        CU_GET_PROC_ADDRESS("cuGetProcAddress", "cuGetProcAddress_v2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS), false);

        private final String apiName;
        private final String symbol;
        private final FunctionDescriptor descriptor;
        private final boolean required;

        Function(String apiName, String symbol, FunctionDescriptor descriptor, boolean required) {
            this.apiName = apiName;
            this.symbol = symbol;
            this.descriptor = descriptor;
            this.required = required;
        }

        /** The name {@code cuda.h} declares and code calls, e.g. {@code cuMemAlloc}. */
        public String apiName() {
            return apiName;
        }

        /** The export looked up in {@code libcuda.so.1}, e.g. {@code cuMemAlloc_v2}. */
        public String symbol() {
            return symbol;
        }

        public FunctionDescriptor descriptor() {
            return descriptor;
        }

        /** Whether the loader cannot use the driver without it. */
        public boolean required() {
            return required;
        }
    }

    /** {@code CU_MEMHOSTREGISTER_PORTABLE}: the registration counts for every context. */
    public static final int CU_MEMHOSTREGISTER_PORTABLE = 0x01;
    /** {@code CU_STREAM_NON_BLOCKING}: no implicit synchronisation with the legacy default stream. */
    public static final int CU_STREAM_NON_BLOCKING = 0x1;
    /** {@code CU_EVENT_DEFAULT}: an event that records time; a thread waiting on it spins. */
    public static final int CU_EVENT_DEFAULT = 0x0;
    /**
     * {@code CU_EVENT_BLOCKING_SYNC}: a thread in {@code cuEventSynchronize} sleeps until the event
     * completes instead of spinning on a core (the training thread's core, in {@code next()}).
     */
    public static final int CU_EVENT_BLOCKING_SYNC = 0x1;
    /** {@code CU_GET_PROC_ADDRESS_DEFAULT}. */
    public static final long CU_GET_PROC_ADDRESS_DEFAULT = 0;
    /** The CUDA version asked of {@code cuGetProcAddress_v2} when the driver does not tell its own. */
    public static final int CUDA_VERSION_FALLBACK = 12000;

    /** The names of the {@code CUresult} values the loader may meet, for drivers without {@code cuGetErrorName}. */
    static final Map<Integer, String> ERROR_NAMES = Map.ofEntries(
            Map.entry(0, "CUDA_SUCCESS"),
            Map.entry(1, "CUDA_ERROR_INVALID_VALUE"),
            Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
            Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"),
            Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
            Map.entry(34, "CUDA_ERROR_STUB_LIBRARY"),
            Map.entry(46, "CUDA_ERROR_DEVICE_UNAVAILABLE"),
            Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
            Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"),
            Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"),
            Map.entry(400, "CUDA_ERROR_INVALID_HANDLE"),
            Map.entry(500, "CUDA_ERROR_NOT_FOUND"),
            Map.entry(600, "CUDA_ERROR_NOT_READY"),
            Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
            Map.entry(712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED"),
            Map.entry(713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED"),
            Map.entry(800, "CUDA_ERROR_NOT_PERMITTED"),
            Map.entry(801, "CUDA_ERROR_NOT_SUPPORTED"),
            Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    private final String library;
    private final Map<Function, MethodHandle> handles;
    private final Map<Function, String> boundSymbols;
    private final int driverVersion;

    private CudaDriver(String library, Map<Function, MethodHandle> handles, Map<Function, String> boundSymbols,
            int driverVersion) {
        this.library = library;
        this.handles = handles;
        this.boundSymbols = boundSymbols;
        this.driverVersion = driverVersion;
    }

    /**
     * Loads {@code library} (normally {@value CudaDriverProbe#DRIVER_LIBRARY}) and binds every
     * function; empty when the library cannot be loaded.
     *
     * @throws CudaException when the library loads but lacks a required function
     */
    @SuppressWarnings("restricted") // binding the driver is the point; the JVM runs with --enable-native-access
    public static Optional<CudaDriver> load(String library) {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.of(bind(library, lookup));
    }

    /**
     * Binds every function from {@code lookup}: the versioned export first, then
     * {@code cuGetProcAddress_v2}.
     *
     * @throws CudaException when a required function is found neither way
     */
    @SuppressWarnings("restricted")
    public static CudaDriver bind(String library, SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        Map<Function, MethodHandle> handles = new EnumMap<>(Function.class);
        Map<Function, String> bound = new EnumMap<>(Function.class);
        for (Function function : Function.values()) {
            lookup.find(function.symbol()).ifPresent(address -> {
                handles.put(function, linker.downcallHandle(address, function.descriptor()));
                bound.put(function, function.symbol());
            });
        }
        int version = driverVersion(handles);
        for (Function function : Function.values()) {
            if (handles.containsKey(function) || !handles.containsKey(Function.CU_GET_PROC_ADDRESS)) {
                continue;
            }
            procAddress(handles.get(Function.CU_GET_PROC_ADDRESS), function.apiName(), version).ifPresent(address -> {
                handles.put(function, linker.downcallHandle(address, function.descriptor()));
                bound.put(function, "cuGetProcAddress_v2(\"" + function.apiName() + "\", " + version + ")");
            });
        }
        List<String> missing = java.util.Arrays.stream(Function.values())
                .filter(f -> f.required() && !handles.containsKey(f))
                .map(Function::symbol)
                .toList();
        if (!missing.isEmpty()) {
            throw new CudaException(library + " lacks " + String.join(", ", missing)
                    + " (neither exported nor found by cuGetProcAddress_v2): the driver is too old or not a CUDA driver");
        }
        return new CudaDriver(library, Map.copyOf(handles), Map.copyOf(bound), version);
    }

    private static int driverVersion(Map<Function, MethodHandle> handles) {
        MethodHandle handle = handles.get(Function.CU_DRIVER_GET_VERSION);
        if (handle == null) {
            return CUDA_VERSION_FALLBACK;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment version = call.allocate(JAVA_INT);
            int result = (int) handle.invokeExact(version);
            return result == 0 ? version.get(JAVA_INT, 0) : CUDA_VERSION_FALLBACK;
        } catch (Throwable e) {
            return CUDA_VERSION_FALLBACK;
        }
    }

    private static Optional<MemorySegment> procAddress(MethodHandle getProcAddress, String name, int version) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment symbol = call.allocateFrom(name, StandardCharsets.US_ASCII);
            MemorySegment pfn = call.allocate(ADDRESS);
            MemorySegment status = call.allocate(JAVA_INT);
            int result = (int) getProcAddress.invokeExact(symbol, pfn, version, CU_GET_PROC_ADDRESS_DEFAULT, status);
            MemorySegment address = pfn.get(ADDRESS, 0);
            // status 0 = CU_GET_PROC_ADDRESS_SUCCESS
            return result == 0 && status.get(JAVA_INT, 0) == 0 && !address.equals(MemorySegment.NULL)
                    ? Optional.of(address) : Optional.empty();
        } catch (Throwable e) {
            return Optional.empty();
        }
    }

    /** The library this driver was loaded from. */
    public String library() {
        return library;
    }

    /** The driver's CUDA version, e.g. 13000, or {@value #CUDA_VERSION_FALLBACK} when it does not say. */
    public int driverVersion() {
        return driverVersion;
    }

    /** How each function was found: its export, or the {@code cuGetProcAddress_v2} query that found it. */
    public Map<Function, String> boundSymbols() {
        return boundSymbols;
    }

    public void init() {
        check(Function.CU_INIT, invokeInt(Function.CU_INIT, 0));
    }

    public int deviceGet(int ordinal) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment device = call.allocate(JAVA_INT);
            check(Function.CU_DEVICE_GET, call(Function.CU_DEVICE_GET, device, ordinal));
            return device.get(JAVA_INT, 0);
        }
    }

    /** The device's name, or {@code "device N"} when the driver cannot say. */
    public String deviceName(int device) {
        if (!handles.containsKey(Function.CU_DEVICE_GET_NAME)) {
            return "device " + device;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment name = call.allocate(256);
            check(Function.CU_DEVICE_GET_NAME, call(Function.CU_DEVICE_GET_NAME, name, 256, device));
            return name.getString(0, StandardCharsets.UTF_8);
        }
    }

    /**
     * The device's PCI bus id as the driver writes it ({@code 0000:3B:00.0}); empty when the driver
     * lacks {@code cuDeviceGetPCIBusId}.
     *
     * @throws CudaException when the call fails
     */
    public Optional<String> devicePciBusId(int device) {
        if (!handles.containsKey(Function.CU_DEVICE_GET_PCI_BUS_ID)) {
            return Optional.empty();
        }
        try (Arena call = Arena.ofConfined()) {
            // cuda.h asks for 13 bytes ("dddd:bb:dd.f" and NUL); room for a longer domain costs nothing
            MemorySegment id = call.allocate(64);
            check(Function.CU_DEVICE_GET_PCI_BUS_ID, call(Function.CU_DEVICE_GET_PCI_BUS_ID, id, 64, device));
            return Optional.of(id.getString(0, StandardCharsets.US_ASCII));
        }
    }

    public MemorySegment primaryCtxRetain(int device) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment context = call.allocate(ADDRESS);
            check(Function.CU_DEVICE_PRIMARY_CTX_RETAIN, call(Function.CU_DEVICE_PRIMARY_CTX_RETAIN, context, device));
            return context.get(ADDRESS, 0);
        }
    }

    public void primaryCtxRelease(int device) {
        check(Function.CU_DEVICE_PRIMARY_CTX_RELEASE, invokeInt(Function.CU_DEVICE_PRIMARY_CTX_RELEASE, device));
    }

    public void ctxSetCurrent(MemorySegment context) {
        check(Function.CU_CTX_SET_CURRENT, callAddress(Function.CU_CTX_SET_CURRENT, context));
    }

    /** The context current on the calling thread; {@link MemorySegment#NULL} when none is. */
    public MemorySegment ctxGetCurrent() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment context = call.allocate(ADDRESS);
            check(Function.CU_CTX_GET_CURRENT, callAddress(Function.CU_CTX_GET_CURRENT, context));
            return context.get(ADDRESS, 0);
        }
    }

    public long memAlloc(long bytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment pointer = call.allocate(JAVA_LONG);
            int result;
            try {
                result = (int) handle(Function.CU_MEM_ALLOC).invokeExact(pointer, bytes);
            } catch (Throwable e) {
                throw failedCall(Function.CU_MEM_ALLOC, e);
            }
            check(Function.CU_MEM_ALLOC, result, " of " + bytes + " bytes");
            return pointer.get(JAVA_LONG, 0);
        }
    }

    public void memFree(long pointer) {
        int result;
        try {
            result = (int) handle(Function.CU_MEM_FREE).invokeExact(pointer);
        } catch (Throwable e) {
            throw failedCall(Function.CU_MEM_FREE, e);
        }
        check(Function.CU_MEM_FREE, result);
    }

    public void memHostRegister(long address, long bytes, int flags) {
        int result;
        try {
            result = (int) handle(Function.CU_MEM_HOST_REGISTER).invokeExact(MemorySegment.ofAddress(address), bytes, flags);
        } catch (Throwable e) {
            throw failedCall(Function.CU_MEM_HOST_REGISTER, e);
        }
        check(Function.CU_MEM_HOST_REGISTER, result, " of " + bytes + " bytes");
    }

    public void memHostUnregister(long address) {
        check(Function.CU_MEM_HOST_UNREGISTER, callAddress(Function.CU_MEM_HOST_UNREGISTER, MemorySegment.ofAddress(address)));
    }

    public void memcpyHtoDAsync(long devicePointer, long hostAddress, long bytes, MemorySegment stream) {
        int result;
        try {
            result = (int) handle(Function.CU_MEMCPY_HTOD_ASYNC)
                    .invokeExact(devicePointer, MemorySegment.ofAddress(hostAddress), bytes, stream);
        } catch (Throwable e) {
            throw failedCall(Function.CU_MEMCPY_HTOD_ASYNC, e);
        }
        check(Function.CU_MEMCPY_HTOD_ASYNC, result, " of " + bytes + " bytes");
    }

    public MemorySegment streamCreate(int flags) {
        return create(Function.CU_STREAM_CREATE, flags);
    }

    public void streamSynchronize(MemorySegment stream) {
        check(Function.CU_STREAM_SYNCHRONIZE, callAddress(Function.CU_STREAM_SYNCHRONIZE, stream));
    }

    public void streamDestroy(MemorySegment stream) {
        check(Function.CU_STREAM_DESTROY, callAddress(Function.CU_STREAM_DESTROY, stream));
    }

    public MemorySegment eventCreate(int flags) {
        return create(Function.CU_EVENT_CREATE, flags);
    }

    public void eventRecord(MemorySegment event, MemorySegment stream) {
        int result;
        try {
            result = (int) handle(Function.CU_EVENT_RECORD).invokeExact(event, stream);
        } catch (Throwable e) {
            throw failedCall(Function.CU_EVENT_RECORD, e);
        }
        check(Function.CU_EVENT_RECORD, result);
    }

    public void eventSynchronize(MemorySegment event) {
        check(Function.CU_EVENT_SYNCHRONIZE, callAddress(Function.CU_EVENT_SYNCHRONIZE, event));
    }

    public float eventElapsedTime(MemorySegment start, MemorySegment end) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment millis = call.allocate(JAVA_FLOAT);
            int result;
            try {
                result = (int) handle(Function.CU_EVENT_ELAPSED_TIME).invokeExact(millis, start, end);
            } catch (Throwable e) {
                throw failedCall(Function.CU_EVENT_ELAPSED_TIME, e);
            }
            check(Function.CU_EVENT_ELAPSED_TIME, result);
            return millis.get(JAVA_FLOAT, 0);
        }
    }

    public void eventDestroy(MemorySegment event) {
        check(Function.CU_EVENT_DESTROY, callAddress(Function.CU_EVENT_DESTROY, event));
    }

    /** The error's name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}: from the driver, else from a table, else the number. */
    public String errorName(int result) {
        return errorText(Function.CU_GET_ERROR_NAME, result)
                .orElseGet(() -> ERROR_NAMES.getOrDefault(result, "CUresult " + result));
    }

    /** The driver's description of the error, when it has one. */
    public Optional<String> errorString(int result) {
        return errorText(Function.CU_GET_ERROR_STRING, result);
    }

    private Optional<String> errorText(Function function, int result) {
        MethodHandle handle = handles.get(function);
        if (handle == null) {
            return Optional.empty();
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment text = call.allocate(ADDRESS);
            int status = (int) handle.invokeExact(result, text);
            MemorySegment pointer = text.get(ADDRESS, 0);
            if (status != 0 || pointer.equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            return Optional.of(pointer.reinterpret(4096).getString(0, StandardCharsets.US_ASCII));
        } catch (Throwable e) {
            return Optional.empty();
        }
    }

    private MemorySegment create(Function function, int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment handle = call.allocate(ADDRESS);
            check(function, call(function, handle, flags));
            return handle.get(ADDRESS, 0);
        }
    }

    private int call(Function function, MemorySegment out, int value) {
        try {
            return (int) handle(function).invokeExact(out, value);
        } catch (Throwable e) {
            throw failedCall(function, e);
        }
    }

    private int call(Function function, MemorySegment out, int length, int value) {
        try {
            return (int) handle(function).invokeExact(out, length, value);
        } catch (Throwable e) {
            throw failedCall(function, e);
        }
    }

    private int callAddress(Function function, MemorySegment argument) {
        try {
            return (int) handle(function).invokeExact(argument);
        } catch (Throwable e) {
            throw failedCall(function, e);
        }
    }

    private int invokeInt(Function function, int argument) {
        try {
            return (int) handle(function).invokeExact(argument);
        } catch (Throwable e) {
            throw failedCall(function, e);
        }
    }

    private MethodHandle handle(Function function) {
        MethodHandle handle = handles.get(function);
        if (handle == null) {
            throw new CudaException(library + " has no " + function.symbol());
        }
        return handle;
    }

    private void check(Function function, int result) {
        check(function, result, "");
    }

    private void check(Function function, int result, String detail) {
        if (result != 0) {
            String name = errorName(result);
            throw new CudaException(function.symbol(), result, name, errorString(result), detail);
        }
    }

    private static CudaException failedCall(Function function, Throwable e) {
        return new CudaException("calling " + function.symbol() + " failed: " + Objects.toString(e.getMessage(), e.toString()));
    }
}
