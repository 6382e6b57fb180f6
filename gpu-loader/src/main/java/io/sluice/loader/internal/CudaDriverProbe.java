package io.sluice.loader.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out whether a CUDA driver ({@code libcuda.so.1}) can be loaded into this process.
 *
 * <p>It probes the driver, not the CUDA runtime: a runtime ({@code libcudart}) may be installed
 * on a machine without a driver or a GPU. Loading the library neither initialises CUDA nor
 * touches a device; {@link CudaDriver} binds it and {@link CudaDevice} opens a device.
 *
 * <p>Thread-safe; {@link #driverPresent()} probes once per JVM and logs once.
 */
public final class CudaDriverProbe {

    /** The soname of the CUDA driver library. */
    public static final String DRIVER_LIBRARY = "libcuda.so.1";

    private static final Logger LOG = LoggerFactory.getLogger(CudaDriverProbe.class);

    private CudaDriverProbe() {
    }

    /** Whether {@value #DRIVER_LIBRARY} loads; the first call probes and logs, later calls reuse the answer. */
    public static boolean driverPresent() {
        return Holder.PRESENT;
    }

    /**
     * Probes {@code library} now, without logging. The library, once found, stays loaded for the
     * life of the JVM (global arena), as a driver should.
     */
    @SuppressWarnings("restricted") // loading the driver is the point; the JVM runs with --enable-native-access
    public static boolean probe(String library) {
        try {
            SymbolLookup driver = SymbolLookup.libraryLookup(library, Arena.global());
            return driver.find("cuInit").isPresent();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static final class Holder {
        private static final boolean PRESENT = probeAndLog();

        private static boolean probeAndLog() {
            boolean present = probe(DRIVER_LIBRARY);
            if (present) {
                LOG.info("CUDA driver ({}) found", DRIVER_LIBRARY);
            } else {
                LOG.info("no CUDA driver ({}) found: training streams deliver pinned host batches", DRIVER_LIBRARY);
            }
            return present;
        }
    }
}
