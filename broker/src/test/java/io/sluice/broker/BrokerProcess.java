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
 * two side by side. Its output goes to a log file in the data directory.
 */
public final class BrokerProcess implements AutoCloseable {
    private final Process process;
    private final URI uri;
    private final Path log;

    private BrokerProcess(Process process, URI uri, Path log) {
        this.process = process;
        this.uri = uri;
        this.log = log;
    }

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
     * test JVM's own {@code SLUICE_*} variables reach it. Its output goes to a log file in {@code logDir}.
     */
    public static BrokerProcess serve(List<String> arguments, Map<String, String> environment, Path logDir)
            throws IOException {
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
        command.add("serve");
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SLUICE_"));
        builder.environment().putAll(environment);
        java.nio.file.Files.createDirectories(logDir);
        Process process = builder.start();
        CompletableFuture<URI> listening = new CompletableFuture<>();
        Path log = logDir.resolve("broker-" + process.pid() + ".log");
        Thread.ofPlatform().daemon().start(() -> copyOutput(process, log, listening));
        try {
            return new BrokerProcess(process, listening.get(60, TimeUnit.SECONDS), log);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            process.destroyForcibly();
            throw new IOException("broker process did not start within 60 s; its output ends with:\n" + tail(log), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }

    public URI uri() {
        return uri;
    }

    /** Everything the broker printed so far (its log file). */
    public String output() {
        try {
            return java.nio.file.Files.readString(log);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** SIGTERM: the broker shuts down gracefully. Returns at once; see {@link #awaitExit}. */
    public void terminate() {
        process.destroy();
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

    private static void copyOutput(Process process, Path log, CompletableFuture<URI> listening) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                var out = java.nio.file.Files.newBufferedWriter(log)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                out.write(line);
                out.newLine();
                out.flush();
                if (line.startsWith("listening on ")) {
                    listening.complete(URI.create(line.substring("listening on ".length()).trim()));
                }
            }
        } catch (IOException e) {
            listening.completeExceptionally(e);
        }
        listening.completeExceptionally(new IOException("broker exited before listening"));
    }
}
