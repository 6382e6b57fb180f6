package io.sluice.examples.dist;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The PostgreSQL that {@code SLUICE_TEST_POSTGRES_URL} names ({@code ./sluice test} and CI start one),
 * or else a throwaway cluster of {@code scripts/postgres-test-cluster.sh}, stopped on close; skips the
 * test where neither can be had.
 */
final class TestPostgres implements AutoCloseable {
    private final String url;
    private final Optional<Path> startedIn;

    private TestPostgres(String url, Optional<Path> startedIn) {
        this.url = url;
        this.startedIn = startedIn;
    }

    static TestPostgres start(Path dir) throws IOException, InterruptedException {
        String given = System.getenv("SLUICE_TEST_POSTGRES_URL");
        if (given != null && !given.isBlank()) {
            return new TestPostgres(given, Optional.empty());
        }
        boolean installed;
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql")).filter(v -> Files.isExecutable(v.resolve("bin/pg_ctl")))) {
            installed = versions.findAny().isPresent();
        } catch (IOException e) {
            installed = false;
        }
        assumeTrue(installed, "SLUICE_TEST_POSTGRES_URL is not set and PostgreSQL is not installed: skipping");
        Files.createDirectories(dir);
        Process start = script("start", dir).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String printed = new String(start.getInputStream().readAllBytes()).strip();
        if (!start.waitFor(2, TimeUnit.MINUTES) || start.exitValue() != 0) {
            throw new IllegalStateException("postgres-test-cluster.sh start failed (its error is above)");
        }
        return new TestPostgres(printed.lines().reduce((first, last) -> last).orElseThrow(), Optional.of(dir));
    }

    /** The JDBC URL as given: with {@code user=} when it names one (the test cluster's does). */
    String url() {
        return url;
    }

    /** The user {@code user=} in the URL names, if any. */
    Optional<String> user() {
        return parameters().stream().filter(p -> p.startsWith("user=")).map(p -> p.substring("user=".length())).findFirst();
    }

    /** The URL less its {@code user=} parameter, for a client that gives the user apart. */
    String urlWithoutUser() {
        int query = url.indexOf('?');
        List<String> kept = parameters().stream().filter(p -> !p.startsWith("user=")).toList();
        return (query < 0 ? url : url.substring(0, query)) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }

    private List<String> parameters() {
        int query = url.indexOf('?');
        return query < 0 ? List.of() : List.of(url.substring(query + 1).split("&"));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (startedIn.isPresent()) {
            script("stop", startedIn.get()).inheritIO().start().waitFor(2, TimeUnit.MINUTES);
        }
    }

    private static ProcessBuilder script(String command, Path dir) {
        return new ProcessBuilder(List.of(Distribution.repositoryRoot().resolve("scripts/postgres-test-cluster.sh").toString(),
                command, dir.toString()));
    }
}
