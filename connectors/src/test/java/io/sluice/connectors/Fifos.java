package io.sluice.connectors;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Named pipes for tests: made with {@code mkfifo}; a test is skipped where there is none (not POSIX). */
public final class Fifos {
    private Fifos() {}

    /** Makes a named pipe at {@code path}, or aborts the test (skipped) when {@code mkfifo} is missing. */
    public static Path make(Path path) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not available here: " + e.getMessage());
            throw e;
        }
        boolean exited = process.waitFor(30, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes());
        if (!exited || process.exitValue() != 0 || !Files.exists(path)) {
            process.destroyForcibly();
            throw new IOException("mkfifo " + path + " failed: " + output);
        }
        return path;
    }
}
