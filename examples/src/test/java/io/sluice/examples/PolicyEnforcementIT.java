package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.LoaderException;
import io.sluice.loader.StreamRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every duty enforced end to end: one policy per duty, registered over HTTP, streamed through the
 * GPU loader, and every value compared with what parquet-java reads from the file. Then opt-outs,
 * pseudonyms across a restart, and a policy change that revokes a grant mid-stream.
 */
class PolicyEnforcementIT {
    private static final int ROWS = 30_000;

    @TempDir
    Path dir;

    private BrokerConfig config;
    private Broker broker;
    private BrokerClient client;
    private String owner;
    private String lab;
    private List<Group> original;

    @BeforeEach
    void start() throws Exception {
        config = BrokerConfig.embedded(dir);
        Path file = config.sourcesDir().resolve("hospital-a/patients.parquet");
        HospitalDataset.write(file, ROWS, 5, n -> {});
        original = EndToEndIT.readWithParquetJava(file);
        startBroker();
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void pseudonymisedIdsAreKeyedStableAcrossRestartsAndUnlinkableAcrossProjects() throws Exception {
        String datasetId = register(policy("{\"action\": \"sluice:pseudonymise\", \"target\": \"patient_id\"}"), null);
        List<String> first = column(stream(grant(datasetId, null)), "patient_id", String.class);
        List<String> again = column(stream(grant(datasetId, null)), "patient_id", String.class);
        List<String> otherProject = column(stream(grant(datasetId, "cardio-study")), "patient_id", String.class);
        // Another organisation naming this organisation's project still cannot link its pseudonyms.
        String otherLab = client.devToken("mallory", "lab-x", List.of("data-consumer"));
        ObjectNode sameProject = BrokerClient.json().createObjectNode().put("dataset", datasetId)
                .put("purpose", "medical-research").put("project", "ai-lab");
        String otherGrant = client.post("/v1/grants", Optional.of(otherLab), sameProject).orThrow().path("id").asText();
        List<String> otherOrganisation = new ArrayList<>();
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()).withPinnedLimitBytes(64L << 20));
                GrantStream stream = loader.open(otherGrant, StreamRequest.whole(), () -> otherLab)) {
            while (stream.hasNext()) {
                try (HostBatch batch = stream.next()) {
                    VarCharVector ids = (VarCharVector) batch.root().getVector("patient_id");
                    for (int i = 0; i < batch.rowCount(); i++) {
                        otherOrganisation.add(text(ids, i));
                    }
                }
            }
        }
        broker.close();
        startBroker();
        List<String> afterRestart = column(stream(grant(datasetId, null)), "patient_id", String.class);

        assertThat(first).hasSize(ROWS).allMatch(p -> p.matches("[0-9a-f]{64}"));
        assertThat(first).doesNotHaveDuplicates();
        assertThat(again).isEqualTo(first);
        assertThat(afterRestart).isEqualTo(first);
        for (int i = 0; i < ROWS; i++) {
            assertThat(otherProject.get(i)).isNotEqualTo(first.get(i));
            assertThat(otherOrganisation.get(i)).isNotEqualTo(first.get(i));
            assertThat(first.get(i)).isNotEqualTo(sha256(Long.toString(original.get(i).getLong("patient_id", 0))));
        }
    }

    @Test
    void generaliseMaskAndRowFilterChangeExactlyWhatThePolicySays() throws Exception {
        String datasetId = register(policy("{\"action\": \"sluice:generalise\", \"target\": \"age\", \"width\": 10}",
                "{\"action\": \"sluice:mask\", \"target\": \"sex\", \"with\": \"X\"}",
                "{\"action\": \"sluice:rowFilter\", \"expression\": \"consent = true AND age >= 30\"}"), null);
        JsonNode grant = grant(datasetId, null);
        List<VectorRow> rows = stream(grant);
        List<Group> expected = original.stream()
                .filter(g -> g.getBoolean("consent", 0) && g.getInteger("age", 0) >= 30).toList();
        assertThat(rows).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            Group want = expected.get(i);
            VectorRow got = rows.get(i);
            assertThat(got.values().get("patient_id")).isEqualTo(want.getLong("patient_id", 0));
            assertThat(got.values().get("age")).isEqualTo(want.getInteger("age", 0) / 10 * 10);
            assertThat(got.values().get("sex")).isEqualTo("X");
            assertThat(got.values().get("consent")).isEqualTo(true);
            assertThat(got.values()).doesNotContainKey("name");
        }
        JsonNode status = client.get("/v1/streams/" + rows.getFirst().streamId(), Optional.of(lab)).orThrow();
        assertThat(status.path("rowsIn").asLong()).isEqualTo(ROWS);
        assertThat(status.path("rows").asLong()).isEqualTo(expected.size());
        assertThat(grant.path("transforms").toString()).contains("generalise").contains("mask").contains("rowFilter");
    }

    @Test
    void optedOutSubjectsNeverAppearAgainAndTheAuditRecordCountsThemWithoutNamingThem() throws Exception {
        String datasetId = register(policy(), "patient_id");
        long first = original.get(0).getLong("patient_id", 0);
        long tenth = original.get(9).getLong("patient_id", 0);
        JsonNode added = client.post("/v1/datasets/" + datasetId + "/opt-outs", Optional.of(owner),
                BrokerClient.json().createObjectNode().set("ids",
                        BrokerClient.json().createArrayNode().add(Long.toString(first)).add(Long.toString(tenth)))).orThrow();
        assertThat(added.path("added").asInt()).isEqualTo(2);

        List<Long> ids = column(stream(grant(datasetId, null)), "patient_id", Long.class);
        assertThat(ids).hasSize(ROWS - 2).doesNotContain(first, tenth);
        String audit = client.get("/v1/audit", Optional.of(client.devToken("ines", "authority", List.of("compliance-officer"))),
                Map.of("action", "optout.added")).orThrow().toString();
        assertThat(audit).contains("\"records\":2").doesNotContain(Long.toString(first)).doesNotContain(Long.toString(tenth));
    }

    @Test
    void aPolicyChangeRevokesTheGrantAndStopsItsRunningStream() throws Exception {
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/big.parquet"), 1_000_000, 9, n -> {});
        String datasetId = register(policy(), null, "big.parquet");
        String grantId = grant(datasetId, null).path("id").asText();
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()));
                GrantStream stream = loader.open(grantId, StreamRequest.whole(), () -> lab)) {
            try (HostBatch batch = stream.next()) {
                assertThat(batch.rowCount()).isPositive();
            }
            JsonNode changed = BrokerClient.json().readTree(policy().replace("medical-research", "public-health"));
            JsonNode change = put("/v1/datasets/" + datasetId + "/policy", changed);
            assertThat(change.path("revokedGrants").toString()).contains(grantId);
            assertThrows(LoaderException.class, () -> {
                while (stream.hasNext()) {
                    stream.next().close();
                }
            });
            JsonNode status = client.get("/v1/streams/" + stream.streamId(), Optional.of(lab)).orThrow();
            assertThat(status.path("status").asText()).isEqualTo("aborted");
            assertThat(status.path("rows").asLong()).isLessThan(1_000_000);
        }
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()))) {
            LoaderException refused = assertThrows(LoaderException.class,
                    () -> loader.open(grantId, StreamRequest.whole(), () -> lab).close());
            assertThat(refused.httpStatus()).isEqualTo(403);
            assertThat(refused.error()).isEqualTo("grant_revoked");
        }
    }

    /** One delivered row: the stream it came in and its values by column. */
    record VectorRow(String streamId, Map<String, Object> values) {}

    private void startBroker() throws Exception {
        broker = Broker.start(config);
        client = new BrokerClient(broker.uri());
        owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
        lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
    }

    private static String policy(String... duties) {
        return """
                {"@type": "Set", "permission": [{"action": "use",
                  "constraint": [{"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]}],
                  "duty": [{"action": "sluice:drop", "target": "name"}%s]}]}""".formatted(
                duties.length == 0 ? "" : ", " + String.join(", ", duties));
    }

    private String register(String policy, String subjectColumn) throws Exception {
        return register(policy, subjectColumn, "patients.parquet");
    }

    private String register(String policy, String subjectColumn, String path) throws Exception {
        ObjectNode body = BrokerClient.json().createObjectNode().put("name", "patients");
        body.putObject("source").put("type", "parquet").put("path", path);
        body.set("policy", BrokerClient.json().readTree(policy));
        if (subjectColumn != null) {
            body.put("subjectColumn", subjectColumn);
        }
        return client.post("/v1/datasets", Optional.of(owner), body).orThrow().path("id").asText();
    }

    private JsonNode grant(String datasetId, String project) {
        ObjectNode body = BrokerClient.json().createObjectNode().put("dataset", datasetId).put("purpose", "medical-research");
        if (project != null) {
            body.put("project", project);
        }
        return client.post("/v1/grants", Optional.of(lab), body).orThrow();
    }

    private JsonNode put(String path, JsonNode body) throws Exception {
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        broker.uri().resolve(path)).header("Authorization", "Bearer " + owner)
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return BrokerClient.json().readTree(response.body());
    }

    private List<VectorRow> stream(JsonNode grant) {
        List<VectorRow> rows = new ArrayList<>();
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()));
                GrantStream stream = loader.open(grant.path("id").asText(), StreamRequest.whole(), () -> lab)) {
            while (stream.hasNext()) {
                try (HostBatch batch = stream.next()) {
                    VectorSchemaRoot root = batch.root();
                    for (int row = 0; row < root.getRowCount(); row++) {
                        Map<String, Object> values = new java.util.HashMap<>();
                        for (FieldVector vector : root.getFieldVectors()) {
                            values.put(vector.getName(), value(vector, row));
                        }
                        rows.add(new VectorRow(stream.streamId(), values));
                    }
                }
            }
        }
        return rows;
    }

    private static Object value(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        return switch (vector) {
            case VarCharVector text -> text(text, row);
            case BitVector bits -> bits.get(row) == 1;
            case IntVector ints -> ints.get(row);
            case BigIntVector longs -> longs.get(row);
            default -> vector.getObject(row);
        };
    }

    private static <T> List<T> column(List<VectorRow> rows, String name, Class<T> type) {
        return rows.stream().map(r -> type.cast(r.values().get(name))).toList();
    }

    private static String text(VarCharVector vector, int row) {
        return new String(vector.get(row), StandardCharsets.UTF_8);
    }

    private static String sha256(String value) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    }
}
