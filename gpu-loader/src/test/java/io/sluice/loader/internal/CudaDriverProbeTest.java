package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

public class CudaDriverProbeTest {

    /** Whether a CUDA driver library lies where drivers are installed (tests that expect none skip then). */
    public static boolean driverInstalled() {
        return List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                        "/usr/local/cuda/compat", "/usr/lib/wsl/lib")
                .stream()
                .anyMatch(dir -> Files.exists(Path.of(dir, CudaDriverProbe.DRIVER_LIBRARY)));
    }

    @Test
    void reportsAMissingLibraryAsAbsent() {
        assertThat(CudaDriverProbe.probe("libsluice-no-such-driver.so.1")).isFalse();
    }

    @Test
    void reportsNoDriverOnThisMachineWithoutThrowing() {
        assumeFalse(driverInstalled(), "this machine has a CUDA driver");

        assertThat(CudaDriverProbe.driverPresent()).isFalse();
        assertThat(CudaDriverProbe.driverPresent()).isFalse();
    }

    @Test
    void reportsALibraryWithoutCuInitAsAbsent() {
        assertThat(CudaDriverProbe.probe("libc.so.6")).isFalse();
    }
}
