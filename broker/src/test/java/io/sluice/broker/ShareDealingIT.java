package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ranks read only their share, for every source type: shards disjoint and complete, a seeded
 * order that survives a broker restart, and a resume at every position that continues exactly, with
 * a row filter that removes whole units before the scan and opt-outs that empty whole units in it.
 */
class ShareDealingIT {
    /**
     * A source, its size and what scheme its streams get. A Parquet file of one row group has fewer
     * units than ranks: it is dealt by batches of 65,536 rows, so it needs more rows to give every
     * rank some, and its ranks get too few batches for an order to tell epochs apart.
     */
    enum Kind {
        PARQUET("units", 4_000), JDBC("units", 4_000), CSV("units", 150_000), ONE_ROW_GROUP("batches", 200_000);

        final String scheme;
        final int rows;

        Kind(String scheme, int rows) {
            this.scheme = scheme;
            this.rows = rows;
        }

        /** The row filter keeps ids from 500; ids 1000..1999 are opted out (whole Parquet units). */
        Set<Long> expected() {
            return LongStream.range(500, rows).filter(id -> id < 1000 || id >= 2000).boxed().collect(Collectors.toSet());
        }
    }

    @TempDir
    Path dir;

    private Broker broker;
    private BrokerConfig config;
    private Connection keepH2Alive;
    private String lab;
    private String grantId;

    @AfterEach
    void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (keepH2Alive != null) {
            keepH2Alive.close();
        }
    }

    private void start(Kind kind) throws Exception {
        config = BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of("h2:mem"));
        Path org = config.sourcesDir().resolve("hospital-a");
        String id = "id";
        String source;
        switch (kind) {
            case PARQUET, ONE_ROW_GROUP -> {
                TestParquet.write(org.resolve("visits.parquet"), kind.rows, kind == Kind.PARQUET ? 1024 : 64 << 20);
                source = "{\"type\":\"parquet\",\"path\":\"visits.parquet\"}";
            }
            case CSV -> {
                Files.createDirectories(org);
                StringBuilder csv = new StringBuilder("id,name\n");
                for (int i = 0; i < kind.rows; i++) {
                    csv.append(i).append(",n").append(i).append('\n');
                }
                Files.writeString(org.resolve("visits.csv"), csv);
                source = "{\"type\":\"csv\",\"path\":\"visits.csv\",\"header\":\"true\",\"types\":\"id:int64\"}";
            }
            case JDBC -> {
                String url = "jdbc:h2:mem:share_" + UUID.randomUUID().toString().replace("-", "");
                keepH2Alive = DriverManager.getConnection(url, "sa", "");
                try (Statement statement = keepH2Alive.createStatement()) {
                    statement.execute("CREATE TABLE visits (id BIGINT PRIMARY KEY, name VARCHAR(20), v INT)");
                    statement.execute("INSERT INTO visits SELECT X, 'n' || X, 1 FROM SYSTEM_RANGE(0, " + (kind.rows - 1) + ")");
                }
                id = "ID";
                source = "{\"type\":\"jdbc\",\"url\":\"" + url + "\",\"table\":\"VISITS\",\"user\":\"sa\","
                        + "\"versionColumn\":\"V\",\"shardColumn\":\"ID\"}";
            }
            default -> throw new IllegalArgumentException(kind.name());
        }
        broker = Broker.start(config);
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        HttpResponse<String> registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"visits\","
                + "\"subjectColumn\":\"" + id + "\",\"source\":" + source + ",\"policy\":{\"@type\":\"Set\","
                + "\"permission\":[{\"action\":\"use\",\"duty\":[{\"action\":\"sluice:rowFilter\",\"expression\":\""
                + id + " >= 500\"}]}]}}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String datasetId = TestHttp.id(registered.body());
        String optOuts = LongStream.range(1000, 2000).mapToObj(i -> "\"" + i + "\"").collect(Collectors.joining(","));
        assertThat(TestHttp.post(broker, "/v1/datasets/" + datasetId + "/opt-outs", owner, "{\"ids\":[" + optOuts + "]}")
                .statusCode()).isEqualTo(200);
        grantId = TestHttp.id(TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"research\"}").body());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void ranksAreDisjointAndTogetherCompleteAndSayHowTheyWereDealt(Kind kind) throws Exception {
        start(kind);
        for (int shards : new int[] {1, 3, 4}) {
            Set<Long> seen = new HashSet<>();
            int emptyBatches = 0;
            for (int shard = 0; shard < shards; shard++) {
                TestStreams.Read stream = stream("seed=5&epoch=1&shard=" + shard + "&shards=" + shards);
                // One rank can always be given the one row group.
                assertThat(stream.scheme()).isEqualTo(shards == 1 ? "units" : kind.scheme);
                for (List<Long> batch : stream.batches()) {
                    emptyBatches += batch.isEmpty() ? 1 : 0;
                    for (long id : batch) {
                        assertThat(seen.add(id)).as("id %s sent twice with %s ranks", id, shards).isTrue();
                    }
                }
            }
            assertThat(seen).as("%s ranks", shards).isEqualTo(kind.expected());
            if (kind == Kind.PARQUET) {
                // Opted-out row groups are sent as zero-row batches: they hold positions a resume counts.
                assertThat(emptyBatches).as("zero-row batches with %s ranks", shards).isPositive();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aResumeAtEveryPositionContinuesExactly(Kind kind) throws Exception {
        start(kind);
        String rank = "seed=11&epoch=2&shard=1&shards=3";
        List<List<Long>> whole = stream(rank).batches();
        assertThat(whole.size()).isGreaterThan(kind == Kind.ONE_ROW_GROUP ? 0 : 2);
        for (int from = 0; from <= whole.size() + 1; from++) {
            assertThat(stream(rank + "&from=" + from).batches()).as("from=%s", from)
                    .isEqualTo(whole.subList(Math.min(from, whole.size()), whole.size()));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theSameSeedEpochAndWorldSizeGiveTheSameOrderAfterARestart(Kind kind) throws Exception {
        start(kind);
        String rank = "seed=9&epoch=0&shard=0&shards=2";
        List<List<Long>> before = stream(rank).batches();
        if (kind != Kind.ONE_ROW_GROUP) {
            assertThat(stream("seed=9&epoch=1&shard=0&shards=2").batches()).isNotEqualTo(before);
        }
        broker.close();
        broker = Broker.start(config);
        // The development issuer has new keys after a restart.
        lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        assertThat(stream(rank).batches()).isEqualTo(before);
        assertThat(stream(rank + "&from=1").batches()).isEqualTo(before.subList(1, before.size()));
    }

    private TestStreams.Read stream(String query) throws Exception {
        return TestStreams.read(broker.uri(), grantId, lab, query);
    }
}
