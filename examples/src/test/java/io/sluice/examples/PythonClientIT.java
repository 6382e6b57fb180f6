package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client and PyTorch dataset ({@code python/sluice}) pass their own tests
 * ({@code python/tests}, {@code unittest}) against a real broker: catalog and grants, refusals with
 * their reasons, one and three shards covering every row once, seeded epochs, resume from a
 * checkpoint token, DataLoader workers, a dropped connection resumed at the exact batch, and a
 * revoked grant cutting a stream that must raise rather than end quietly.
 *
 * <p>Needs a {@code python3} that imports pyarrow, numpy and torch together ({@code .ci/run}
 * installs Debian's {@code python3-torch} and the pyarrow wheel into {@code /usr/bin/python3});
 * {@code SLUICE_TEST_PYTHON} names another interpreter. Skipped without one unless
 * {@code SLUICE_TEST_PYARROW=always}, which CI sets.
 */
class PythonClientIT {
    private static final List<String> CANDIDATES = List.of("python3", "/usr/bin/python3");
    private static String python;

    @TempDir
    Path dir;

    @BeforeAll
    static void pythonWithPyarrowAndTorchIsThere() {
        List<String> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("SLUICE_TEST_PYTHON")).filter(p -> !p.isBlank()).ifPresent(candidates::add);
        candidates.addAll(CANDIDATES);
        python = candidates.stream().filter(PythonClientIT::importsEverything).findFirst().orElse(null);
        if ("always".equals(System.getenv("SLUICE_TEST_PYARROW"))) {
            assertThat(python).as("a python3 among %s that imports pyarrow, numpy and torch (SLUICE_TEST_PYARROW=always)",
                    candidates).isNotNull();
        }
        assumeTrue(python != null, "no python3 among " + candidates + " imports pyarrow, numpy and torch together:"
                + " apt-get install python3-torch, then /usr/bin/python3 -m pip install --break-system-packages"
                + " --no-index --find-links DIR pyarrow (or name an interpreter in SLUICE_TEST_PYTHON)");
    }

    @Test
    void pythonClientAndDatasetPassTheirTestsAgainstARealBroker() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("broker"));
        try (Broker broker = Broker.start(config)) {
            Path log = dir.resolve("unittest.log");
            ProcessBuilder builder = new ProcessBuilder(python, "-m", "unittest", "discover", "-s", "python/tests", "-v")
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("SLUICE_URL", broker.uri().toString());
            builder.environment().put("SLUICE_SOURCES", config.sourcesDir().toString());
            builder.environment().put("PYTHONPATH", "python");
            Process process = builder.start();
            try {
                assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("the Python tests finished within 5 minutes").isTrue();
            } finally {
                process.destroyForcibly();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            System.out.println(output);
            assertThat(process.exitValue()).as("the Python tests' exit code; their output:%n%s", output).isZero();
            assertThat(output).contains("OK").doesNotContain("skipped");
        }
    }

    private static boolean importsEverything(String candidate) {
        try {
            Process probe = new ProcessBuilder(candidate, "-c", "import pyarrow, numpy, torch")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
