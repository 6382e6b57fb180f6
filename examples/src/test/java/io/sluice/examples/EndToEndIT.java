package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.audit.AuditVerifier;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleProofs;
import io.sluice.broker.audit.tlog.NoteVerifier;
import io.sluice.broker.auth.DevTokenIssuer;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.LoaderException;
import io.sluice.loader.StreamRequest;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One dataset end to end over real HTTP: a real Parquet file, the broker in-process on a free
 * loopback port, the GPU loader as the client, and the audit log read back.
 */
class EndToEndIT {
    private static final int ROWS = 150_000;
    private static final List<String> ALLOWED = List.of("patient_id", "age", "sex", "systolic_bp", "cholesterol",
            "glucose", "bmi", "consent", "diagnosis");

    @TempDir
    static Path dir;

    private static Broker broker;
    private static BrokerClient client;
    private static String owner;
    private static String lab;
    private static String auditor;
    private static String datasetId;
    private static List<Group> original;

    @BeforeAll
    static void startBrokerAndRegister() throws IOException {
        BrokerConfig config = BrokerConfig.embedded(dir);
        Path file = config.sourcesDir().resolve("hospital-a").resolve("patients.parquet");
        HospitalDataset.write(file, ROWS, 7, written -> {});
        original = readWithParquetJava(file);
        broker = Broker.start(config);
        client = new BrokerClient(broker.uri());
        owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
        lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
        auditor = client.devToken("inspector", "ehds-authority", List.of("compliance-officer"));
        JsonNode dataset = client.post("/v1/datasets", Optional.of(owner), registration("patients.parquet")).orThrow();
        datasetId = dataset.path("id").asText();
        assertThat(dataset.path("rows").asLong()).isEqualTo(ROWS);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close(); // closes the broker's root allocator: a leaked stream buffer fails here
        }
    }

    @Test
    void loaderReceivesTheAllowedColumnsAndEveryRowWithItsOriginalValues() {
        String grantId = grant("medical-research").path("id").asText();
        List<Map<String, Object>> received = new ArrayList<>();
        String sha256;
        String streamId;
        long bytes;
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()));
                GrantStream stream = loader.open(grantId, StreamRequest.whole(), () -> lab)) {
            assertThat(stream.schema().getFields()).extracting(Field::getName).containsExactlyElementsOf(ALLOWED);
            while (stream.hasNext()) {
                try (HostBatch batch = stream.next()) {
                    assertThat(batch.root().getSchema().getFields()).extracting(Field::getName).doesNotContain("name");
                    received.addAll(rows(batch.root()));
                }
            }
            sha256 = stream.sha256Hex();
            streamId = stream.streamId();
            bytes = stream.bytesReceived();
        }
        assertThat(received).hasSize(ROWS);
        for (int i = 0; i < ROWS; i++) {
            assertThat(received.get(i)).as("row %d", i).isEqualTo(expected(original.get(i)));
        }
        JsonNode status = client.get("/v1/streams/" + streamId, Optional.of(lab)).orThrow();
        assertThat(status.path("status").asText()).isEqualTo("completed");
        assertThat(status.path("sha256").asText()).isEqualTo(sha256);
        assertThat(status.path("bytes").asLong()).isEqualTo(bytes);
        assertThat(status.path("rows").asLong()).isEqualTo(ROWS);
    }

    @Test
    void shardsAreDisjointAndTogetherCoverEveryRow() {
        String grantId = grant("medical-research").path("id").asText();
        Set<Long> seen = new HashSet<>();
        long total = 0;
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()))) {
            for (int shard = 0; shard < 2; shard++) {
                try (GrantStream stream = loader.open(grantId, new StreamRequest(shard, 2, 0), () -> lab)) {
                    while (stream.hasNext()) {
                        try (HostBatch batch = stream.next()) {
                            BigIntVector ids = (BigIntVector) batch.root().getVector("patient_id");
                            for (int row = 0; row < batch.rowCount(); row++) {
                                assertThat(seen.add(ids.get(row))).as("patient %d twice", ids.get(row)).isTrue();
                            }
                            total += batch.rowCount();
                        }
                    }
                }
            }
        }
        assertThat(total).isEqualTo(ROWS);
    }

    @Test
    void clientThatDisconnectsMidStreamAbortsTheStreamAndTheBrokerKeepsServing() throws Exception {
        // Large enough that the broker must wait on back-pressure while the client is gone.
        HospitalDataset.write(dir.resolve("sources/hospital-a/big.parquet"), 1_000_000, 11, written -> {});
        String bigId = client.post("/v1/datasets", Optional.of(owner), registration("big.parquet")).orThrow()
                .path("id").asText();
        String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                .put("dataset", bigId).put("purpose", "medical-research")).orThrow().path("id").asText();
        String streamId;
        try (java.net.Socket socket = new java.net.Socket(broker.uri().getHost(), broker.uri().getPort())) {
            socket.getOutputStream().write(("GET /v1/grants/" + grantId + "/stream HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + lab + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] head = socket.getInputStream().readNBytes(64 * 1024);
            String headers = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(headers).startsWith("HTTP/1.1 200");
            streamId = headers.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("sluice-stream-id:"))
                    .findFirst().orElseThrow().substring("sluice-stream-id:".length()).trim();
        }
        Poll.until(() -> !client.get("/v1/streams/" + streamId, Optional.of(lab)).orThrow().path("status").asText()
                .equals("running"), Duration.ofSeconds(30), "the stream ends once its client has gone");
        JsonNode status = client.get("/v1/streams/" + streamId, Optional.of(lab)).orThrow();
        assertThat(status.path("status").asText()).isEqualTo("aborted");
        assertThat(status.path("rows").asLong()).isLessThan(1_000_000);
        assertThat(auditRecords("stream.aborted"))
                .anySatisfy(record -> assertThat(record.path("stream").asText()).isEqualTo(streamId));
        assertThat(client.get("/health", Optional.empty()).status()).isEqualTo(200);
    }

    @Test
    void wrongPurposeIsDeniedWithACodedReasonAndAudited() {
        BrokerClient.Response denied = client.post("/v1/grants", Optional.of(lab),
                BrokerClient.json().createObjectNode().put("dataset", datasetId).put("purpose", "marketing"));
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.body().path("error").asText()).isEqualTo("forbidden");
        assertThat(denied.body().path("reasons").get(0).path("code").asText()).isEqualTo("PURPOSE_NOT_PERMITTED");
        assertThat(denied.body().path("reasons").get(0).path("message").asText())
                .isEqualTo("purpose 'marketing' is not one of [medical-research]");
        assertThat(auditRecords("grant.denied"))
                .anySatisfy(record -> {
                    assertThat(record.path("purpose").asText()).isEqualTo("marketing");
                    assertThat(record.path("actor").path("organisation").asText()).isEqualTo("ai-lab");
                    assertThat(record.path("reasons").get(0).path("code").asText()).isEqualTo("PURPOSE_NOT_PERMITTED");
                });
    }

    @Test
    void explicitRequestForADroppedColumnIsDenied() {
        ObjectNode request = BrokerClient.json().createObjectNode().put("dataset", datasetId)
                .put("purpose", "medical-research");
        request.putArray("columns").add("patient_id").add("name");
        BrokerClient.Response denied = client.post("/v1/grants", Optional.of(lab), request);
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.body().path("reasons").get(0).path("code").asText()).isEqualTo("COLUMN_NOT_PERMITTED");
    }

    @Test
    void requestWithoutTokenIsRefusedWith401AndAudited() {
        BrokerClient.Response response = client.get("/v1/catalog", Optional.empty());
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.body().path("error").asText()).isEqualTo("unauthenticated");
        String requestId = response.body().path("requestId").asText();
        assertThat(auditRecords("auth.failed"))
                .anySatisfy(record -> assertThat(record.path("requestId").asText()).isEqualTo(requestId));
    }

    @Test
    void tokenSignedByAnotherKeyIsRefusedWith401() {
        Vertx vertx = Vertx.vertx();
        try {
            // Same issuer name, same claims, a different private key: only the signature gives it away.
            DevTokenIssuer forger = DevTokenIssuer.create(vertx, "sluice-dev://127.0.0.1");
            String forged = forger.mint("trainer-7", "ai-lab", List.of("data-consumer"));
            BrokerClient.Response response = client.get("/v1/catalog", Optional.of(forged));
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.body().path("message").asText()).startsWith("invalid token");
        } finally {
            vertx.close();
        }
        assertThat(client.get("/health", Optional.empty()).status()).isEqualTo(200);
    }

    @Test
    void streamOfAnotherRequestersGrantIsRefused() {
        String grantId = grant("medical-research").path("id").asText();
        String otherLab = client.devToken("intruder", "ai-lab", List.of("data-consumer"));
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()))) {
            LoaderException refused = org.junit.jupiter.api.Assertions.assertThrows(LoaderException.class,
                    () -> loader.open(grantId, StreamRequest.whole(), () -> otherLab).close());
            assertThat(refused.httpStatus()).isEqualTo(403);
        }
    }

    @Test
    void consumerCannotRegisterDatasets() {
        BrokerClient.Response response = client.post("/v1/datasets", Optional.of(lab), registration("patients.parquet"));
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.body().path("message").asText()).contains("requires role data-owner");
    }

    @Test
    void pathOutsideTheOrganisationsDirectoryIsRefusedAndAudited() throws IOException {
        Files.createDirectories(dir.resolve("sources/other-org"));
        Files.writeString(dir.resolve("sources/other-org/secret.parquet"), "not yours");
        for (String path : List.of("../other-org/secret.parquet", "/etc/passwd")) {
            BrokerClient.Response response = client.post("/v1/datasets", Optional.of(owner), registration(path));
            assertThat(response.status()).as(path).isEqualTo(400);
            assertThat(response.body().path("error").asText()).isEqualTo("path_outside_root");
        }
        assertThat(auditRecords("dataset.rejected"))
                .anySatisfy(record -> assertThat(record.path("message").asText()).contains("../other-org/secret.parquet"));
    }

    @Test
    void malformedJsonIsA400AndTheBrokerKeepsServing() {
        BrokerClient.Response response = client.postRaw("/v1/grants", Optional.of(lab), "{\"dataset\": ");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().path("error").asText()).isEqualTo("malformed_json");
        assertThat(client.get("/v1/catalog", Optional.of(lab)).status()).isEqualTo(200);
    }

    @Test
    void auditLogVerifiesAgainstItsSignedCheckpointAndProvesInclusion() throws Exception {
        NoteVerifier verifier = NoteVerifier.parse(client.getText("/v1/audit/public-key", Optional.empty()).trim());
        String note = client.getText("/v1/audit/checkpoint", Optional.of(lab));
        Checkpoint checkpoint = Checkpoint.parseBody(verifier.verify(note));
        assertThat(checkpoint.size()).isPositive();
        List<byte[]> records = new ArrayList<>();
        for (JsonNode entry : client.get("/v1/audit/entries", Optional.of(auditor),
                Map.of("start", "0", "end", Long.toString(checkpoint.size()))).orThrow().path("entries")) {
            records.add(Base64.getDecoder().decode(entry.path("leaf").asText()));
        }
        AuditVerifier.Result result = new AuditVerifier(verifier).verify(records, List.of(note), Optional.empty());
        assertThat(result.problem()).isEmpty();
        assertThat(result.records()).isEqualTo(checkpoint.size());

        long index = checkpoint.size() / 2;
        JsonNode proof = client.get("/v1/audit/proof/inclusion", Optional.of(lab),
                Map.of("index", Long.toString(index), "size", Long.toString(checkpoint.size()))).orThrow();
        List<byte[]> hashes = new ArrayList<>();
        proof.path("hashes").forEach(h -> hashes.add(Base64.getDecoder().decode(h.asText())));
        assertThat(MerkleProofs.verifyInclusion(index, checkpoint.size(), MerkleHash.leaf(records.get((int) index)),
                hashes, checkpoint.rootHash())).isTrue();
    }

    private static ObjectNode registration(String path) {
        // Named after its file: names are unique per organisation, and this class registers two.
        ObjectNode body = BrokerClient.json().createObjectNode().put("name", path.replace(".parquet", ""));
        body.putObject("source").put("type", "parquet").put("path", path);
        try {
            body.set("policy", BrokerClient.json().readTree(Demo.POLICY));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return body;
    }

    private static JsonNode grant(String purpose) {
        return client.post("/v1/grants", Optional.of(lab),
                BrokerClient.json().createObjectNode().put("dataset", datasetId).put("purpose", purpose)).orThrow();
    }

    private static List<JsonNode> auditRecords(String action) {
        List<JsonNode> result = new ArrayList<>();
        client.get("/v1/audit", Optional.of(auditor), Map.of("action", action, "limit", "1000")).orThrow()
                .path("records").forEach(result::add);
        return result;
    }

    private static List<Map<String, Object>> rows(VectorSchemaRoot root) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int row = 0; row < root.getRowCount(); row++) {
            Map<String, Object> values = new java.util.HashMap<>();
            values.put("patient_id", ((BigIntVector) root.getVector("patient_id")).get(row));
            values.put("age", ((IntVector) root.getVector("age")).get(row));
            values.put("sex", new String(((VarCharVector) root.getVector("sex")).get(row), java.nio.charset.StandardCharsets.UTF_8));
            for (String lab : List.of("systolic_bp", "cholesterol", "glucose", "bmi")) {
                Float8Vector vector = (Float8Vector) root.getVector(lab);
                values.put(lab, vector.isNull(row) ? null : vector.get(row));
            }
            values.put("consent", ((BitVector) root.getVector("consent")).get(row) == 1);
            values.put("diagnosis", ((IntVector) root.getVector("diagnosis")).get(row));
            rows.add(values);
        }
        return rows;
    }

    private static Map<String, Object> expected(Group group) {
        Map<String, Object> values = new java.util.HashMap<>();
        values.put("patient_id", group.getLong("patient_id", 0));
        values.put("age", group.getInteger("age", 0));
        values.put("sex", group.getString("sex", 0));
        for (String lab : List.of("systolic_bp", "cholesterol", "glucose", "bmi")) {
            values.put(lab, group.getFieldRepetitionCount(lab) == 0 ? null : group.getDouble(lab, 0));
        }
        values.put("consent", group.getBoolean("consent", 0));
        values.put("diagnosis", group.getInteger("diagnosis", 0));
        return values;
    }

    /** Reads the file with parquet-java's own row API: an oracle independent of Sluice's reader. */
    static List<Group> readWithParquetJava(Path file) throws IOException {
        List<Group> groups = new ArrayList<>();
        try (ParquetReader<Group> reader = new ParquetReader.Builder<Group>(new LocalInputFile(file),
                new org.apache.parquet.conf.PlainParquetConfiguration()) {
            @Override
            protected ReadSupport<Group> getReadSupport() {
                return new GroupReadSupport();
            }
        }.build()) {
            for (Group group = reader.read(); group != null; group = reader.read()) {
                groups.add(group);
            }
        }
        return groups;
    }
}
