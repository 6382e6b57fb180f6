package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM the bench starts beside itself, so that what it serves is measured as a separate process
 * (its CPU time and memory read from {@code /proc}): the same {@code java}, class path and JVM flags
 * as the bench's own JVM (which the {@code sluice} launcher started with the project's flags), plus
 * any extra flags. Its standard output and error go to a log file; {@link #start} returns once a
 * line matching the ready pattern appeared.
 *
 * <p>{@link #close()} stops it with SIGTERM (its shutdown hooks run), and kills it if it has not
 * exited within 30 seconds; {@link #kill()} kills it at once (SIGKILL), as a crash would. A JVM
 * shutdown hook stops it too if the bench (or test) dies first.
 */
public final class ChildJvm implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** Flags of the bench's JVM that must not be passed on (a debugger port, an agent, a recording). */
    private static final List<String> NOT_INHERITED = List.of("-agentlib", "-agentpath", "-javaagent", "-Xrunjdwp",
            "-Xdebug", "-XX:StartFlightRecording", "-XX:+FlightRecorder");

    private final String name;
    private final Process process;
    private final Path log;
    private final Matcher ready;
    private final Thread stopOnExit;

    private ChildJvm(String name, Process process, Path log, Matcher ready, Thread stopOnExit) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.ready = ready;
        this.stopOnExit = stopOnExit;
    }

    /**
     * Starts {@code mainClass} with {@code args} and waits up to {@code timeout} for a line of its
     * standard output that matches {@code ready}.
     *
     * @throws IllegalStateException if it exits or stays silent first (the message holds the log's end)
     */
    public static ChildJvm start(String name, String mainClass, List<String> extraJvmFlags, List<String> args, Path log,
            Pattern ready, Duration timeout) throws IOException, InterruptedException {
        requireNonNull(name, "name is null");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(inheritedJvmFlags());
        command.addAll(extraJvmFlags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread stopOnExit = Thread.ofPlatform().unstarted(process::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        CompletableFuture<Matcher> readyLine = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name(name + "-output").start(() -> copyOutput(process, log, ready, readyLine));
        try {
            Matcher matched = readyLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new ChildJvm(name, process, log, matched, stopOnExit);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
            throw new IllegalStateException(name + " did not start (" + (e instanceof TimeoutException
                    ? "no ready line within " + timeout.toSeconds() + " s" : "it exited") + "); end of " + log + ":\n"
                    + tail(log), e);
        }
    }

    /** The JVM flags the bench's own JVM was started with, less debugger and agent flags. */
    static List<String> inheritedJvmFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(flag -> NOT_INHERITED.stream().noneMatch(flag::startsWith))
                .toList();
    }

    private static void copyOutput(Process process, Path log, Pattern ready, CompletableFuture<Matcher> readyLine) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = lines.readLine()) != null) {
                out.println(line);
                if (!readyLine.isDone()) {
                    Matcher matcher = ready.matcher(line);
                    if (matcher.find()) {
                        readyLine.complete(matcher);
                    }
                }
            }
        } catch (IOException e) {
            readyLine.completeExceptionally(e);
        }
        readyLine.completeExceptionally(new IllegalStateException("the process exited"));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(cannot read it: " + e.getMessage() + ")";
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** Group {@code group} of the ready line. */
    public String readyGroup(int group) {
        return ready.group(group);
    }

    /** CPU time and resident memory of the process now. */
    ProcessUsage usage() {
        return ProcessUsage.of(process.pid());
    }

    /**
     * SIGKILL: no shutdown hook runs, nothing is flushed; returns once the process is gone (at most
     * 30 seconds). {@link #close()} afterwards does nothing more.
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die within "
                    + STOP_TIMEOUT.toSeconds() + " s of SIGKILL");
        }
    }

    /** Whether the process still runs. */
    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException e) {
                // The bench's JVM is shutting down already; the hook kills the process.
            }
        }
    }
}
