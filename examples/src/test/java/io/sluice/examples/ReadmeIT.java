package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.cli.SluiceCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's commands, run as a newcomer would type them: every {@code bash} block, in order, in
 * one shell, against a broker started as the README starts it, through the real {@code ./sluice}
 * launcher. Only what cannot run inside a test is left out: the lines that start a broker (the
 * test started one), {@code ./sluice test} (this test is part of it), {@code ./sluice demo} and
 * {@code ./sluice dist} (each has its own test). The README's port 8470 becomes the broker's.
 */
class ReadmeIT {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern BLOCK = Pattern.compile("(?ms)^```bash\\n(.*?)^```");
    /** Lines the test does not run, for the reasons in the class comment. */
    private static final Pattern LEFT_OUT = Pattern.compile("(?m)^.*(sluice serve\\b|\\./sluice (test|demo|dist)\\b).*$");
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    private static final long SECONDS = 300;

    @TempDir
    Path dir;

    @Test
    void everyReadmeCommandWorksAsWritten() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        writeLauncher();
        Process broker = start(List.of("./sluice", "serve", "--port", "0"), dir.resolve("broker.log"));
        try {
            int port = awaitPort(broker);
            Path script = dir.resolve("readme.sh");
            Files.writeString(script, script(readme, port));
            Process shell = start(List.of("bash", script.toString()), dir.resolve("readme.log"));
            boolean ended = shell.waitFor(SECONDS, TimeUnit.SECONDS);
            String log = Files.readString(dir.resolve("readme.log"));
            if (!ended) {
                shell.destroyForcibly();
            }
            assertThat(ended).as("the README's commands ended within %d s:%n%s", SECONDS, log).isTrue();
            assertThat(shell.exitValue()).as("the README's commands:%n%s", log).isZero();

            assertThat(log).containsPattern("registered ds-\\S+").containsPattern("granted gr-\\S+");
            assertThat(log).as("the loader read every row").containsPattern("rows\\s+100,000\\n");
            assertThat(log).contains("\"status\": \"completed\"");
            // The stream's record names the SHA-256 of what curl saved.
            Matcher recorded = Pattern.compile("\"sha256\": \"([0-9a-f]{64})\"").matcher(log);
            assertThat(recorded.find()).as(log).isTrue();
            assertThat(log).contains(recorded.group(1) + "  data.arrows");
            assertThat(log).as("audit verify, of the broker and of the export").containsPattern("(?s)OK: .*OK: ")
                    .doesNotContain("FAILED");
        } finally {
            broker.destroy();
            broker.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void helpListsEveryCommandAndEachCommandHasAnExample() throws Exception {
        writeLauncher();
        String usage = run(List.of("./sluice", "--help"));
        String launcher = Files.readString(ROOT.resolve("sluice"));
        String dispatch = launcher.substring(launcher.indexOf("case \"${1:-help}\" in"));
        List<String> commands = new ArrayList<>();
        Matcher label = Pattern.compile("(?m)^  ([a-z]+)(\\|[^)]*)?\\)").matcher(dispatch);
        while (label.find()) {
            commands.add(label.group(1));
        }
        commands.addAll(SluiceCommand.commandLine().getSubcommands().keySet());
        assertThat(commands).contains("demo", "sample", "load", "test", "bench", "serve", "audit", "ca");
        for (String command : commands) {
            assertThat(usage).as("./sluice --help names %s", command).containsPattern("(?m)^  " + command + "\\b");
        }
        for (List<String> command : List.of(List.of("serve"), List.of("sample"), List.of("load"), List.of("demo"),
                List.of("audit"), List.of("audit", "verify"), List.of("audit", "export"), List.of("audit", "report"),
                List.of("ca"), List.of("ca", "init"), List.of("ca", "issue-node"), List.of("ca", "issue-server"),
                List.of("bench", "stream"), List.of("bench", "audit"), List.of("dist"))) {
            List<String> args = new ArrayList<>(List.of("./sluice"));
            args.addAll(command);
            args.add("--help");
            assertThat(run(args)).as("./sluice %s --help", String.join(" ", command)).contains("Example");
        }
    }

    /** The README's blocks as one script: stops at the first failing command and shows each as it runs. */
    private static String script(String readme, int port) {
        StringBuilder script = new StringBuilder("set -euo pipefail\nset -x\n");
        Matcher block = BLOCK.matcher(readme);
        int number = 0;
        while (block.find()) {
            number++;
            String body = LEFT_OUT.matcher(block.group(1)).replaceAll("# (left out by the test) $0");
            body = body.replace("localhost:8470", "localhost:" + port).replace("127.0.0.1:8470", "127.0.0.1:" + port);
            script.append("# README block ").append(number).append('\n').append(body).append('\n');
        }
        assertThat(number).as("bash blocks in the README").isGreaterThan(5);
        return script.toString();
    }

    /** {@code ./sluice} in the working directory, as the README assumes, running this build's classes. */
    private void writeLauncher() throws IOException {
        Path launcher = dir.resolve("sluice");
        Files.writeString(launcher, "#!/usr/bin/env bash\nexec " + ROOT.resolve("sluice") + " \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
    }

    private Process start(List<String> command, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("SLUICE_CLASSPATH", System.getProperty("java.class.path"));
        // audit verify keeps its state under XDG_STATE_HOME: here, not in the user's home.
        env.put("XDG_STATE_HOME", dir.resolve("state").toString());
        return builder.start();
    }

    private String run(List<String> command) throws Exception {
        Path log = Files.createTempFile(dir, "run", ".log");
        Process process = start(command, log);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s ended", command).isTrue();
        String output = Files.readString(log);
        assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
        return output;
    }

    private int awaitPort(Process broker) throws Exception {
        Path log = dir.resolve("broker.log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Matcher listening = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (listening.find()) {
                return Integer.parseInt(listening.group(1));
            }
            assertThat(broker.isAlive()).as("the broker runs: %s", Files.readString(log)).isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("the broker did not say where it listens: " + Files.readString(log));
    }
}
