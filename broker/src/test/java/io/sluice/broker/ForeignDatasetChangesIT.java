package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An owner of one organisation tries to change another's dataset: its policy, its opt-outs. Each
 * attempt is refused with 403 and audited as {@code auth.failed} on that dataset, so the dataset's
 * own owner sees it in their log; nothing changes.
 */
class ForeignDatasetChangesIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    private static final String OPEN_POLICY = """
            {"@type": "Set", "permission": [{"action": "use"}]}""";

    @TempDir
    Path dir;

    @Test
    void policyAndOptOutChangesToAnotherOrganisationsDatasetAreRefusedAndAudited() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String intruder = TestHttp.devToken(broker, "mallory", "hospital-b", "data-owner");
            String datasetId = TestHttp.id(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"subjectColumn\":\"id\","
                    + "\"policy\":" + POLICY + "}").body());

            var policy = TestHttp.put(broker, "/v1/datasets/" + datasetId + "/policy", intruder, OPEN_POLICY);
            var optOuts = TestHttp.post(broker, "/v1/datasets/" + datasetId + "/opt-outs", intruder, "{\"ids\":[\"1\"]}");

            String refused = "\"message\":\"dataset '" + datasetId + "' belongs to another organisation\"";
            assertThat(policy.statusCode()).isEqualTo(403);
            assertThat(policy.body()).contains("\"error\":\"forbidden\"", refused);
            assertThat(optOuts.statusCode()).isEqualTo(403);
            assertThat(optOuts.body()).contains("\"error\":\"forbidden\"", refused);

            // The dataset's owner sees both attempts in their own view of the log.
            String audit = TestHttp.getText(broker, "/v1/audit?action=auth.failed&limit=100", owner);
            assertThat(audit).contains("\"dataset\":\"" + datasetId + "\"", "\"organisation\":\"hospital-b\"",
                    "\"subject\":\"mallory\"", "\"code\":\"NOT_DATASET_OWNER\"",
                    "replacing the policy refused: dataset '" + datasetId + "' belongs to another organisation",
                    "adding opt-outs refused: dataset '" + datasetId + "' belongs to another organisation");
            assertThat(audit.split("\"action\":\"auth.failed\"", -1)).hasSize(3);

            assertThat(TestHttp.get(broker, "/v1/datasets/" + datasetId, owner).body()).contains("\"policyVersion\":1");
            assertThat(TestHttp.getText(broker, "/v1/audit?action=optout.added&limit=100", owner))
                    .doesNotContain("optout.added\"");
        }
    }
}
