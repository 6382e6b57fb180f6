package io.sluice.loader;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

import io.sluice.loader.internal.CudaDevice;
import io.sluice.loader.internal.CudaDriver;
import io.sluice.loader.internal.CudaDriverBindingTest;
import io.sluice.loader.internal.CudaDriverProbe;
import io.sluice.loader.internal.NumaNodes;
import io.sluice.loader.internal.PinnedArena;
import io.sluice.loader.internal.PinnedArenaTest;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * What {@code scripts/gpu-check.sh run} runs on a GPU machine: the CUDA-path tests (with the JUnit
 * launcher, no Maven), then a table — arena creation time per GiB, host-to-device GB/s from the
 * pinned arena against pageable memory for 1, 8 and 64 MiB chunks, and loopback stream to device
 * end to end against the socket baseline. Exit status 1 when a test failed or no GPU was usable.
 *
 * <p>{@code --numa-node N|auto} (default {@code auto}, the GPU's node) adds arena creation and H2D
 * from an arena placed on that NUMA node, beside the first-touch arena, and prints where each
 * arena's pages went.
 */
public final class GpuCheck {

    private static final long GIB = 1L << 30;

    private GpuCheck() {
    }

    public static void main(String[] args) throws Exception {
        PrintWriter out = new PrintWriter(System.out, true);
        out.printf("GPU check: JDK %s on %s %s, %d cores%n", Runtime.version(), System.getProperty("os.name"),
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors());
        NumaPlacement placement = NumaPlacement.auto();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--numa-node") && i + 1 < args.length) {
                placement = NumaPlacement.parse(args[++i]);
            }
        }
        if (args.length > 0 && args[0].equals("--tests-only")) {
            // the bundle's self-check where it is made: the CPU tests pass, the GPU ones skip without a driver
            System.exit(runTests(out) ? 0 : 1);
        }
        if (!CudaDriverProbe.driverPresent()) {
            out.println("no CUDA driver (libcuda.so.1) loads here: run this on a machine with an NVIDIA GPU and its driver");
            System.exit(1);
        }
        boolean passed = runTests(out);
        CudaDriver driver = CudaDriver.load(CudaDriverProbe.DRIVER_LIBRARY).orElseThrow();
        try (CudaDevice device = CudaDevice.open(driver, 0)) {
            NumaNodes numa = NumaNodes.system();
            OptionalInt node = numa.preferredNode(placement, device::pciBusId);
            out.printf("device: %s, PCI %s; online NUMA nodes %s; --numa-node %s: %s%n%n", device.name(),
                    device.pciBusId().orElse("unknown"), numa.online().map(Object::toString).orElse("unknown"), placement,
                    node.isPresent() ? "node " + node.getAsInt() : "no placement (no NUMA affinity, or none asked)");
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"arena creation (mmap, parallel pre-touch, mlock, cuMemHostRegister_v2), 1 GiB",
                    arenaCreation(device, false, OptionalInt.empty())});
            rows.add(new String[] {"arena creation as above with madvise(MADV_HUGEPAGE) (--huge-pages)",
                    arenaCreation(device, true, OptionalInt.empty())});
            rows.add(new String[] {"arena creation as above, first touch, with mbind(MPOL_PREFERRED) (--numa-node " + placement + ")",
                    node.isPresent() ? arenaCreation(device, false, node) : "not run: no node to place on"});
            for (long mib : new long[] {1, 8, 64}) {
                rows.add(new String[] {"H2D " + mib + " MiB chunks: pinned arena / pageable", h2d(device, mib << 20, OptionalInt.empty())});
            }
            rows.add(new String[] {"H2D 64 MiB chunks: pinned arena on the --numa-node " + placement + " node / pageable",
                    node.isPresent() ? h2d(device, 64L << 20, node) : "not run: no node to place on"});
            rows.addAll(endToEnd(device));
            rows.add(new String[] {"a DeviceBatch open across loader.close() and device close (issue 14, item 1)",
                    openBatchOutlivesTheLoader(driver)});
            out.println("| measurement | result |");
            out.println("|---|---|");
            rows.forEach(row -> out.printf("| %s | %s |%n", row[0], row[1]));
        }
        System.exit(passed ? 0 : 1);
    }

    private static boolean runTests(PrintWriter out) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(CudaGpuIT.class), selectClass(CudaPathIT.class), selectClass(CudaDriverBindingTest.class),
                        selectClass(PinnedArenaTest.class), selectClass(TrainingStreamIT.class))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.printFailuresTo(out, 20);
        out.printf("CUDA-path tests: %d passed, %d failed, %d skipped%s%n", summary.getTestsSucceededCount(),
                summary.getTestsFailedCount(), summary.getTestsSkippedCount() + summary.getTestsAbortedCount(),
                CudaDriverProbe.driverPresent() ? "" : " (no CUDA driver here: CudaGpuIT does not run)");
        return summary.getTestsFailedCount() == 0 && summary.getTestsSucceededCount() > 0;
    }

    private static String arenaCreation(CudaDevice device, boolean hugePages, OptionalInt node) {
        try (PinnedArena arena = PinnedArena.create(64L << 20, 16, Runtime.getRuntime().availableProcessors(),
                registration(device), hugePages, node)) {
            return String.format(Locale.ROOT, "%.0f ms/GiB with %d threads (%s, %s%s, %s)",
                    arena.creation().elapsed().toNanos() / 1e6 * GIB / arena.budgetBytes(), arena.creation().touchThreads(),
                    arena.locked() ? "locked" : "mlock refused: raise ulimit -l",
                    arena.registered() ? "registered" : "not registered: " + arena.creation().registrationFailure().orElse("?"),
                    hugePages ? (arena.creation().hugePages() ? ", THP advised" : ", THP advice refused") : "",
                    arena.creation().numa().description());
        }
    }

    /**
     * Item 1 of issue 14 on the real driver: a batch still open when its stream, loader and device
     * are closed must stay valid (the pool's lease keeps the primary context) and close cleanly;
     * also whether the main thread's current context (none) survived every call (item 2).
     */
    private static String openBatchOutlivesTheLoader(CudaDriver driver) throws Exception {
        byte[] ipc = LoaderThroughputBench.stream(16);
        long before = driver.ctxGetCurrent().address();
        try (LoaderThroughputBench.Server server = new LoaderThroughputBench.Server(ipc)) {
            CudaDevice device = CudaDevice.open(driver, 0);
            LoadedBatch batch;
            LoaderConfig config = LoaderConfig.of(server.uri()).withPinnedLimitBytes(64L << 20).withSlabBytes(16L << 20);
            try (GpuLoader loader = GpuLoader.create(config, device);
                    TrainingStream stream = loader.openTraining("b", Checkpoint.start(0, 1, 0), () -> "t")) {
                batch = stream.next();
            }
            device.close();
            try {
                batch.close();
            } catch (RuntimeException e) {
                return "FAILED: closing the batch after the device threw " + e.getMessage();
            }
            long after = driver.ctxGetCurrent().address();
            return "ok: the batch closed cleanly after the device; main thread's context "
                    + (after == before ? "unchanged" : "CHANGED from 0x" + Long.toHexString(before) + " to 0x" + Long.toHexString(after));
        }
    }

    /** GB/s of 1 GiB copied in {@code chunk}-sized copies, from the registered arena and from pageable memory. */
    @SuppressWarnings("restricted")
    private static String h2d(CudaDevice device, long chunk, OptionalInt node) {
        long copies = Math.max(4, GIB / chunk);
        long target = device.allocate(chunk);
        long start = device.createEvent();
        long end = device.createEvent();
        try (PinnedArena arena = PinnedArena.create(chunk, 1, 1, registration(device), false, node);
                Arena pageable = Arena.ofShared()) {
            MemorySegment pinnedSource = MemorySegment.ofAddress(arena.address()).reinterpret(chunk);
            MemorySegment pageableSource = pageable.allocate(chunk, 4096);
            pinnedSource.fill((byte) 1);
            pageableSource.fill((byte) 1);
            double pinned = copyRate(device, target, pinnedSource.address(), chunk, copies, start, end);
            double paged = copyRate(device, target, pageableSource.address(), chunk, copies, start, end);
            pageableSource.get(ValueLayout.JAVA_BYTE, 0);
            return String.format(Locale.ROOT, "%.1f / %.1f GB/s (arena: %s)", pinned, paged,
                    arena.creation().numa().description());
        } finally {
            device.destroyEvent(start);
            device.destroyEvent(end);
            device.free(target);
        }
    }

    private static double copyRate(CudaDevice device, long target, long source, long chunk, long copies, long start, long end) {
        device.copyAsync(target, source, chunk); // warm-up
        device.record(start);
        for (long i = 0; i < copies; i++) {
            device.copyAsync(target, source, chunk);
        }
        device.record(end);
        device.synchronize(end);
        return chunk * copies / 1e9 / (device.elapsedMillis(start, end) / 1e3);
    }

    private static List<String[]> endToEnd(CudaDevice device) throws Exception {
        byte[] ipc = LoaderThroughputBench.stream(512);
        List<String[]> rows = new ArrayList<>();
        try (LoaderThroughputBench.Server server = new LoaderThroughputBench.Server(ipc)) {
            LoaderConfig config = LoaderConfig.of(server.uri()).withPinnedLimitBytes(256L << 20).withSlabBytes(32L << 20);
            for (boolean digest : new boolean[] {true, false}) {
                List<Double> socket = new ArrayList<>();
                List<Double> loader = new ArrayList<>();
                LoaderMetrics last = null;
                try (GpuLoader gpu = GpuLoader.create(config.withDigestBodies(digest), device)) {
                    for (int run = 0; run < 4; run++) {
                        long t0 = System.nanoTime();
                        long bytes = LoaderThroughputBench.baseline(server);
                        double baseline = bytes / 1e9 / ((System.nanoTime() - t0) / 1e9);
                        t0 = System.nanoTime();
                        last = trainingMetrics(gpu);
                        double streamed = last.bytesReceived() / 1e9 / ((System.nanoTime() - t0) / 1e9);
                        if (run > 0) {
                            socket.add(baseline);
                            loader.add(streamed);
                        }
                    }
                }
                rows.add(new String[] {"  last run (" + (digest ? "SHA-256 on" : "no digest") + "): stall, H2D per batch, host memory",
                        String.format(Locale.ROOT, "stall %.3f s over %d batches; %.3f ms copy per batch (%.1f MiB); %s",
                                last.stall().toNanos() / 1e9, last.batches(), last.copyTimePerBatch().toNanos() / 1e6,
                                last.batches() == 0 ? 0.0 : last.bytesReceived() / (double) last.batches() / 1048576.0,
                                last.hostMemory())});
                double s = LoaderThroughputBench.median(socket);
                double l = LoaderThroughputBench.median(loader);
                rows.add(new String[] {"loopback stream -> device, TrainingStream (" + (digest ? "SHA-256 on" : "no digest")
                        + "), 512 MiB, median of 3", String.format(Locale.ROOT, "%.2f GB/s vs socket baseline %.2f GB/s (ratio %.2f)",
                                l, s, l / s)});
            }
        }
        return rows;
    }

    private static LoaderMetrics trainingMetrics(GpuLoader loader) {
        try (TrainingStream stream = loader.openTraining("b", Checkpoint.start(0, 1, 0), () -> "t")) {
            while (stream.hasNext()) {
                stream.next().close();
            }
            return stream.metrics();
        }
    }

    private static PinnedArena.HostRegistration registration(CudaDevice device) {
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
}
