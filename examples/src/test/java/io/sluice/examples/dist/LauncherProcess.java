package io.sluice.examples.dist;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The distribution's {@code bin/sluice} run as a user runs it, on a machine without a JDK: the
 * environment holds only {@code PATH} (a folder of the few tools the launcher needs, no {@code java},
 * no {@code mvn}), {@code HOME} and what the test adds; no {@code JAVA_HOME}. Its output (stdout and
 * stderr together) is read as it comes, so that the process never blocks on a full pipe.
 */
final class LauncherProcess implements AutoCloseable {
    /** What the launcher itself runs: {@code /usr/bin/env} finds bash on PATH; the script uses dirname, readlink and cat. */
    private static final List<String> TOOLS = List.of("bash", "dirname", "readlink", "cat");
    private static final Pattern LISTENING = Pattern.compile("listening on (http\\S+)");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<URI> listening = new CompletableFuture<>();
    private final Thread reader;

    private LauncherProcess(Process process) {
        this.process = requireNonNull(process, "process is null");
        this.reader = Thread.ofPlatform().name("launcher-output").daemon().start(this::readOutput);
    }

    /**
     * Starts {@code home/bin/sluice args...} in {@code workDir}, with only the tools' folder
     * {@code tools} on PATH and {@code environment} added.
     */
    static LauncherProcess start(Path home, List<String> args, Map<String, String> environment, Path tools, Path workDir)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/sluice").toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", tools.toString());
        builder.environment().put("HOME", workDir.toString());
        builder.environment().putAll(environment);
        return new LauncherProcess(builder.start());
    }

    /**
     * Makes {@code dir} a folder of links to the tools the launcher needs, found on this JVM's PATH,
     * and checks that it holds neither java nor mvn.
     */
    static Path toolsWithoutJava(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String tool : TOOLS) {
            Path found = onPath(tool);
            Files.createSymbolicLink(dir.resolve(tool), found);
        }
        if (Files.exists(dir.resolve("java")) || Files.exists(dir.resolve("mvn"))) {
            throw new IllegalStateException(dir + " holds java or mvn");
        }
        return dir;
    }

    private static Path onPath(String tool) {
        for (String folder : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(folder, tool);
            if (!folder.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(tool + " is not on PATH");
    }

    /** Waits for the broker's {@code listening on URL} line and returns the URL. */
    URI awaitListening(Duration timeout) throws InterruptedException {
        try {
            return listening.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no 'listening on' within " + timeout + "; output:\n" + output);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause().getMessage() + "; output:\n" + output, e.getCause());
        }
    }

    /** Sends SIGTERM (the launcher execs the JVM, so the JVM gets it) and returns the exit status. */
    int terminate(Duration timeout) throws InterruptedException {
        // Through the handle: Process.destroy() would also close our end of the output, losing what
        // the broker says while it stops.
        process.toHandle().destroy();
        return awaitExit(timeout);
    }

    /** Waits for the process to end by itself and returns its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + "; output:\n" + output);
        }
        reader.join(timeout.toMillis());
        return process.exitValue();
    }

    String output() {
        return output.toString();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private void readOutput() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.append(line).append('\n');
                Matcher matcher = LISTENING.matcher(line);
                if (matcher.find()) {
                    listening.complete(URI.create(matcher.group(1)));
                }
            }
            listening.completeExceptionally(new IllegalStateException("the process ended before 'listening on'"));
        } catch (IOException e) {
            listening.completeExceptionally(new UncheckedIOException(e));
        }
    }
}
