package io.sluice.broker.audit.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestCli;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestParquet;
import io.sluice.broker.TestPolicies;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FHIR export of a real broker's log after a real workload (a registration, a grant, a stream,
 * a denied grant): HAPI FHIR parses it, validates the Bundle and every AuditEvent against the base
 * R4 profiles with no error, and each AuditEvent is the record the JSON-lines export of the same
 * filter holds at the same place: same index, same leaf hash (recomputed here from the line's bytes).
 */
class FhirAuditExportIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Broker broker;
    private String owner;
    private String auditor;
    private String datasetId;
    private String grantId;
    private String streamId;
    private String origin;

    @BeforeEach
    void startBrokerWithAWorkload() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("broker"));
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        TestParquet.write(config.sourcesDir().resolve("clinic-b/other.parquet"));
        broker = Broker.start(config);
        owner = TestHttp.devToken(broker, "olga", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "lars", "ai-lab", "data-consumer");
        auditor = TestHttp.devToken(broker, "ines", "ehds-authority", "compliance-officer");
        HttpResponse<String> registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + TestPolicies.SCIENTIFIC_RESEARCH + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        datasetId = TestHttp.id(registered.body());
        HttpResponse<String> granted = TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"medical-research\"}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        grantId = TestHttp.id(granted.body());
        HttpResponse<String> stream = TestHttp.get(broker, "/v1/grants/" + grantId + "/stream", lab);
        assertThat(stream.statusCode()).isEqualTo(200);
        streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        assertThat(TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"marketing\"}")
                .statusCode()).isEqualTo(403);
        origin = NoteVerifier.parse(TestHttp.getText(broker, "/v1/audit/public-key", null).trim()).name();
    }

    @AfterEach
    void stopBroker() {
        broker.close();
    }

    @Test
    void aDatasetsRecordsAreOneValidAuditEventEachTiedToTheSignedLog() throws Exception {
        List<String> lines = jsonLines("/v1/audit/export?format=jsonl&dataset=" + datasetId);
        HttpResponse<String> fhir = TestHttp.get(broker, "/v1/audit/export?format=fhir&dataset=" + datasetId, auditor);

        assertThat(fhir.statusCode()).isEqualTo(200);
        assertThat(fhir.headers().firstValue("Content-Type")).contains("application/fhir+json; charset=utf-8");
        Bundle bundle = validBundle(fhir.body());
        assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.COLLECTION);
        assertThat(bundle.getIdentifier().getValue()).isEqualTo(fhir.headers().firstValue("Sluice-Tree-Size").orElseThrow());
        assertThat(lines).extracting(line -> JSON.readTree(line).path("action").asText()).containsExactly(
                "dataset.registered", "grant.issued", "stream.opened", "stream.closed", "grant.denied");
        assertMatches(bundle, lines);

        AuditEvent closed = event(bundle, "stream.closed");
        JsonNode closedRecord = record(lines, "stream.closed");
        assertThat(closed.getType().getCode()).isEqualTo("110106");
        assertThat(closed.getAction().toCode()).isEqualTo("R");
        assertThat(closed.getOutcome().toCode()).isEqualTo("0");
        assertThat(who(closed, "IRCP")).isEqualTo("lars");
        assertThat(who(closed, "RESP")).isEqualTo("ai-lab");
        assertThat(who(closed, "110153")).isEqualTo(origin);
        assertThat(closed.getSource().getObserver().getIdentifier().getValue()).isEqualTo(origin);
        assertThat(entity(closed, "dataset")).isEqualTo(datasetId);
        assertThat(entity(closed, "grant")).isEqualTo(grantId);
        assertThat(entity(closed, "stream")).isEqualTo(streamId);
        assertThat(detail(closed, "stream", "rows")).isEqualTo(closedRecord.path("rows").asText());
        assertThat(detail(closed, "stream", "bytes")).isEqualTo(closedRecord.path("bytes").asText());
        assertThat(detail(closed, "stream", "sha256")).isEqualTo(closedRecord.path("sha256").asText());
        assertThat(detail(closed, "dataset", "datasetVersion")).isEqualTo(closedRecord.path("datasetVersion").asText());
        assertThat(closed.getPurposeOfEventFirstRep().getCoding()).extracting(c -> c.getCode())
                .containsExactly("medical-research", "HRESCH");

        AuditEvent denied = event(bundle, "grant.denied");
        assertThat(denied.getType().getCode()).isEqualTo("110113");
        assertThat(denied.getAction().toCode()).isEqualTo("E");
        assertThat(denied.getOutcome().toCode()).isEqualTo("4");
        assertThat(denied.getOutcomeDesc()).contains(record(lines, "grant.denied").path("reasons").path(0).path("code").asText());
        assertThat(who(denied, "authserver")).isEqualTo(origin);
        assertThat(denied.getPurposeOfEventFirstRep().getText()).isEqualTo("marketing");
        assertThat(event(bundle, "grant.issued").getOutcome().toCode()).isEqualTo("0");
        assertThat(entity(event(bundle, "grant.issued"), "grant")).isEqualTo(grantId);
    }

    @Test
    void theWholeLogIsTheJsonLinesExportPlusTheFhirExportsOwnRecord() throws Exception {
        List<String> lines = jsonLines("/v1/audit/export");
        HttpResponse<String> fhir = TestHttp.get(broker, "/v1/audit/export?format=fhir", auditor);
        Bundle bundle = validBundle(fhir.body());

        // The JSON-lines export ends with its own audit.exported record; the FHIR export, made after it, with its own.
        assertThat(bundle.getEntry()).hasSize(lines.size() + 1);
        assertThat(fhir.headers().firstValue("Sluice-Tree-Size")).contains(Integer.toString(lines.size() + 1));
        assertMatches(new Bundle().setEntry(bundle.getEntry().subList(0, lines.size())), lines);
        AuditEvent own = (AuditEvent) bundle.getEntry().getLast().getResource();
        assertThat(subtype(own)).isEqualTo("audit.exported");
        assertThat(own.getType().getCode()).isEqualTo("110101");
        assertThat(who(own, "IRCP")).isEqualTo("ines");
    }

    @Test
    void aDataOwnersExportHoldsTheirDatasetsRecordsOnlyAndItsRecordNamesThem() throws Exception {
        String otherOwner = TestHttp.devToken(broker, "oscar", "clinic-b", "data-owner");
        HttpResponse<String> other = TestHttp.post(broker, "/v1/datasets", otherOwner, "{\"name\":\"other\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"other.parquet\"},\"policy\":" + TestPolicies.SCIENTIFIC_RESEARCH + "}");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(201);
        String otherDataset = TestHttp.id(other.body());
        String lab = TestHttp.devToken(broker, "lars", "ai-lab", "data-consumer");
        assertThat(TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + otherDataset
                + "\",\"purpose\":\"medical-research\"}").statusCode()).isEqualTo(201);

        List<String> mine = TestHttp.getText(broker, "/v1/audit/export?format=jsonl", owner).lines()
                .filter(l -> !l.isEmpty()).toList();
        List<String> theirs = TestHttp.getText(broker, "/v1/audit/export?format=jsonl", otherOwner).lines()
                .filter(l -> !l.isEmpty()).toList();
        // What GET /v1/audit shows each owner, and the compliance officer's export of that one dataset.
        assertThat(mine).isEqualTo(jsonLines("/v1/audit/export?format=jsonl&dataset=" + datasetId).stream()
                .filter(l -> !l.contains("\"audit.exported\"")).toList());
        assertThat(mine).extracting(l -> JSON.readTree(l).path("dataset").asText()).containsOnly(datasetId).hasSize(5);
        assertThat(theirs).extracting(l -> JSON.readTree(l).path("dataset").asText()).containsOnly(otherDataset).hasSize(2);
        assertThat(TestHttp.getText(broker, "/v1/audit/export?format=jsonl&dataset=" + otherDataset, owner))
                .as("another owner's dataset named outright").isEmpty();

        HttpResponse<String> fhir = TestHttp.get(broker, "/v1/audit/export?format=fhir", owner);
        assertThat(fhir.statusCode()).isEqualTo(200);
        Bundle bundle = validBundle(fhir.body());
        assertMatches(bundle, mine);
        assertThat(bundle.getEntry()).allSatisfy(e -> assertThat(entity((AuditEvent) e.getResource(), "dataset"))
                .isEqualTo(datasetId));
        assertThat(TestHttp.get(broker, "/v1/audit/export?format=csv", owner).body()).doesNotContain(otherDataset)
                .contains(datasetId);
        assertThat(TestHttp.get(broker, "/v1/audit/export", lab).statusCode()).as("a consumer exports nothing")
                .isEqualTo(403);

        JsonNode exports = JSON.readTree(TestHttp.getText(broker, "/v1/audit?action=audit.exported&subject=olga", auditor))
                .path("records");
        assertThat(exports).hasSize(4).allSatisfy(record -> {
            assertThat(record.path("actor").path("organisation").asText()).isEqualTo("hospital-a");
            assertThat(record.path("actor").path("roles").toString()).contains("data-owner");
            assertThat(record.path("actor").path("subject").asText()).isEqualTo("olga");
            assertThat(record.path("message").asText()).endsWith("; the datasets of hospital-a only");
        });
        assertThat(JSON.readTree(TestHttp.getText(broker, "/v1/audit?action=audit.exported&subject=ines", auditor))
                .path("records")).isNotEmpty().allSatisfy(record -> assertThat(record.path("message").asText())
                        .doesNotContain("the datasets of"));
    }

    @Test
    void theCliWritesTheSameValidBundle() throws Exception {
        List<String> lines = jsonLines("/v1/audit/export?format=jsonl&dataset=" + datasetId);
        Path out = dir.resolve("audit.fhir.json");

        TestCli.Result exported = TestCli.run("audit", "export", "--broker", broker.uri().toString(), "--token", auditor,
                "--format", "fhir", "--dataset", datasetId, "--out", out.toString());

        assertThat(exported.exitCode()).as(exported.output()).isZero();
        assertThat(exported.output()).isEqualTo("wrote " + String.format("%,d", Files.size(out)) + " bytes to " + out + "\n");
        assertMatches(validBundle(Files.readString(out)), lines);
    }

    /** Every entry an AuditEvent of the line at the same place: its action, index and leaf hash. */
    private static void assertMatches(Bundle bundle, List<String> lines) throws Exception {
        assertThat(bundle.getEntry()).hasSize(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode record = JSON.readTree(lines.get(i));
            AuditEvent event = (AuditEvent) bundle.getEntry().get(i).getResource();
            String leafHash = HexFormat.of().formatHex(MerkleHash.leaf(lines.get(i).getBytes(StandardCharsets.UTF_8)));
            assertThat(subtype(event)).isEqualTo(record.path("action").asText());
            assertThat(entity(event, "audit-leaf-hash")).as("record %d", i).isEqualTo(leafHash);
            assertThat(detail(event, "audit-leaf-hash", "index")).isEqualTo(record.path("index").asText());
            assertThat(event.getRecordedElement().getValueAsString()).isEqualTo(record.path("time").asText());
            assertThat(who(event, event.getAgentFirstRep().getType().getCodingFirstRep().getCode()))
                    .isEqualTo(record.path("actor").path("subject").asText());
        }
    }

    private Bundle validBundle(String json) {
        assertThat(FhirR4.errors(json)).as("the Bundle's validation errors").isEmpty();
        Bundle bundle = FhirR4.parseBundle(json);
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            Resource resource = entry.getResource();
            assertThat(resource).isInstanceOf(AuditEvent.class);
            assertThat(FhirR4.errors(resource)).as("validation errors of %s", entry.getFullUrl()).isEmpty();
        }
        return bundle;
    }

    private List<String> jsonLines(String path) throws Exception {
        return TestHttp.getText(broker, path, auditor).lines().filter(l -> !l.isEmpty()).toList();
    }

    private static JsonNode record(List<String> lines, String action) throws Exception {
        for (String line : lines) {
            JsonNode record = JSON.readTree(line);
            if (record.path("action").asText().equals(action)) {
                return record;
            }
        }
        throw new AssertionError("no " + action + " record");
    }

    private static AuditEvent event(Bundle bundle, String action) {
        return bundle.getEntry().stream().map(e -> (AuditEvent) e.getResource())
                .filter(e -> subtype(e).equals(action)).findFirst().orElseThrow();
    }

    private static String subtype(AuditEvent event) {
        return event.getSubtype().stream().filter(s -> s.getSystem().equals("https://sluice.dev/ns/audit-action"))
                .findFirst().orElseThrow().getCode();
    }

    private static String who(AuditEvent event, String typeCode) {
        return event.getAgent().stream().filter(a -> a.getType().getCodingFirstRep().getCode().equals(typeCode))
                .findFirst().orElseThrow(() -> new AssertionError("no agent of type " + typeCode))
                .getWho().getIdentifier().getValue();
    }

    private static Optional<AuditEvent.AuditEventEntityComponent> entityOf(AuditEvent event, String kind) {
        return event.getEntity().stream()
                .filter(e -> ("https://sluice.dev/ns/" + kind).equals(e.getWhat().getIdentifier().getSystem())).findFirst();
    }

    private static String entity(AuditEvent event, String kind) {
        return entityOf(event, kind).orElseThrow(() -> new AssertionError("no " + kind + " entity"))
                .getWhat().getIdentifier().getValue();
    }

    private static String detail(AuditEvent event, String kind, String type) {
        return entityOf(event, kind).orElseThrow().getDetail().stream().filter(d -> d.getType().equals(type))
                .findFirst().orElseThrow(() -> new AssertionError("no detail " + type)).getValue().primitiveValue();
    }
}
