package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * pyarrow as an outside Arrow client, through {@code python3}: {@code .ci/run} installs it; tests
 * skip without it unless {@code SLUICE_TEST_PYARROW=always}, which CI sets.
 */
final class Pyarrow {
    private static final Path READ_STREAM = Path.of("python/read_stream.py");

    private Pyarrow() {}

    /** Skips the calling test class when python3 cannot import pyarrow (fails instead under CI's "always"). */
    static void assumeInstalled() throws InterruptedException {
        boolean present;
        try {
            Process probe = new ProcessBuilder("python3", "-c", "import pyarrow").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            present = probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0;
            probe.destroyForcibly();
        } catch (IOException e) {
            present = false;
        }
        if ("always".equals(System.getenv("SLUICE_TEST_PYARROW"))) {
            assertThat(present).as("python3 with pyarrow (SLUICE_TEST_PYARROW=always)").isTrue();
        }
        assumeTrue(present, "python3 with pyarrow is not installed: pip install --no-index --find-links DIR pyarrow");
    }

    /** Reads one stream with {@code read_stream.py}, reporting {@code columns}; its JSON report. */
    static JsonNode readStream(String url, String token, String... columns) throws Exception {
        List<String> command = new ArrayList<>(List.of(READ_STREAM.toString(), url, token, "--schema"));
        for (String column : columns) {
            command.add("--column");
            command.add(column);
        }
        return BrokerClient.json().readTree(run(command));
    }

    /**
     * Runs a Python script ({@code python3 ARGS...}) to its end; its standard output. The output goes
     * to a file, so a script that hangs is killed at the timeout rather than blocking a read.
     */
    static byte[] run(List<String> arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3"));
        command.addAll(arguments);
        Path out = Files.createTempFile("python", ".out");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(out.toFile()).start();
        try {
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", arguments.getFirst()).isTrue();
            assertThat(process.exitValue()).as("%s's exit code (its errors are above)", arguments.getFirst()).isZero();
            return Files.readAllBytes(out);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }
}
