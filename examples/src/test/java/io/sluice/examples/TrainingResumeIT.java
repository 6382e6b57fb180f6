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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data-parallel training job against the real broker: two ranks with a seeded shuffle get
 * disjoint shards that together are every source row once, and a rank that stops and resumes
 * from its checkpoint token at any batch boundary gets exactly the rows it had not yet seen.
 */
class TrainingResumeIT {
    private static final int ROWS = 300_000;

    @TempDir
    Path dir;

    @Test
    void ranksCoverEveryRowOnceAndAResumedRankContinuesExactly() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), ROWS, 2, n -> {});
        try (Broker broker = Broker.start(config);
                GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()).withPinnedLimitBytes(256L << 20))) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", java.util.List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", java.util.List.of("data-consumer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "patients");
            registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
            registration.set("policy", BrokerClient.json().readTree(Demo.POLICY));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "medical-research")).orThrow().path("id").asText();

            List<List<Long>> rank0 = batches(loader, grantId, Checkpoint.start(0, 2, 3, 42L), lab, Integer.MAX_VALUE);
            List<List<Long>> rank1 = batches(loader, grantId, Checkpoint.start(1, 2, 3, 42L), lab, Integer.MAX_VALUE);
            Set<Long> all = new HashSet<>();
            rank0.forEach(all::addAll);
            rank1.forEach(all::addAll);
            assertThat(rank0.stream().mapToInt(List::size).sum() + rank1.stream().mapToInt(List::size).sum()).isEqualTo(ROWS);
            assertThat(all).hasSize(ROWS);
            assertThat(batches(loader, grantId, Checkpoint.start(0, 2, 3, 42L), lab, Integer.MAX_VALUE)).isEqualTo(rank0);

            for (int stopAfter = 1; stopAfter < rank0.size(); stopAfter++) {
                List<List<Long>> before = new ArrayList<>();
                Checkpoint checkpoint;
                try (TrainingStream stream = loader.openTraining(grantId, Checkpoint.start(0, 2, 3, 42L), () -> lab)) {
                    for (int i = 0; i < stopAfter; i++) {
                        try (LoadedBatch batch = stream.next()) {
                            before.add(ids(batch));
                        }
                    }
                    checkpoint = stream.checkpoint();
                }
                List<List<Long>> after = batches(loader, grantId, Checkpoint.parse(checkpoint.token()), lab, Integer.MAX_VALUE);
                List<List<Long>> resumed = new ArrayList<>(before);
                resumed.addAll(after);
                assertThat(resumed).as("stopped after %d batches, token %s", stopAfter, checkpoint.token()).isEqualTo(rank0);
            }
        }
    }

    private static List<List<Long>> batches(GpuLoader loader, String grantId, Checkpoint start, String token, int limit) {
        List<List<Long>> batches = new ArrayList<>();
        try (TrainingStream stream = loader.openTraining(grantId, start, () -> token)) {
            while (stream.hasNext() && batches.size() < limit) {
                try (LoadedBatch batch = stream.next()) {
                    batches.add(ids(batch));
                }
            }
        }
        return batches;
    }

    private static List<Long> ids(LoadedBatch batch) {
        BigIntVector ids = (BigIntVector) ((HostBatch) batch).root().getVector("patient_id");
        List<Long> values = new ArrayList<>(ids.getValueCount());
        for (int i = 0; i < ids.getValueCount(); i++) {
            values.add(ids.get(i));
        }
        return values;
    }
}
