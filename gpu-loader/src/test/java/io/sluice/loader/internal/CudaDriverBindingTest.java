package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * The FFM bindings of the CUDA driver, checked without a driver: the exact exports and signatures
 * against {@code cuda.h} (the installed header where there is one, a checked-in table always), and
 * every call path through a fake driver made of upcalls.
 */
public class CudaDriverBindingTest {

    @Test
    void bindsExactlyTheFunctionsOfTheCheckedInTable() throws IOException {
        List<String> bound = Arrays.stream(CudaDriver.Function.values()).map(CudaDriverBindingTest::line).toList();

        assertThat(bound).containsExactlyElementsOf(table());
    }

    @Test
    void theTableIsWhatTheInstalledCudaHDeclares() throws IOException {
        Optional<Path> path = CudaHeader.find();
        assumeTrue(path.isPresent(), "no cuda.h under $CUDA_HOME, /usr/local/cuda*/include or /usr/include: "
                + "the checked-in table stands in for it");
        CudaHeader header = CudaHeader.parse(path.get());

        List<String> declared = table().stream()
                .map(line -> line.substring(0, line.indexOf(' ')))
                .map(name -> header.declaration(name).map(CudaHeader.Declaration::line)
                        .orElse(name + " is not declared in " + path.get()))
                .toList();

        assertThat(declared).containsExactlyElementsOf(table());
        assertThat(header.cudaVersion()).isGreaterThanOrEqualTo(12000);
    }

    @Test
    void theHeaderParserSeesTheVersionedNamesAndSkipsTheLegacyDeclarations() throws IOException {
        Optional<Path> path = CudaHeader.find();
        assumeTrue(path.isPresent(), "no cuda.h installed");
        CudaHeader header = CudaHeader.parse(path.get());

        // the legacy block at the end of cuda.h declares cuMemAlloc(CUdeviceptr_v1 *, unsigned int)
        assertThat(header.declaration("cuMemAlloc").orElseThrow().line()).isEqualTo("cuMemAlloc cuMemAlloc_v2 int(pointer,long)");
        // per-thread default stream names (_ptsz) are not the default build's
        assertThat(header.declaration("cuMemcpyHtoDAsync").orElseThrow().symbol()).isEqualTo("cuMemcpyHtoDAsync_v2");
        assertThat(header.declaration("cuGetProcAddress").orElseThrow().symbol()).isEqualTo("cuGetProcAddress_v2");
    }

    @Test
    void namesErrorsAsCudaHNumbersThem() {
        Optional<Path> path = CudaHeader.find();
        assumeTrue(path.isPresent(), "no cuda.h installed");
        Map<String, Integer> values;
        try {
            values = CudaHeader.parse(path.get()).errorValues();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }

        CudaDriver.ERROR_NAMES.forEach((value, name) -> assertThat(values).containsEntry(name, value));
    }

    @Test
    void callsThroughTheExactDescriptorsAndReadsOutParameters() {
        try (FakeCudaDriver fake = new FakeCudaDriver()) {
            CudaDriver driver = CudaDriver.bind("fake", fake.lookup());
            driver.init();
            int device = driver.deviceGet(0);
            assertThat(driver.deviceName(device)).isEqualTo("Fake GPU");
            assertThat(driver.devicePciBusId(device)).hasValue("0000:3B:00.0");
            assertThat(driver.driverVersion()).isEqualTo(13000);
            var context = driver.primaryCtxRetain(device);
            driver.ctxSetCurrent(context);
            var stream = driver.streamCreate(CudaDriver.CU_STREAM_NON_BLOCKING);
            long pointer = driver.memAlloc(4096);
            var start = driver.eventCreate(CudaDriver.CU_EVENT_DEFAULT);
            var end = driver.eventCreate(CudaDriver.CU_EVENT_DEFAULT);
            try (var host = java.lang.foreign.Arena.ofConfined()) {
                var source = host.allocateFrom(ValueLayout.JAVA_LONG, 1L, 2L, 3L);
                driver.eventRecord(start, stream);
                driver.memcpyHtoDAsync(pointer, source.address(), source.byteSize(), stream);
                driver.eventRecord(end, stream);
                driver.eventSynchronize(end);
                assertThat(driver.eventElapsedTime(start, end)).isGreaterThanOrEqualTo(0f);
                @SuppressWarnings("restricted")
                long[] copied = java.lang.foreign.MemorySegment.ofAddress(pointer).reinterpret(24).toArray(ValueLayout.JAVA_LONG);
                assertThat(copied).containsExactly(1L, 2L, 3L);
            }
            driver.memFree(pointer);
            driver.eventDestroy(start);
            driver.eventDestroy(end);
            driver.streamSynchronize(stream);
            driver.streamDestroy(stream);
            driver.primaryCtxRelease(device);

            assertThat(fake.liveAllocations()).isZero();
            assertThat(fake.calls()).containsSubsequence("cuInit", "cuDeviceGet", "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent",
                    "cuStreamCreate", "cuMemAlloc_v2", "cuEventCreate", "cuEventCreate", "cuEventRecord", "cuMemcpyHtoDAsync_v2",
                    "cuEventRecord", "cuEventSynchronize", "cuEventElapsedTime_v2", "cuMemFree_v2", "cuEventDestroy_v2",
                    "cuEventDestroy_v2", "cuStreamSynchronize", "cuStreamDestroy_v2", "cuDevicePrimaryCtxRelease_v2");
        }
    }

