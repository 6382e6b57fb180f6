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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A grant revoked while the real loader reads its stream: the broker cuts the stream before its
 * next batch, and the loader fails once with the broker's reason ({@code grant_ended}) instead of
 * retrying a stream the broker would refuse.
 */
class GrantEndedIT {
    @TempDir
    Path dir;

    @Test
    void aGrantRevokedMidStreamFailsTheLoaderOnceWithTheBrokersReason() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        // More than the loopback socket, the broker's write queue and the loader's prefetch hold together.
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/big.parquet"), 1_500_000, 7L, 65_536, n -> {});
        try (Broker broker = Broker.start(config);
                GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()).withPinnedLimitBytes(256L << 20))) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            String auditor = client.devToken("ines", "ehds-authority", List.of("compliance-officer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "big");
            registration.putObject("source").put("type", "parquet").put("path", "big.parquet");
            registration.set("policy", BrokerClient.json().readTree(Demo.POLICY));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "medical-research")).orThrow().path("id").asText();

            try (TrainingStream stream = loader.openTraining(grantId, Checkpoint.start(0, 1, 0, 7L), () -> lab)) {
                assertThat(stream.hasNext()).isTrue();
                stream.next().close();
                BrokerClient.Response changed = client.put("/v1/datasets/" + datasetId + "/policy", Optional.of(owner),
                        BrokerClient.json().readTree(Demo.POLICY.replace("medical-research", "public-health")));
                assertThat(changed.status()).isEqualTo(200);
                assertThatThrownBy(() -> {
                    while (stream.hasNext()) {
                        try (LoadedBatch batch = stream.next()) {
                            // read on until the broker cuts the stream
                        }
                    }
                }).isInstanceOfSatisfying(LoaderException.class, e -> assertThat(e.error()).isEqualTo("grant_ended"))
                        .hasMessageMatching("stream (st-[0-9a-f]+) of grant " + grantId + " was aborted by the broker:"
                                + " the grant was revoked by a change of the dataset's policy");
            }

            JsonNode opened = client.get("/v1/audit", Optional.of(auditor),
                    Map.of("action", "stream.opened", "limit", "100")).orThrow().path("records");
            assertThat(opened).as("one stream, no retries").hasSize(1);
            JsonNode aborted = client.get("/v1/audit", Optional.of(auditor),
                    Map.of("action", "stream.aborted", "limit", "100")).orThrow().path("records");
            assertThat(aborted).hasSize(1);
            assertThat(aborted.get(0).path("failure").asText()).isEqualTo("revoked");
        }
    }
}
