package io.sluice.broker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A broker in a process of its own ({@code sluice serve --port 0}), for tests that kill it or run
 * two side by side. Its output (stdout and stderr) goes to a log file (in the data directory, or the
 * directory {@link #serve} is given), and
 * its stderr alone (the application log) to a file of its own too, {@link #stderr()}.
 */
public final class BrokerProcess implements AutoCloseable {
    private final Process process;
    private final URI uri;
    private final Path log;
    private final Path stderr;
    private final java.util.concurrent.CountDownLatch stderrRead;
    private final Thread copier;

    private BrokerProcess(Process process, URI uri, Path log, Path stderr, java.util.concurrent.CountDownLatch stderrRead,
            Thread copier) {
        this.process = process;
        this.copier = copier;
        this.uri = uri;
        this.log = log;
        this.stderr = stderr;
        this.stderrRead = stderrRead;
    }

    /** What a {@code sluice serve} that was expected to fail printed, and its exit code. */
    public record Exited(int exitCode, List<String> stdout, List<String> stderr) {}

    public static BrokerProcess start(Path dataDir, Path sourcesDir, String jdbcUrl) throws IOException {
        return start(dataDir, sourcesDir, jdbcUrl, List.of());
    }

    /** With more {@code sluice serve} options, e.g. {@code --shutdown-grace PT2S}. */
    public static BrokerProcess start(Path dataDir, Path sourcesDir, String jdbcUrl, List<String> options)
            throws IOException {
        List<String> arguments = new ArrayList<>(List.of("--port", "0", "--data-dir", dataDir.toString(), "--sources",
                sourcesDir.toString(), "--db", jdbcUrl));
        arguments.addAll(options);
        return serve(arguments, Map.of(), dataDir);
    }

    /**
     * {@code sluice serve ARGUMENTS} with these {@code SLUICE_*} environment variables; none of the
     * test JVM's own {@code SLUICE_*} variables reach it. Its output goes to log files in {@code logDir}.
     */
    public static BrokerProcess serve(List<String> arguments, Map<String, String> environment, Path logDir)
            throws IOException {
        return serve(arguments, environment, logDir, new java.util.concurrent.CountDownLatch(0));
    }

    /**
     * As {@link #serve(List, Map, Path)}, but nobody reads the process's stderr until
     * {@link #readStderr()}: its pipe fills as a stalled log collector's would.
     */
    public static BrokerProcess serveWithStderrUnread(List<String> arguments, Path logDir) throws IOException {
        return serve(arguments, Map.of(), logDir, new java.util.concurrent.CountDownLatch(1));
    }

    private static BrokerProcess serve(List<String> arguments, Map<String, String> environment, Path logDir,
            java.util.concurrent.CountDownLatch stderrRead) throws IOException {
        List<String> command = new ArrayList<>(javaCommand());
        command.add("serve");
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(name -> name.startsWith("SLUICE_"));
        builder.environment().putAll(environment);
        java.nio.file.Files.createDirectories(logDir);
        Process process = builder.start();
        CompletableFuture<URI> listening = new CompletableFuture<>();
        Path log = logDir.resolve("broker-" + process.pid() + ".log");
        Path stderr = logDir.resolve("broker-" + process.pid() + ".stderr");
        Thread copier = Thread.ofPlatform().daemon().start(() -> copyOutput(process, log, stderr, listening, stderrRead));
        try {
            return new BrokerProcess(process, listening.get(60, TimeUnit.SECONDS), log, stderr, stderrRead, copier);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            process.destroyForcibly();
            throw new IOException("broker process did not start within 60 s; its output ends with:\n" + tail(log), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }

    /** Runs {@code sluice ARGS} to its end (at most {@code timeout}), for a start that is expected to fail. */
    public static Exited run(List<String> args, java.time.Duration timeout) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(javaCommand());
        command.addAll(args);
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<List<String>> stdout = CompletableFuture.supplyAsync(() -> lines(process.getInputStream()));
        CompletableFuture<List<String>> stderr = CompletableFuture.supplyAsync(() -> lines(process.getErrorStream()));
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IOException("sluice " + args + " still ran after " + timeout + "; stdout so far: " + stdout.getNow(List.of()));
        }
        return new Exited(process.exitValue(), stdout.join(), stderr.join());
    }

    private static List<String> lines(java.io.InputStream in) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return reader.lines().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code java FLAGS -cp CLASSPATH io.sluice.broker.cli.SluiceCommand}, as this test JVM runs. */
    private static List<String> javaCommand() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The same JVM flags this test JVM got from the parent pom's sluice.jvm.flags, not a second copy.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(flag -> flag.startsWith("--add-opens") || flag.startsWith("--sun-misc-unsafe-memory-access")
                        || flag.startsWith("--enable-native-access"))
                .forEach(command::add);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.sluice.broker.cli.SluiceCommand");
        return command;
    }

    public URI uri() {
        return uri;
    }

    /** Everything the broker printed so far, stdout and stderr (its log file). */
    public String output() {
        try {
            return java.nio.file.Files.readString(log);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Waits until everything the process wrote to stdout and stderr is in the log files (both
     * streams ended, so after the process exited); false if that took longer than {@code timeout}.
     */
    public boolean awaitOutputCopied(java.time.Duration timeout) throws InterruptedException {
        return copier.join(timeout);
    }

    /** Starts reading the stderr of a {@link #serveWithStderrUnread} broker. */
    public void readStderr() {
        stderrRead.countDown();
    }

    /** Where the process's stderr (the application log) is copied, line by line, as it comes. */
    public Path stderr() {
        return stderr;
    }

    /**
     * SIGTERM: the broker shuts down gracefully. Returns at once; see {@link #awaitExit}. Through the
     * process handle, because {@code Process.destroy()} also closes the pipes, and what the broker
     * says while it shuts down would be lost.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** The exit code, once the process has ended within {@code timeout}; empty if it still runs. */
    public java.util.OptionalInt awaitExit(java.time.Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        stderrRead.countDown();
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            kill();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(" + log + " unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Copies stdout and stderr into {@code log} (stderr also into {@code stderr}) until the process
     * ends; stderr once {@code stderrRead} is open.
     */
    private static void copyOutput(Process process, Path log, Path stderr, CompletableFuture<URI> listening,
            java.util.concurrent.CountDownLatch stderrRead) {
        try (var out = java.nio.file.Files.newBufferedWriter(log);
                var err = java.nio.file.Files.newBufferedWriter(stderr)) {
            Thread errors = Thread.ofPlatform().daemon().start(() -> {
                try {
                    stderrRead.await();
                } catch (InterruptedException e) {
                    return;
                }
                copy(process.getErrorStream(), line -> {
                    append(out, line);
                    append(err, line);
                });
            });
            copy(process.getInputStream(), line -> {
                append(out, line);
                if (line.startsWith("listening on ")) {
                    listening.complete(URI.create(line.substring("listening on ".length()).trim()));
                }
            });
            errors.join();
        } catch (IOException | java.io.UncheckedIOException e) {
            listening.completeExceptionally(e);
        } catch (InterruptedException e) {
            listening.completeExceptionally(e);
        }
        listening.completeExceptionally(new IOException("broker exited before listening"));
    }

    private static void copy(java.io.InputStream in, java.util.function.Consumer<String> each) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                each.accept(line);
            }
        } catch (IOException e) {
            // The process ended and took its pipe with it.
        }
    }

    private static void append(java.io.BufferedWriter out, String line) {
        synchronized (out) {
            try {
                out.write(line);
                out.newLine();
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
