package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source types a data owner has, registered and streamed through the broker: Parquet
 * directories, CSV extracts, H2 and PostgreSQL tables — with credentials that never leave, database
 * hosts only the operator allows, and a changed source refused until it is registered again.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class SourceTypesIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;

    @TempDir
    Path dir;

    private Broker broker;
    private Connection keepH2Alive;

    @AfterEach
    void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (keepH2Alive != null) {
            keepH2Alive.close();
        }
    }

    @Test
    void csvAndParquetDirectoriesStreamEveryRow() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        Path org = config.sourcesDir().resolve("hospital-a");
        Files.createDirectories(org);
        StringBuilder csv = new StringBuilder("patient_id,age,ward\n");
        for (int i = 0; i < 500; i++) {
            csv.append(i).append(',').append(20 + i % 60).append(",\"ward, ").append(i % 4).append("\"\n");
        }
        Files.writeString(org.resolve("visits.csv"), csv);
        TestParquet.write(org.resolve("export/site=berlin/part-0.parquet"));
        TestParquet.write(org.resolve("export/site=paris/part-0.parquet"));
        broker = Broker.start(config);
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");

        String csvId = register(owner, "{\"type\":\"csv\",\"path\":\"visits.csv\",\"header\":\"true\"}", 201);
        assertThat(stream(lab, csvId)).isEqualTo(500);
        String parquetId = register(owner, "{\"type\":\"parquet\",\"path\":\"export\"}", 201);
        assertThat(stream(lab, parquetId)).isEqualTo(2000);
        assertThat(TestHttp.getText(broker, "/v1/datasets/" + parquetId, lab)).contains("\"name\":\"site\"");
    }

    @Test
    void aChangedSourceIsRefusedWith409UntilRegisteredAgain() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        broker = Broker.start(config);
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        String id = register(owner, "{\"type\":\"parquet\",\"path\":\"small.parquet\"}", 201);
        String grant = grant(lab, id);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"), 999);
        var rewritten = TestHttp.get(broker, "/v1/grants/" + grant + "/stream", lab);
        assertThat(rewritten.statusCode()).isEqualTo(409);
        assertThat(rewritten.body()).contains("changed since it was registered");

        Files.writeString(config.sourcesDir().resolve("hospital-a/small.parquet"), "overwritten by someone");
        var garbage = TestHttp.get(broker, "/v1/grants/" + grant + "/stream", lab);
        assertThat(garbage.statusCode()).isEqualTo(409);
        assertThat(garbage.body()).contains("can no longer be read as registered");
    }

    @Test
    void anH2TableStreamsAndItsPasswordNeverLeavesTheBroker() throws Exception {
        keepH2Alive = DriverManager.getConnection("jdbc:h2:mem:clinic;DB_CLOSE_DELAY=-1", "sa", "s3cret-pw");
        try (Statement statement = keepH2Alive.createStatement()) {
            statement.execute("CREATE TABLE labs (id BIGINT PRIMARY KEY, glucose DOUBLE, taken DATE, updated BIGINT)");
            statement.execute("INSERT INTO labs SELECT X, 90 + MOD(X, 40), DATE '2026-01-01' + CAST(MOD(X, 300) AS INT), 1"
                    + " FROM SYSTEM_RANGE(1, 300)");
        }
        broker = Broker.start(BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of("h2:mem")));
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        String id = register(owner, "{\"type\":\"jdbc\",\"url\":\"jdbc:h2:mem:clinic\",\"table\":\"LABS\","
                + "\"user\":\"sa\",\"password\":\"s3cret-pw\",\"versionColumn\":\"UPDATED\"}", 201);
        assertThat(stream(lab, id)).isEqualTo(300);

        String ownersView = TestHttp.getText(broker, "/v1/catalog", owner);
        assertThat(ownersView).contains("\"password\":\"***\"").doesNotContain("s3cret-pw");
        String othersView = TestHttp.getText(broker, "/v1/catalog", lab);
        assertThat(othersView).doesNotContain("jdbc:h2").doesNotContain("\"source\"").doesNotContain("s3cret-pw");
        assertThat(TestHttp.getText(broker, "/v1/audit?limit=1000", auditor)).doesNotContain("s3cret-pw");
    }

    @Test
    void aPostgresTableStreams() throws Exception {
        String url = System.getenv(TestDatabases.POSTGRES_URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(), "SLUICE_TEST_POSTGRES_URL is not set: skipping the PostgreSQL source");
        String schemaUrl = TestDatabases.fresh("postgres", dir);
        String schema = schemaUrl.substring(schemaUrl.indexOf("currentSchema=") + "currentSchema=".length());
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + schema + ".admissions (id bigint PRIMARY KEY, ward text, age int, version bigint)");
            statement.execute("INSERT INTO " + schema + ".admissions SELECT g, 'ward ' || (g % 5), 20 + g % 70, 1"
                    + " FROM generate_series(1, 2500) g");
        }
        broker = Broker.start(BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of("127.0.0.1")));
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        String id = register(owner, "{\"type\":\"jdbc\",\"url\":\"" + url + "\",\"table\":\"" + schema + ".admissions\","
                + "\"versionColumn\":\"version\"}", 201);
        assertThat(stream(lab, id)).isEqualTo(2500);
    }

    @Test
    void databaseHostsTheOperatorDidNotAllowAreRefusedAndAudited() throws Exception {
        broker = Broker.start(BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of("127.0.0.1")));
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        var refused = TestHttp.post(broker, "/v1/datasets", owner, registration(
                "{\"type\":\"jdbc\",\"url\":\"jdbc:postgresql://10.1.2.3:5432/clinic\",\"table\":\"t\",\"versionColumn\":\"v\"}"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("host_not_allowed");
        var widened = TestHttp.post(broker, "/v1/datasets", owner, registration(
                "{\"type\":\"jdbc\",\"url\":\"jdbc:postgresql://10.1.2.3:5432/clinic\",\"table\":\"t\","
                        + "\"versionColumn\":\"v\",\"allowedHosts\":\"10.1.2.3\"}"));
        assertThat(widened.statusCode()).isEqualTo(400);
        assertThat(widened.body()).contains("set by the broker's operator");
        assertThat(TestHttp.getText(broker, "/v1/audit?action=dataset.rejected", auditor)).contains("10.1.2.3");
    }

    private String register(String owner, String source, int expectedStatus) throws Exception {
        var response = TestHttp.post(broker, "/v1/datasets", owner, registration(source));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(expectedStatus);
        return TestHttp.id(response.body());
    }

    private static String registration(String source) {
        // A name of its own each time: names are unique per organisation, and one broker here registers several.
        return "{\"name\":\"data-" + java.util.UUID.randomUUID() + "\",\"source\":" + source + ",\"policy\":" + POLICY + "}";
    }

    private String grant(String lab, String datasetId) throws Exception {
        var response = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return TestHttp.id(response.body());
    }

    /** Streams the grant's data with a plain Arrow reader and counts the rows. */
    private long stream(String lab, String datasetId) throws Exception {
        String grant = grant(lab, datasetId);
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        broker.uri().resolve("/v1/grants/" + grant + "/stream")).header("Authorization", "Bearer " + lab).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        long rows = 0;
        try (BufferAllocator allocator = new RootAllocator();
                ArrowStreamReader reader = new ArrowStreamReader(response.body(), allocator)) {
            while (reader.loadNextBatch()) {
                rows += reader.getVectorSchemaRoot().getRowCount();
            }
        }
        return rows;
    }
}
