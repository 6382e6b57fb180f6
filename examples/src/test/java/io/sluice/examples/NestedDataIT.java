package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nested data end to end, with pyarrow at both ends: pyarrow writes a FHIR-shaped file (a struct
 * holding a list of structs, a map, a list of lists, nulls at every level), the owner's policy
 * reaches into it (drop and pseudonymise inside list elements, pseudonymise a map's keys, mask a
 * list of lists whole, a row filter on a struct's field), and pyarrow reads the stream. Every row is checked against
 * pyarrow's own reading of the file; paths the policy cannot have are refused when it is set.
 */
class NestedDataIT {
    private static final Path WRITER = Path.of("src/test/python/fhir_encounters.py");
    private static final int ROWS = 4000;
    private static final String REGISTRATION = """
            {"name": "encounters", "source": {"type": "parquet", "path": "encounters.parquet"},
             "policy": {"@type": "Set", "permission": [{"action": "use",
               "constraint": [{"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}],
               "duty": [%s]}]}}""";
    private static final String DUTIES = """
            {"action": "sluice:drop", "target": "encounter.diagnosis.system"},
            {"action": "sluice:pseudonymise", "target": ["encounter.diagnosis.code", "labs.key"]},
            {"action": "sluice:mask", "target": "tags", "with": null},
            {"action": "sluice:rowFilter", "expression": "encounter.status = 'finished'"}""";

    @TempDir
    Path dir;

    @BeforeAll
    static void pyarrowIsThere() throws Exception {
        Pyarrow.assumeInstalled();
    }

    @Test
    void policiesReachIntoNestedColumnsAndPyarrowReadsWhatTheyLeave() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        Path file = config.sourcesDir().resolve("hospital-a/encounters.parquet");
        Files.createDirectories(file.getParent());
        Path sourceJson = dir.resolve("source.json");
        Pyarrow.run(List.of(WRITER.toString(), file.toString(), sourceJson.toString(), "--rows", Integer.toString(ROWS)));
        JsonNode source = BrokerClient.json().readTree(sourceJson.toFile());

        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration(DUTIES))
                    .orThrow().path("id").asText();
            String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "model-training")).orThrow().path("id").asText();

            JsonNode read = Pyarrow.readStream(broker.uri() + "/v1/grants/" + grantId + "/stream", lab,
                    "id", "encounter", "labs", "tags");
            assertThat(read.path("schema").asText()).as("the dropped field leaves the schema")
                    .contains("code: string").contains("rank: int32").doesNotContain("system");

            List<JsonNode> expected = new ArrayList<>();
            source.forEach(row -> {
                if (row.path("encounter").path("status").asText("").equals("finished")) {
                    expected.add(row);
                }
            });
            JsonNode columns = read.path("columns");
            assertThat(read.path("rows").asInt()).isEqualTo(expected.size()).isBetween(ROWS / 10, ROWS / 2);
            Map<String, String> codes = new HashMap<>();
            Map<String, String> labNames = new HashMap<>();
            for (int i = 0; i < expected.size(); i++) {
                JsonNode want = expected.get(i);
                assertThat(columns.path("id").get(i).asLong()).isEqualTo(want.path("id").asLong());
                checkEncounter(columns.path("encounter").get(i), want.path("encounter"), codes);
                checkLabs(columns.path("labs").get(i), want.path("labs"), labNames);
                assertThat(columns.path("tags").get(i).isNull()).as("tags of row %d, masked whole", i).isTrue();
            }
            assertThat(codes).as("every code seen, each with its own pseudonym").hasSizeGreaterThan(3);
            assertThat(Set.copyOf(codes.values())).hasSameSizeAs(codes.keySet());
            assertThat(Set.copyOf(labNames.values())).hasSameSizeAs(labNames.keySet()).hasSize(4);

            JsonNode record = client.get("/v1/streams/" + read.path("stream").asText(), Optional.of(lab)).orThrow();
            assertThat(record.path("status").asText()).isEqualTo("completed");
            assertThat(record.path("bytes").asLong()).isEqualTo(read.path("bytes").asLong());
        }
    }

    @Test
    void aPolicyThatCannotApplyToTheNestedSchemaIsRefusedWhenItIsSet() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        Path file = config.sourcesDir().resolve("hospital-a/encounters.parquet");
        Files.createDirectories(file.getParent());
        Pyarrow.run(List.of(WRITER.toString(), file.toString(), dir.resolve("source.json").toString(), "--rows", "50"));
        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            Map<String, String> refusals = Map.of(
                    "{\"action\": \"sluice:pseudonymise\", \"target\": \"encounter.diagnosis.icd\"}", "icd",
                    "{\"action\": \"sluice:rowFilter\", \"expression\": \"encounter.diagnosis.code = 'I10'\"}",
                    "encounter.diagnosis.code",
                    "{\"action\": \"sluice:generalise\", \"target\": \"labs.value\", \"prefix\": 2}", "labs.value",
                    "{\"action\": \"sluice:drop\", \"target\": \"labs.key\"}", "labs.key");
            for (Map.Entry<String, String> refusal : refusals.entrySet()) {
                BrokerClient.Response response = client.post("/v1/datasets", Optional.of(owner),
                        registration(refusal.getKey()));
                assertThat(response.status()).as(refusal.getKey()).isEqualTo(400);
                assertThat(response.body().path("message").asText()).as(refusal.getKey()).contains(refusal.getValue());
            }
            assertThat(client.get("/health/ready", Optional.empty()).status()).isEqualTo(200);
        }
    }

    private static ObjectNode registration(String duties) throws Exception {
        return (ObjectNode) BrokerClient.json().readTree(REGISTRATION.formatted(duties));
    }

    /** Status kept; each diagnosis kept in place with its rank, without its system, its code pseudonymised. */
    private static void checkEncounter(JsonNode got, JsonNode want, Map<String, String> codes) {
        assertThat(got.path("status").asText()).isEqualTo("finished");
        JsonNode wantDiagnoses = want.path("diagnosis");
        JsonNode gotDiagnoses = got.path("diagnosis");
        assertThat(gotDiagnoses.isNull()).isEqualTo(wantDiagnoses.isNull());
        assertThat(gotDiagnoses.size()).isEqualTo(wantDiagnoses.size());
        for (int d = 0; d < wantDiagnoses.size(); d++) {
            JsonNode wantOne = wantDiagnoses.get(d);
            JsonNode gotOne = gotDiagnoses.get(d);
            assertThat(gotOne.isNull()).isEqualTo(wantOne.isNull());
            if (wantOne.isNull()) {
                continue;
            }
            assertThat(iterable(gotOne.fieldNames())).containsExactly("code", "rank");
            assertThat(gotOne.path("rank")).isEqualTo(wantOne.path("rank"));
            assertThat(gotOne.path("code").isNull()).isEqualTo(wantOne.path("code").isNull());
            if (!wantOne.path("code").isNull()) {
                pseudonym(codes, wantOne.path("code").asText(), gotOne.path("code").asText());
            }
        }
    }

    /** Entries kept in order with their values; each key pseudonymised. */
    private static void checkLabs(JsonNode got, JsonNode want, Map<String, String> names) {
        assertThat(got.isNull()).isEqualTo(want.isNull());
        assertThat(got.size()).isEqualTo(want.size());
        for (int e = 0; e < want.size(); e++) {
            assertThat(got.get(e).get(1)).isEqualTo(want.get(e).get(1));
            pseudonym(names, want.get(e).get(0).asText(), got.get(e).get(0).asText());
        }
    }

    /** A pseudonym is not the value, and the same value always has the same one. */
    private static void pseudonym(Map<String, String> seen, String value, String pseudonym) {
        assertThat(pseudonym).isNotEqualTo(value).isNotEmpty();
        String before = seen.putIfAbsent(value, pseudonym);
        assertThat(before == null ? pseudonym : before).as("the pseudonym of %s", value).isEqualTo(pseudonym);
    }

    private static <T> List<T> iterable(java.util.Iterator<T> iterator) {
        List<T> list = new ArrayList<>();
        iterator.forEachRemaining(list::add);
        return list;
    }
}