    @Test
    void turnsEveryNonZeroResultIntoAnExceptionNamingTheCallAndTheError() {
        try (FakeCudaDriver fake = new FakeCudaDriver().failing("cuMemAlloc_v2", FakeCudaDriver.CUDA_ERROR_OUT_OF_MEMORY)
                .failing("cuInit", FakeCudaDriver.CUDA_ERROR_NO_DEVICE).failing("cuStreamSynchronize", 999)) {
            CudaDriver driver = CudaDriver.bind("fake", fake.lookup());

            assertThatThrownBy(driver::init).isInstanceOf(CudaException.class)
                    .hasMessage("cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)");
            CudaException e = (CudaException) org.assertj.core.api.Assertions.catchThrowable(() -> driver.memAlloc(1 << 20));
            assertThat(e).hasMessage("cuMemAlloc_v2 of 1048576 bytes failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
            assertThat(e.call()).isEqualTo("cuMemAlloc_v2");
            assertThat(e.result()).isEqualTo(2);
            assertThat(e.errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
            // the fake has no name for 999: the loader's own table names it
            assertThatThrownBy(() -> driver.streamSynchronize(java.lang.foreign.MemorySegment.ofAddress(0x2000)))
                    .hasMessage("cuStreamSynchronize failed: CUDA_ERROR_UNKNOWN");
        }
    }

    @Test
    void resolvesAFunctionTheDriverDoesNotExportThroughCuGetProcAddress() {
        try (FakeCudaDriver fake = new FakeCudaDriver().without("cuEventElapsedTime_v2")) {
            CudaDriver driver = CudaDriver.bind("fake", fake.lookup());

            assertThat(driver.boundSymbols()).containsEntry(CudaDriver.Function.CU_EVENT_ELAPSED_TIME,
                    "cuGetProcAddress_v2(\"cuEventElapsedTime\", 13000)");
            assertThat(driver.boundSymbols()).containsEntry(CudaDriver.Function.CU_MEM_ALLOC, "cuMemAlloc_v2");
            assertThat(fake.calls()).contains("cuGetProcAddress_v2(cuEventElapsedTime, 13000)");
        }
    }

    @Test
    void namesTheFunctionsADriverLacks() {
        try (FakeCudaDriver fake = new FakeCudaDriver()) {
            assertThatThrownBy(() -> CudaDriver.bind("libold.so", fake.only("cuInit", "cuDeviceGet", "cuGetErrorName")))
                    .isInstanceOf(CudaException.class)
                    .hasMessage("libold.so lacks cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease_v2, cuCtxSetCurrent, cuCtxGetCurrent, "
                            + "cuMemAlloc_v2, cuMemFree_v2, cuMemHostRegister_v2, cuMemHostUnregister, cuMemcpyHtoDAsync_v2, "
                            + "cuStreamCreate, cuStreamSynchronize, cuStreamDestroy_v2, cuEventCreate, cuEventRecord, "
                            + "cuEventSynchronize, cuEventElapsedTime_v2, cuEventDestroy_v2 (neither exported nor found by "
                            + "cuGetProcAddress_v2): the driver is too old or not a CUDA driver");
        }
    }

    @Test
    void findsNoDriverWhereTheLibraryIsMissing() {
        assertThat(CudaDriver.load("libsluice-no-such-driver.so.1")).isEmpty();
    }

    private static List<String> table() throws IOException {
        try (InputStream in = CudaDriverBindingTest.class.getResourceAsStream("cuda-driver-api.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .toList();
        }
    }

    private static String line(CudaDriver.Function function) {
        String returns = kind(function.descriptor().returnLayout().orElseThrow());
        String parameters = function.descriptor().argumentLayouts().stream().map(CudaDriverBindingTest::kind)
                .collect(Collectors.joining(","));
        return function.apiName() + " " + function.symbol() + " " + returns + "(" + parameters + ")";
    }

    private static String kind(MemoryLayout layout) {
        if (layout.equals(ValueLayout.JAVA_INT)) {
            return "int";
        }
        if (layout.equals(ValueLayout.JAVA_LONG)) {
            return "long";
        }
        if (layout.equals(ValueLayout.JAVA_FLOAT)) {
            return "float";
        }
        if (layout.equals(ValueLayout.ADDRESS)) {
            return "pointer";
        }
        throw new IllegalArgumentException("unexpected layout " + layout);
    }
}
