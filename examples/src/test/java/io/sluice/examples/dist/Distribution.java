package io.sluice.examples.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The distribution as {@code ./sluice dist} builds it ({@code scripts/make-dist.sh} over this module's
 * packaged jar and {@code target/lib}), built once per test JVM, because jdeps and jlink take a minute
 * or two, and unpacked the way a user unpacks it.
 */
final class Distribution {
    private static final long BUILD_MINUTES = 15;
    private static Path home;

    private Distribution() {}

    /** The repository's root (failsafe passes it; run from the examples folder otherwise). */
    static Path repositoryRoot() {
        return Path.of(System.getProperty("sluice.root", "..")).toAbsolutePath().normalize();
    }

    /** The unpacked distribution's folder ({@code sluice-VERSION/}), built on the first call. */
    static synchronized Path home() throws IOException, InterruptedException {
        if (home == null) {
            home = buildAndUnpack();
        }
        return home;
    }

    private static Path buildAndUnpack() throws IOException, InterruptedException {
        Path out = Path.of(System.getProperty("sluice.dist.dir", "target/dist")).toAbsolutePath();
        Files.createDirectories(out);
        Path log = out.resolve("make-dist.log");
        Path printed = out.resolve("make-dist.out");
        ProcessBuilder build = new ProcessBuilder(repositoryRoot().resolve("scripts/make-dist.sh").toString(), out.toString())
                .redirectOutput(printed.toFile())
                .redirectError(log.toFile());
        // The JDK running the tests is the one Maven builds with: a JDK 25 with jdeps and jlink.
        build.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = build.start();
        if (!process.waitFor(BUILD_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("make-dist.sh took over " + BUILD_MINUTES + " minutes; see " + log);
        }
        assertThat(process.exitValue()).as("make-dist.sh exit status; its log:%n%s", Files.readString(log)).isZero();
        List<String> lines = Files.readAllLines(printed);
        assertThat(lines).as("make-dist.sh prints the archive's path last").isNotEmpty();
        Path archive = Path.of(lines.getLast());
        assertThat(archive.getFileName().toString()).matches("sluice-.+-linux-(x64|aarch64)\\.tar\\.gz");
        assertThat(archive).isRegularFile();

        Path unpacked = out.resolve("unpacked");
        run(List.of("rm", "-rf", unpacked.toString()));
        Files.createDirectories(unpacked);
        run(List.of("tar", "-xzf", archive.toString(), "-C", unpacked.toString()));
        try (Stream<Path> top = Files.list(unpacked)) {
            List<Path> entries = top.toList();
            assertThat(entries).as("the archive holds one folder").hasSize(1);
            String expected = archive.getFileName().toString().replaceFirst("-linux-[^-]+\\.tar\\.gz$", "");
            assertThat(entries.getFirst().getFileName()).hasToString(expected);
            return entries.getFirst();
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as("%s: %s", command, output).isZero();
    }
}
