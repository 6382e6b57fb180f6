package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Shards, seeded shuffles and exact resume, as a data-parallel training job relies on them. */
@ExtendWith(NoBrokerThreadLeft.class)
class StreamOrderIT {
    private static final int ROWS = 20_000;

    @TempDir
    static Path dir;

    private static Broker broker;
    private static String lab;
    private static String grantId;

    @BeforeAll
    static void start() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/many.parquet"), ROWS, 16 * 1024);
        broker = Broker.start(config);
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        String datasetId = TestHttp.id(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"many\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"many.parquet\"},\"policy\":{\"@type\":\"Set\",\"permission\":"
                + "[{\"action\":\"use\"}]}}").body());
        grantId = TestHttp.id(TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"research\"}").body());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void theSameSeedAndEpochGiveTheSameOrderAndAnotherEpochAnother() throws Exception {
        List<List<Long>> first = batches("seed=7&epoch=0");
        assertThat(first.size()).as("batches").isGreaterThan(10);
        assertThat(batches("seed=7&epoch=0")).isEqualTo(first);
        List<List<Long>> nextEpoch = batches("seed=7&epoch=1");
        assertThat(nextEpoch).isNotEqualTo(first);
        assertThat(flatten(nextEpoch)).containsExactlyInAnyOrderElementsOf(flatten(first));
        assertThat(flatten(first)).hasSize(ROWS).doesNotHaveDuplicates();
        assertThat(flatten(batches("epoch=0"))).isSorted();
    }

    @Test
    void shuffledShardsAreDisjointAndCoverEveryRowOnce() throws Exception {
        List<Long> zero = flatten(batches("seed=3&epoch=2&shard=0&shards=3"));
        List<Long> one = flatten(batches("seed=3&epoch=2&shard=1&shards=3"));
        List<Long> two = flatten(batches("seed=3&epoch=2&shard=2&shards=3"));
        Set<Long> all = new HashSet<>(zero);
        all.addAll(one);
        all.addAll(two);
        assertThat(zero.size() + one.size() + two.size()).isEqualTo(ROWS);
        assertThat(all).hasSize(ROWS);
    }

    @Test
    void aResumedStreamContinuesExactlyWhereTheOrderLeftOff() throws Exception {
        List<List<Long>> whole = batches("seed=11&epoch=4&shard=1&shards=2");
        List<List<Long>> resumed = batches("seed=11&epoch=4&shard=1&shards=2&from=3");
        assertThat(resumed).isEqualTo(whole.subList(3, whole.size()));
    }

    private static List<List<Long>> batches(String query) throws Exception {
        return TestStreams.read(broker.uri(), grantId, lab, query).batches();
    }

    private static List<Long> flatten(List<List<Long>> batches) {
        return batches.stream().flatMap(List::stream).toList();
    }
}
