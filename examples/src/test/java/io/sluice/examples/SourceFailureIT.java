package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.loader.Checkpoint;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.LoadedBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.LoaderException;
import io.sluice.loader.TrainingStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CSV source with a malformed row, through the real broker and the real loader: registration
 * finds it when it lies in the part it converts; one beyond that part cuts every stream, and the
 * loader fails once, with the broker's reason, instead of retrying.
 */
class SourceFailureIT {
    private static final String POLICY = """
            {"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set",
             "permission": [{"action": "use", "constraint": [
               {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
               {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}]}]}""";
    /** Two blocks of records (16,384 each) and a bit: a check of the first block misses line 30,001. */
    private static final int ROWS = 40_000;

    @TempDir
    Path dir;

    @Test
    void aBadRowBeyondTheCheckFailsTheLoaderOnceWithTheBrokersReason() throws Exception {
        // 1 KiB: registration converts only the first block of records.
        BrokerConfig config = BrokerConfig.embedded(dir).withCsvCheckBytes(1024);
        writeCsv(config.sourcesDir().resolve("hospital-a/visits.csv"), 30_001);
        try (Broker broker = Broker.start(config);
                GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()).withPinnedLimitBytes(64L << 20))) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            String auditor = client.devToken("ines", "ehds-authority", List.of("compliance-officer"));
            BrokerClient.Response registered = client.post("/v1/datasets", Optional.of(owner), registration("reject"));
            assertThat(registered.status()).isEqualTo(201);
            assertThat(registered.body().path("check").toString())
                    .isEqualTo("{\"bytes\":" + blockEnd(config) + ",\"wholeFile\":false,\"rows\":16384,\"skippedRows\":0,"
                            + "\"skippedLines\":[]}");
            String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", registered.body().path("id").asText()).put("purpose", "medical-research"))
                    .orThrow().path("id").asText();

            try (TrainingStream stream = loader.openTraining(grantId, Checkpoint.start(0, 1, 0, 7L), () -> lab)) {
                assertThatThrownBy(() -> {
                    while (stream.hasNext()) {
                        try (LoadedBatch batch = stream.next()) {
                            // read on
                        }
                    }
                }).isInstanceOfSatisfying(LoaderException.class, e -> assertThat(e.error()).isEqualTo("source_failed"))
                        .hasMessageMatching("stream (st-[0-9a-f]+) of grant " + grantId + " was aborted by the broker: the"
                                + " stream failed: visits.csv line 30001, column 'age': the value is not an int64");
            }

            JsonNode opened = client.get("/v1/audit", Optional.of(auditor),
                    Map.of("action", "stream.opened", "limit", "100")).orThrow().path("records");
            assertThat(opened).as("one stream, no retries").hasSize(1);
            String streamId = opened.get(0).path("stream").asText();
            JsonNode view = client.get("/v1/streams/" + streamId, Optional.of(lab)).orThrow();
            assertThat(view.path("status").asText()).isEqualTo("aborted");
            assertThat(view.path("failure").asText()).isEqualTo("source");
            assertThat(view.path("message").asText())
                    .isEqualTo("the stream failed: visits.csv line 30001, column 'age': the value is not an int64");

            // Any HTTP client: the body is reset, never ended, so it never carries the end-of-stream marker.
            HttpResponse<InputStream> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            broker.uri().resolve("/v1/grants/" + grantId + "/stream"))
                    .header("Authorization", "Bearer " + lab).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(raw.statusCode()).isEqualTo(200);
            try (InputStream body = raw.body()) {
                assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void aBadRowWithinTheCheckIsRefusedAtRegistrationOrReportedWhenSkipped() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        writeCsv(config.sourcesDir().resolve("hospital-a/visits.csv"), 19);
        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));

            BrokerClient.Response refused = client.post("/v1/datasets", Optional.of(owner), registration("reject"));
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body().path("error").asText()).isEqualTo("corrupt_source");
            assertThat(refused.body().path("message").asText())
                    .isEqualTo("visits.csv line 19, column 'age': the value is not an int64");

            BrokerClient.Response skipped = client.post("/v1/datasets", Optional.of(owner), registration("skip"));
            assertThat(skipped.status()).isEqualTo(201);
            assertThat(skipped.body().path("check").toString()).isEqualTo("{\"bytes\":"
                    + Files.size(config.sourcesDir().resolve("hospital-a/visits.csv"))
                    + ",\"wholeFile\":true,\"rows\":39999,\"skippedRows\":1,\"skippedLines\":[19]}");
        }
    }

    private static ObjectNode registration(String onError) throws Exception {
        ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "visits");
        registration.putObject("source").put("type", "csv").put("path", "visits.csv").put("header", "true")
                .put("types", "age:int64").put("onError", onError);
        registration.set("policy", BrokerClient.json().readTree(POLICY));
        return registration;
    }

    /** A header and {@link #ROWS} records {@code id,age}; the record on line {@code badLine} has age {@code "old"}. */
    private static void writeCsv(Path file, int badLine) throws Exception {
        Files.createDirectories(file.getParent());
        StringBuilder csv = new StringBuilder("id,age\n");
        for (int id = 1; id <= ROWS; id++) {
            csv.append(id).append(',').append(id + 1 == badLine ? "old" : Integer.toString(20 + id % 60)).append('\n');
        }
        Files.writeString(file, csv);
    }

    /** Where the second block of records starts: the header, then 16,384 records. */
    private static long blockEnd(BrokerConfig config) throws Exception {
        List<String> lines = Files.readAllLines(config.sourcesDir().resolve("hospital-a/visits.csv"));
        long bytes = 0;
        for (int i = 0; i <= 16_384; i++) {
            bytes += lines.get(i).length() + 1;
        }
        return bytes;
    }
}
