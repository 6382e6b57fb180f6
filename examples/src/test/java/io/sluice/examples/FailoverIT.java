package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.cli.SluiceCommand;
import io.sluice.examples.bench.ChildJvm;
import io.sluice.loader.Checkpoint;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoadedBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.StreamSummary;
import io.sluice.loader.TrainingStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.apache.arrow.vector.BigIntVector;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Brokers fail over: three brokers (child JVMs) on one PostgreSQL and one sources directory, a
 * four-rank training job whose loader is given all three URLs (ranks start on different brokers),
 * and one broker killed with SIGKILL while every rank is mid-stream. Each rank of the killed
 * broker resumes at its exact position on another broker; every row of the epoch arrives exactly
 * once over the four ranks; the surviving brokers close the killed broker's streams as
 * interrupted (its heartbeat fell silent), so every {@code stream.opened} has one end; and the
 * exported log verifies.
 *
 * <p>Needs {@code SLUICE_TEST_POSTGRES_URL} ({@code ./sluice test} and CI start a throwaway cluster);
 * skipped without it. Loopback only.
 */
class FailoverIT {
    private static final String POSTGRES_URL_VARIABLE = "SLUICE_TEST_POSTGRES_URL";
    private static final String POLICY = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
              {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}]}]}""";
    /**
     * About 100 MB of IPC per rank: well over what can be in flight when the broker dies (its write
     * queue of 8 MiB, the loopback sockets' buffers, which Linux grows up to {@code tcp_rmem}'s
     * maximum, 32 MiB on common kernels, and the loader's prefetch), so a rank of the killed broker
     * always has part of its share still to come. Wide rows from a dictionary of a few values make
     * those bytes from a file that is small and quick to write.
     */
    private static final int ROWS = 200_000;
    /** 2 000 rows of 2 KiB: 4 MB batches, 25 units per rank. */
    private static final int ROW_GROUP_ROWS = 2_000;
    private static final int PAYLOAD_CHARS = 2048;
    private static final int RANKS = 4;
    private static final int EPOCH = 2;
    private static final long SEED = 42;
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Three broker JVMs beside the test's on a small machine: quick start-up (C1 only) over peak speed. */
    private static final List<String> BROKER_JVM_FLAGS = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    @TempDir
    Path dir;

    private final List<ChildJvm> brokers = new ArrayList<>();

    @AfterEach
    void stopBrokers() {
        brokers.forEach(ChildJvm::close);
    }

    @Test
    void ranksOfAKilledBrokerResumeExactlyOnAnotherAndEveryStreamGetsAnEnd() throws Exception {
        String store = freshPostgresSchema();
        Path sources = dir.resolve("sources");
        writeDataset(sources.resolve("hospital-a/records.parquet"));
        try (TestIssuer issuer = TestIssuer.start()) {
            // The first start migrates the schema; the other two then start side by side.
            brokers.add(startBroker(0, store, sources, issuer));
            ExecutorService starting = Executors.newFixedThreadPool(2);
            List<Future<ChildJvm>> others = List.of(starting.submit(() -> startBroker(1, store, sources, issuer)),
                    starting.submit(() -> startBroker(2, store, sources, issuer)));
            for (Future<ChildJvm> other : others) {
                brokers.add(other.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            }
            starting.shutdown();
            List<URI> uris = brokers.stream().map(broker -> URI.create(broker.readyGroup(1))).toList();

            String lab = issuer.token("trainer-7", "ai-lab", List.of("data-consumer"));
            String grantId = grant(uris.getFirst(), issuer.token("dr-weber", "hospital-a", List.of("data-owner")), lab);

            LoaderConfig config = LoaderConfig.of(uris.getFirst()).withBrokers(uris)
                    .withPinnedLimitBytes(128L << 20).withSlabBytes(16L << 20);
            ChildJvm victim = brokers.getFirst(); // ranks 0 and 3 start on it (rank mod 3)
            URI victimUri = uris.getFirst();
            CountDownLatch midStream = new CountDownLatch(RANKS);
            CountDownLatch killed = new CountDownLatch(1);
            List<Rank> ranks;
            try (GpuLoader loader = GpuLoader.createWithoutDevice(config)) {
                ExecutorService threads = Executors.newFixedThreadPool(RANKS);
                try {
                    List<Future<Rank>> running = new ArrayList<>();
                    for (int rank = 0; rank < RANKS; rank++) {
                        int shard = rank;
                        running.add(threads.submit(() -> read(loader, grantId, shard, lab, midStream, killed)));
                    }
                    assertThat(midStream.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                            .as("every rank received a batch").isTrue();
                    victim.kill();
                    killed.countDown();
                    ranks = new ArrayList<>();
                    for (Future<Rank> rank : running) {
                        ranks.add(rank.get(WAIT.toSeconds(), TimeUnit.SECONDS));
                    }
                } finally {
                    killed.countDown();
                    threads.shutdownNow();
                }
            }

            // Every row of the epoch exactly once over the four ranks.
            BitSet seen = new BitSet(ROWS);
            long delivered = 0;
            for (Rank rank : ranks) {
                assertThat(rank.ids().intersects(seen)).as("rank %d repeats rows of another rank", rank.shard()).isFalse();
                seen.or(rank.ids());
                delivered += rank.rows();
            }
            assertThat(delivered).as("rows delivered over all ranks").isEqualTo(ROWS);
            assertThat(seen.cardinality()).as("distinct rows").isEqualTo(ROWS);

            // Ranks on the killed broker moved on exactly where they broke off; the others stayed put.
            for (Rank rank : ranks) {
                List<StreamSummary> streams = rank.streams();
                URI first = uris.get(rank.shard() % uris.size());
                assertThat(streams.getFirst().broker()).isEqualTo(first);
                for (int i = 1; i < streams.size(); i++) {
                    StreamSummary before = streams.get(i - 1);
                    assertThat(streams.get(i).from()).as("rank %d resumes where stream %s broke off", rank.shard(),
                            before.streamId()).isEqualTo(before.from() + before.batches());
                }
                assertThat(streams.getLast().sha256Hex()).as("rank %d read its last stream to the end", rank.shard())
                        .isPresent();
                if (first.equals(victimUri)) {
                    assertThat(streams).as("rank %d of the killed broker", rank.shard()).hasSizeGreaterThan(1);
                    assertThat(streams.getLast().broker()).isNotEqualTo(victimUri);
                    assertThat(streams.getFirst().failure()).isPresent();
                } else {
                    assertThat(streams).as("rank %d of a live broker", rank.shard()).hasSize(1);
                }
            }

            // The survivors close the killed broker's streams: every stream.opened gets one end.
            URI survivor = uris.get(1);
            BrokerClient client = new BrokerClient(survivor);
            String auditor = issuer.token("ines", "ehds-authority", List.of("compliance-officer"));
            Set<String> killedStreams = new HashSet<>();
            ranks.stream().flatMap(rank -> rank.streams().stream())
                    .filter(summary -> summary.broker().equals(victimUri)).forEach(s -> killedStreams.add(s.streamId()));
            assertThat(killedStreams).hasSize(2);
            poll(() -> unended(client, auditor).isEmpty(), "every opened stream has an end record");
            Map<String, List<String>> ends = ends(client, auditor);
            Set<String> opened = streamsOf(client, auditor, "stream.opened");
            assertThat(opened).hasSize(ranks.stream().mapToInt(rank -> rank.streams().size()).sum());
            for (String stream : opened) {
                assertThat(ends.get(stream)).as("end records of %s", stream).hasSize(1);
                assertThat(ends.get(stream).getFirst()).isEqualTo(killedStreams.contains(stream)
                        ? "stream.interrupted" : "stream.closed");
            }

            // The exported log verifies against the signed checkpoint the export ends at.
            Path export = dir.resolve("audit.jsonl");
            Path key = dir.resolve("audit.pub");
            Files.writeString(key, client.getText("/v1/audit/public-key", Optional.empty()));
            assertThat(cli("audit", "export", "--broker", survivor.toString(), "--token", auditor, "--out",
                    export.toString())).startsWith("exit 0");
            assertThat(cli("audit", "verify", "--file", export.toString(), "--public-key", key.toString(), "--state",
                    dir.resolve("verify-state").toString())).startsWith("exit 0\nOK: ");
        }
    }

    /** What one rank read: its rows' ids, their count, and the streams it read them over. */
    private record Rank(int shard, BitSet ids, long rows, List<StreamSummary> streams) {}

    /** Reads rank {@code shard} to its end; after its first batch with rows it waits until the broker was killed. */
    private static Rank read(GpuLoader loader, String grantId, int shard, String token, CountDownLatch midStream,
            CountDownLatch killed) throws InterruptedException {
        BitSet ids = new BitSet(ROWS);
        long rows = 0;
        boolean waited = false;
        try (TrainingStream stream = loader.openTraining(grantId, Checkpoint.start(shard, RANKS, EPOCH, SEED), () -> token)) {
            while (stream.hasNext()) {
                try (LoadedBatch batch = stream.next()) {
                    BigIntVector column = (BigIntVector) ((HostBatch) batch).root().getVector("id");
                    for (int i = 0; i < column.getValueCount(); i++) {
                        int id = Math.toIntExact(column.get(i));
                        assertThat(ids.get(id)).as("rank %d got row %d twice", shard, id).isFalse();
                        ids.set(id);
                    }
                    rows += column.getValueCount();
                }
                if (!waited) {
                    waited = true;
                    midStream.countDown();
                    assertThat(killed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the broker was killed").isTrue();
                }
            }
            return new Rank(shard, ids, rows, stream.streams());
        }
    }

    /** {@link #ROWS} rows: {@code id} 0, 1, ... (unique) and a 2 KiB {@code payload}, one of 16 values. */
    private static void writeDataset(Path file) throws IOException {
        MessageType schema = Types.buildMessage()
                .required(PrimitiveType.PrimitiveTypeName.INT64).named("id")
                .required(PrimitiveType.PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("payload")
                .named("records");
        List<Binary> payloads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            payloads.add(Binary.fromString(Character.toString('a' + i).repeat(PAYLOAD_CHARS)));
        }
        Files.createDirectories(file.getParent());
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withRowGroupRowCountLimit(ROW_GROUP_ROWS)
                .withRowGroupSize(1L << 30)
                .build()) {
            for (long id = 0; id < ROWS; id++) {
                writer.write(groups.newGroup().append("id", id).append("payload", payloads.get((int) (id % 16))));
            }
        }
    }

    private ChildJvm startBroker(int n, String store, Path sources, TestIssuer issuer) throws Exception {
        Path data = dir.resolve("broker-" + n);
        return ChildJvm.start("broker-" + n, SluiceCommand.class.getName(), BROKER_JVM_FLAGS,
                List.of("serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString(),
                        "--sources", sources.toString(), "--db", store, "--oidc-issuer", issuer.issuer().toString(),
                        "--peer-timeout", PEER_TIMEOUT.toString(), "--shutdown-grace", "PT0S"),
                data.resolve("broker.log"), Pattern.compile("listening on (\\S+)"), WAIT);
    }

    /** Registers the dataset through {@code broker} and returns a grant on it. */
    private static String grant(URI broker, String owner, String lab) throws Exception {
        BrokerClient client = new BrokerClient(broker);
        ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "records");
        registration.putObject("source").put("type", "parquet").put("path", "records.parquet");
        registration.set("policy", BrokerClient.json().readTree(POLICY));
        String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
        return client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                .put("dataset", datasetId).put("purpose", "medical-research")).orThrow().path("id").asText();
    }

    /** Streams opened that have no end record yet. */
    private static Set<String> unended(BrokerClient client, String auditor) {
        Set<String> open = streamsOf(client, auditor, "stream.opened");
        open.removeAll(ends(client, auditor).keySet());
        return open;
    }

    /** Each stream's end records (closed, aborted, interrupted), by action. */
    private static Map<String, List<String>> ends(BrokerClient client, String auditor) {
        Map<String, List<String>> ends = new HashMap<>();
        for (String action : List.of("stream.closed", "stream.aborted", "stream.interrupted")) {
            for (String stream : streamIds(client, auditor, action)) {
                ends.computeIfAbsent(stream, _ -> new ArrayList<>()).add(action);
            }
        }
        return ends;
    }

    private static Set<String> streamsOf(BrokerClient client, String auditor, String action) {
        return new HashSet<>(streamIds(client, auditor, action));
    }

    /** The stream of every record with {@code action}, one entry per record. */
    private static List<String> streamIds(BrokerClient client, String auditor, String action) {
        JsonNode records = client.get("/v1/audit", Optional.of(auditor), Map.of("action", action, "limit", "1000"))
                .orThrow().path("records");
        assertThat(records.size()).as("fewer records than one page").isLessThan(1000);
        List<String> streams = new ArrayList<>();
        records.forEach(record -> streams.add(record.path("stream").asText()));
        return streams;
    }

    /** Runs the sluice CLI in this JVM; returns "exit N" and its output. */
    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = SluiceCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        int exit = cli.execute(args);
        return "exit " + exit + "\n" + out;
    }

    private static void poll(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(100);
        }
    }

    /**
     * A schema of its own in the PostgreSQL that {@code SLUICE_TEST_POSTGRES_URL} names (as the
     * broker's tests do); skips the test without one.
     */
    private static String freshPostgresSchema() {
        String url = System.getenv(POSTGRES_URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(),
                POSTGRES_URL_VARIABLE + " is not set: skipping the failover test (./sluice test starts a cluster)");
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot create schema " + schema + " in " + url, e);
        }
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
