package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pyarrow, as an outside Arrow client, reads a four-rank job's streams: each rank gets only its
 * units, the ranks together hold every approved row once, zero-row batches read as ordinary
 * batches, and the bytes pyarrow read are the bytes the stream's record counts.
 *
 * <p>Needs {@code python3} with pyarrow ({@code .ci/run} installs it); skipped without it unless
 * {@code SLUICE_TEST_PYARROW=always}, which CI sets.
 */
class PyarrowClientIT {
    private static final int ROWS = 50_000;

    @TempDir
    Path dir;

    @BeforeAll
    static void pyarrowIsThere() throws Exception {
        Pyarrow.assumeInstalled();
    }

    @Test
    void fourRanksReadTheirOwnUnitsAndTogetherEveryApprovedRowOnce() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        writeParquet(config.sourcesDir().resolve("hospital-a/readings.parquet"));
        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "readings")
                    .put("subjectColumn", "id");
            registration.putObject("source").put("type", "parquet").put("path", "readings.parquet");
            registration.set("policy", BrokerClient.json().readTree("""
                    {"@type": "Set", "permission": [{"action": "use",
                      "duty": [{"action": "sluice:rowFilter", "expression": "id >= 1000"}]}]}"""));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            // Opted out: a run of ids longer than a row group, so some row groups leave as zero-row batches.
            ObjectNode optOuts = BrokerClient.json().createObjectNode();
            LongStream.range(20_000, 30_000).forEach(id -> optOuts.withArray("ids").add(Long.toString(id)));
            client.post("/v1/datasets/" + datasetId + "/opt-outs", Optional.of(owner), optOuts).orThrow();
            String grantId = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "research")).orThrow().path("id").asText();

            Set<Long> seen = new HashSet<>();
            int emptyBatches = 0;
            for (int rank = 0; rank < 4; rank++) {
                JsonNode read = pyarrow(broker.uri() + "/v1/grants/" + grantId + "/stream?shard=" + rank
                        + "&shards=4&epoch=1&seed=3", lab);
                assertThat(read.path("scheme").asText()).isEqualTo("units");
                for (JsonNode value : read.path("values")) {
                    assertThat(seen.add(value.asLong())).as("id %s twice", value.asLong()).isTrue();
                }
                emptyBatches += read.path("emptyBatches").asInt();
                JsonNode record = client.get("/v1/streams/" + read.path("stream").asText(), Optional.of(lab)).orThrow();
                assertThat(record.path("status").asText()).isEqualTo("completed");
                assertThat(record.path("bytes").asLong()).isEqualTo(read.path("bytes").asLong());
                assertThat(record.path("batches").asLong()).isEqualTo(read.path("batches").asLong());
            }
            assertThat(seen).isEqualTo(LongStream.range(1_000, ROWS).filter(id -> id < 20_000 || id >= 30_000)
                    .boxed().collect(Collectors.toSet()));
            assertThat(emptyBatches).isPositive();
        }
    }

    private static JsonNode pyarrow(String url, String token) throws Exception {
        return Pyarrow.readStream(url, token, "id");
    }

    /** ids 0..ROWS-1 and a reading, in row groups of about 2,500 rows. */
    static void writeParquet(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        MessageType schema = MessageTypeParser.parseMessageType(
                "message readings { required int64 id; required double value; }");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).withRowGroupSize(40 * 1024)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).build()) {
            for (long i = 0; i < ROWS; i++) {
                writer.write(groups.newGroup().append("id", i).append("value", i * 0.5));
            }
        }
    }
}
