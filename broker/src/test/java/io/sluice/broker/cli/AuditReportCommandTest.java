package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.broker.TestCli;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.NoteSigner;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where {@code sluice audit report} gets the names of datasets: from the {@code datasets} labels of
 * the {@code GET /v1/audit} pages it reads anyway (withdrawn datasets included), never with a request
 * per dataset. A small HTTP server stands in for the broker and records what was asked.
 */
class AuditReportCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> asked = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @BeforeEach
    void startFakeBroker() throws IOException {
        String note = NoteSigner.generate("sluice.local/audit").sign(new Checkpoint("sluice.local/audit", 10,
                new byte[32]).body());
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().toString());
            String path = exchange.getRequestURI().getPath();
            String query = String.valueOf(exchange.getRequestURI().getQuery());
            if (path.equals("/v1/audit/checkpoint")) {
                answer(exchange, 200, note);
            } else if (path.equals("/v1/audit") && query.contains("action=stream.closed")) {
                answer(exchange, 200, """
                        {"records": [
                          {"index": 3, "action": "stream.closed", "dataset": "ds-kept", "purpose": "medical-research",
                           "actor": {"subject": "lars", "organisation": "ai-lab", "roles": []}, "rows": 100, "bytes": 4000},
                          {"index": 7, "action": "stream.closed", "dataset": "ds-gone", "purpose": "medical-research",
                           "actor": {"subject": "lars", "organisation": "ai-lab", "roles": []}, "rows": 50, "bytes": 2000}],
                         "datasets": {"ds-kept": {"name": "cardiology", "organisation": "hospital-a"},
                                      "ds-gone": {"name": "oncology-2019", "organisation": "clinic-b"}}}""");
            } else if (path.equals("/v1/audit")) {
                answer(exchange, 200, "{\"records\": [], \"datasets\": {}}");
            } else {
                answer(exchange, 404, "{\"code\": 404, \"error\": \"not_found\", \"message\": \"no such thing\"}");
            }
        });
        server.start();
    }

    @AfterEach
    void stopFakeBroker() {
        server.stop(0);
    }

    @Test
    void namesDatasetsFromTheAuditPagesLabelsWithoutARequestPerDataset() throws Exception {
        TestCli.Result report = TestCli.run("audit", "report", "--broker", "http://127.0.0.1:" + server.getAddress().getPort(),
                "--token", "t", "--format", "json");

        assertThat(report.exitCode()).as(report.output()).isZero();
        JsonNode byDataset = JSON.readTree(report.output()).path("byDataset");
        assertThat(byDataset).extracting(d -> d.path("dataset").asText() + " " + d.path("name").asText() + " "
                + d.path("owner").asText() + " " + d.path("rows").asLong()).containsExactly(
                "ds-gone oncology-2019 clinic-b 50", "ds-kept cardiology hospital-a 100");
        assertThat(asked).noneMatch(uri -> uri.startsWith("/v1/datasets"));
    }

    @Test
    void aCheckpointThatDoesNotVerifyWithTheGivenKeyFailsInOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path other = java.nio.file.Files.writeString(dir.resolve("other.pub"),
                NoteSigner.generate("sluice.local/audit").verifierKey() + "\n");

        TestCli.Result report = TestCli.run("audit", "report", "--broker", "http://127.0.0.1:" + server.getAddress().getPort(),
                "--token", "t", "--public-key", other.toString());

        assertThat(report.exitCode()).isEqualTo(1);
        assertThat(report.output()).startsWith("FAILED: the broker's checkpoint does not verify with " + other + ": ")
                .doesNotContain("\tat ");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status == 200 && body.startsWith("sluice")
                ? "text/plain; charset=utf-8" : "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
