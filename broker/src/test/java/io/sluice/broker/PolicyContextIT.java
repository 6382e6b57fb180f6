package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy whose {@code @context} redefines ODRL terms ({@code "use"} as ODRL's {@code read}, the
 * {@code sluice:} prefix elsewhere) reads one way to the owner's JSON-LD tools and another to the
 * broker, which reads terms as plain names. Only the contexts Sluice knows are accepted; any other
 * is a 400 naming the allowed ones, audited as a refused registration, and the broker stays healthy.
 */
class PolicyContextIT {
    private static final String REDEFINING_POLICY = """
            {"@context": ["http://www.w3.org/ns/odrl.jsonld", {"use": "http://www.w3.org/ns/odrl/2/read"}],
             "@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scientific-research"]}]}]}""";
    private static final String KNOWN_CONTEXT_POLICY = """
            {"@context": ["http://www.w3.org/ns/odrl.jsonld", {"sluice": "https://sluice.dev/ns/"}],
             "@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scientific-research"]}]}]}""";

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
    void aContextThatRedefinesTermsIsRefusedWith400AndAudited() throws Exception {
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");

        var refused = TestHttp.post(broker, "/v1/datasets", owner, registration(REDEFINING_POLICY));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("\"error\":\"unknown_term\"", "\"message\":\"invalid policy: @context[1]:"
                + " unknown context '{\\\"use\\\":\\\"http://www.w3.org/ns/odrl/2/read\\\"}'; Sluice reads ODRL terms only"
                + " under the contexts \\\"http://www.w3.org/ns/odrl.jsonld\\\" (or https) and"
                + " {\\\"sluice\\\": \\\"https://sluice.dev/ns/\\\"}");

        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        assertThat(TestHttp.getText(broker, "/v1/audit?action=dataset.rejected", auditor))
                .contains("@context[1]: unknown context");

        var accepted = TestHttp.post(broker, "/v1/datasets", owner, registration(KNOWN_CONTEXT_POLICY));
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(201);
        String datasetId = TestHttp.id(accepted.body());
        var replaced = TestHttp.put(broker, "/v1/datasets/" + datasetId + "/policy", owner, REDEFINING_POLICY);
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(400);
        assertThat(TestHttp.get(broker, "/v1/datasets/" + datasetId, owner).body()).contains("\"policyVersion\":1");
        String requestId = replaced.headers().firstValue("Sluice-Request-Id").orElseThrow();
        assertThat(TestHttp.getText(broker, "/v1/audit?action=policy.rejected", auditor))
                .contains(requestId, datasetId, "@context[1]: unknown context");

        TestHttp.awaitHealthy(broker);
    }


    private static String registration(String policy) {
        return "{\"name\":\"small\",\"source\":{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + policy + "}";
    }
}
