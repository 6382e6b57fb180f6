package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.loader.Checkpoint;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoadedBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.TrainingStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.LongStream;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Row groups the policy empties leave as zero-row batches: the loader never hands them to training,
 * but they hold positions, so a checkpoint taken after any batch resumes exactly.
 */
class ZeroRowResumeIT {
    @TempDir
    Path dir;

    @Test
    void aCheckpointCountsTheZeroRowBatchesPassedOver() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        PyarrowClientIT.writeParquet(config.sourcesDir().resolve("hospital-a/readings.parquet"));
        try (Broker broker = Broker.start(config);
                GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()).withPinnedLimitBytes(64L << 20))) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "readings")
                    .put("subjectColumn", "id");
            registration.putObject("source").put("type", "parquet").put("path", "readings.parquet");
            registration.set("policy", BrokerClient.json().readTree("{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\"}]}"));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            // Every second run of 5,000 ids opted out: whole row groups (about 2,500 rows) leave empty.
            ObjectNode optOuts = BrokerClient.json().createObjectNode();
            LongStream.range(0, 50_000).filter(id -> (id / 5_000) % 2 == 0)
                    .forEach(id -> optOuts.withArray("ids").add(Long.toString(id)));
            client.post("/v1/datasets/" + datasetId + "/opt-outs", Optional.of(owner), optOuts).orThrow();
            String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "research")).orThrow().path("id").asText();

            Checkpoint start = Checkpoint.start(1, 2, 0, 7L);
            List<List<Long>> whole = batches(loader, grantId, start, lab, Integer.MAX_VALUE, new Checkpoint[1]);
            assertThat(whole).isNotEmpty().allSatisfy(batch -> assertThat(batch).isNotEmpty());
            for (int stopAfter = 1; stopAfter < whole.size(); stopAfter++) {
                Checkpoint[] at = new Checkpoint[1];
                List<List<Long>> resumed = batches(loader, grantId, start, lab, stopAfter, at);
                resumed.addAll(batches(loader, grantId, at[0], lab, Integer.MAX_VALUE, new Checkpoint[1]));
                assertThat(resumed).as("stopped after %d batches, token %s", stopAfter, at[0].token()).isEqualTo(whole);
            }
        }
    }

    private static List<List<Long>> batches(GpuLoader loader, String grantId, Checkpoint start, String token, int limit,
            Checkpoint[] checkpoint) {
        List<List<Long>> batches = new ArrayList<>();
        try (TrainingStream stream = loader.openTraining(grantId, start, () -> token)) {
            while (batches.size() < limit && stream.hasNext()) {
                try (LoadedBatch batch = stream.next()) {
                    BigIntVector ids = (BigIntVector) ((HostBatch) batch).root().getVector("id");
                    List<Long> values = new ArrayList<>();
                    for (int i = 0; i < ids.getValueCount(); i++) {
                        values.add(ids.get(i));
                    }
                    batches.add(values);
                }
            }
            checkpoint[0] = stream.checkpoint();
        }
        return batches;
    }
}
