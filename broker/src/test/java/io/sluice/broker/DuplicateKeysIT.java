package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key given twice in a JSON body is refused where the body is first read: otherwise the broker
 * decodes it (the last value wins), re-encodes it, and a policy is enforced that differs from the
 * one the owner's own tools showed (which read the first value).
 */
class DuplicateKeysIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    /** Reads as "research only" to a first-value reader, as "marketing too" to a last-value one. */
    private static final String TWO_FACED_POLICY = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["research"], "rightOperand": ["marketing"]}]}]}""";

    @TempDir
    Path dir;

    private Broker broker;

    @BeforeEach
    void start() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        broker = Broker.start(config);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void aPolicyWithADuplicateKeyIsRefusedAtRegistrationAndOnReplacement() throws Exception {
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");

        var registered = TestHttp.post(broker, "/v1/datasets", owner, registration(TWO_FACED_POLICY));
        assertRefusedNaming(registered, "rightOperand", 2, 97);

        String datasetId = TestHttp.id(TestHttp.post(broker, "/v1/datasets", owner, registration(POLICY)).body());
        var replaced = TestHttp.put(broker, "/v1/datasets/" + datasetId + "/policy", owner, TWO_FACED_POLICY);
        assertRefusedNaming(replaced, "rightOperand", 2, 97);

        // Nothing was half-applied: the policy in force is still version 1, and marketing is still denied.
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        var marketing = TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"marketing\"}");
        assertThat(marketing.statusCode()).isEqualTo(403);
        assertThat(TestHttp.get(broker, "/v1/datasets/" + datasetId, owner).body()).contains("\"policyVersion\":1");

        // The owner's refused attempts are on record, each under its request id.
        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        assertThat(TestHttp.getText(broker, "/v1/audit?action=dataset.rejected", auditor))
                .contains(requestId(registered), "MALFORMED_JSON", "duplicate key 'rightOperand'");
        assertThat(TestHttp.getText(broker, "/v1/audit?action=policy.rejected", auditor))
                .contains(requestId(replaced), datasetId, "MALFORMED_JSON");
    }

    private static String requestId(HttpResponse<String> response) {
        return response.headers().firstValue("Sluice-Request-Id").orElseThrow();
    }

    @Test
    void everyRoutesBodyRefusesADuplicateKey() throws Exception {
        var token = TestHttp.post(broker, "/v1/dev/token", null,
                "{\"subject\":\"x\",\"organisation\":\"ai-lab\",\"organisation\":\"hospital-a\",\"roles\":[\"data-owner\"]}");
        assertRefusedNaming(token, "organisation", 1, 54);

        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        var grant = TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"ds-1\",\"purpose\":\"research\",\"purpose\":\"marketing\"}");
        assertRefusedNaming(grant, "purpose", 1, 49);

        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        var optOuts = TestHttp.post(broker, "/v1/datasets/ds-1/opt-outs", owner, "{\"ids\":[\"a\"],\"ids\":[\"b\"]}");
        assertRefusedNaming(optOuts, "ids", 1, 19);

        var nested = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"n\",\"source\":{\"type\":\"parquet\","
                + "\"path\":\"small.parquet\",\"path\":\"other.parquet\"},\"policy\":" + POLICY + "}");
        assertRefusedNaming(nested, "path", 1, 69);

        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        assertThat(TestHttp.getText(broker, "/v1/audit?action=grant.denied", auditor)).contains(requestId(grant));
        assertThat(TestHttp.getText(broker, "/v1/audit?action=optout.rejected", auditor)).contains(requestId(optOuts));
        assertThat(TestHttp.getText(broker, "/v1/audit?action=dataset.rejected", auditor)).contains(requestId(nested));
        assertThat(TestHttp.getText(broker, "/v1/audit", auditor)).as("an unauthenticated request is not recorded")
                .doesNotContain(requestId(token));
    }

    @Test
    void malformedJsonIsDescribedWithoutTheParsersInternals() throws Exception {
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");

        var response = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\": \"ds-1\", }");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("\"error\":\"malformed_json\"",
                "\"message\":\"the request body is not valid JSON at line 1, column 21: ");
        assertNoInternals(response.body());
    }

    private static String registration(String policy) {
        return "{\"name\":\"small\",\"source\":{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + policy + "}";
    }

    private static void assertRefusedNaming(HttpResponse<String> response, String key, int line, int column) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("\"error\":\"malformed_json\"",
                "\"message\":\"the request body is not valid JSON: duplicate key '" + key + "' at line " + line
                        + ", column " + column + "; a JSON object must name each key once");
        assertNoInternals(response.body());
    }

    private static void assertNoInternals(String body) {
        assertThat(body).doesNotContain("Source:", "jackson", "Jackson", "Failed to decode", "REDACTED", "Duplicate field");
    }
}
