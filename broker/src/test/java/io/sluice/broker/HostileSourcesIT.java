package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data owner registers what no connector can read safely: named pipes (an open blocks until a
 * writer comes, holding a worker thread for good), paths through a regular file, loops of links.
 * Each is a 400 naming the path as the owner gave it, audited as {@code dataset.rejected}, and the
 * broker keeps answering.
 */
class HostileSourcesIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private Broker broker;
    private Path org;
    private String owner;
    private final List<Path> pipes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        org = Files.createDirectories(config.sourcesDir().resolve("hospital-a"));
        broker = Broker.start(config);
        owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
    }

    @AfterEach
    void stop() throws IOException {
        // Were a registration stuck opening a pipe (the bug), a writer releases it, so the broker can
        // stop. Opened for reading and writing, a pipe never blocks the opener (Linux); a write-only
        // open would wait for a reader for good, and hold a carrier thread of every virtual thread.
        for (Path pipe : pipes) {
            try (FileChannel writer = FileChannel.open(pipe, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // opened: a reader blocked on the pipe sees its end when this closes
            }
        }
        broker.close();
    }

    @Test
    void namedPipesAsParquetCsvOrInsideADirectoryAreRefusedAuditedAndTheBrokerStaysHealthy() throws Exception {
        pipes.add(Fifos.make(org.resolve("pipe.parquet")));
        pipes.add(Fifos.make(org.resolve("pipe.csv")));
        TestParquet.write(org.resolve("export/site=berlin/part-0.parquet"));
        Files.createDirectories(org.resolve("export/site=paris"));
        pipes.add(Fifos.make(org.resolve("export/site=paris/part-0.parquet")));

        assertRefused(register("parquet", "pipe.parquet"), "not_a_regular_file",
                "'pipe.parquet' is a named pipe (FIFO), not a regular file");
        assertRefused(register("csv", "pipe.csv"), "not_a_regular_file",
                "'pipe.csv' is a named pipe (FIFO), not a regular file");
        assertRefused(register("parquet", "export"), "not_a_regular_file",
                "'export/site=paris/part-0.parquet' is a named pipe (FIFO), not a regular file");

        // The attack proper: more pipe registrations at once than the broker has worker threads.
        List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            flood.add(HTTP.sendAsync(registration(i % 2 == 0 ? "parquet" : "csv", i % 2 == 0 ? "pipe.parquet" : "pipe.csv"),
                    HttpResponse.BodyHandlers.ofString()));
        }
        assertHealthyWithin(Duration.ofSeconds(10));
        for (CompletableFuture<HttpResponse<String>> response : flood) {
            assertThat(response.get().statusCode()).isEqualTo(400);
        }

        String audit = rejections();
        assertThat(audit).contains("'pipe.parquet' is a named pipe (FIFO)", "'pipe.csv' is a named pipe (FIFO)",
                "'export/site=paris/part-0.parquet' is a named pipe (FIFO)");
        assertThat(audit).doesNotContain(dir.toString());
    }

    @Test
    void aPathThroughARegularFileOrALoopOfLinksIsA400NamingOnlyTheOwnersPath() throws Exception {
        TestParquet.write(org.resolve("small.parquet"));
        Files.createSymbolicLink(org.resolve("a"), org.resolve("b"));
        Files.createSymbolicLink(org.resolve("b"), org.resolve("a"));

        assertRefused(register("parquet", "small.parquet/x"), "invalid_source_config",
                "source path 'small.parquet/x' cannot be resolved: Not a directory");
        assertRefused(register("parquet", "a"), "invalid_source_config",
                "source path 'a' cannot be resolved: Too many levels of symbolic links");

        String audit = rejections();
        assertThat(audit).contains("source path 'small.parquet/x' cannot be resolved", "source path 'a' cannot be resolved");
        assertThat(audit).doesNotContain(dir.toString());
        assertHealthyWithin(Duration.ofSeconds(10));
    }

    private HttpResponse<String> register(String type, String path) throws IOException, InterruptedException {
        return HTTP.send(registration(type, path), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest registration(String type, String path) {
        return HttpRequest.newBuilder(broker.uri().resolve("/v1/datasets")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + owner)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"hostile\",\"source\":{\"type\":\"" + type
                        + "\",\"path\":\"" + path + "\"},\"policy\":" + POLICY + "}"))
                .build();
    }

    private void assertRefused(HttpResponse<String> response, String error, String messageStart) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("\"error\":\"" + error + "\"", "\"message\":\"" + messageStart)
                .doesNotContain(dir.toString());
    }

    private String rejections() throws IOException, InterruptedException {
        String auditor = TestHttp.devToken(broker, "auditor", "regulator", "compliance-officer");
        return TestHttp.getText(broker, "/v1/audit?action=dataset.rejected&limit=1000", auditor);
    }

    private void assertHealthyWithin(Duration deadline) throws IOException, InterruptedException {
        URI health = broker.uri().resolve("/health");
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(health).timeout(deadline).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"status\":\"ok\"");
    }
}
