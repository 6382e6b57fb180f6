package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The broker refuses to act unlogged: with the log unwritable, grants and streams are 503s and nothing is served. */
@ExtendWith(NoBrokerThreadLeft.class)
class BrokerAuditIT {
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void whenTheLogCannotBeWrittenGrantsAndStreamsAreRefusedWith503(String kind) throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir).withDatabase(TestDatabases.fresh(kind, dir));
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            var registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}");
            assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
            String datasetId = id(registered.body());
            var granted = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
            assertThat(granted.statusCode()).isEqualTo(201);
            String grantId = id(granted.body());

            // Every record so far stays valid; the next one cannot be written.
            long next = count(config.jdbcUrl(), "SELECT next_index FROM audit_head");
            execute(config.jdbcUrl(), "ALTER TABLE audit_log ADD CONSTRAINT audit_refuses CHECK (idx < " + next + ")");

            var grant = TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
            assertThat(grant.statusCode()).isEqualTo(503);
            assertThat(grant.body()).contains("\"error\":\"audit_unavailable\"");
            var stream = TestHttp.get(broker, "/v1/grants/" + grantId + "/stream", lab);
            assertThat(stream.statusCode()).isEqualTo(503);
            assertThat(stream.headers().firstValue("Sluice-Stream-Id")).isEmpty();
            assertThat(count(config.jdbcUrl(), "SELECT COUNT(*) FROM grants")).isEqualTo(1);
            assertThat(count(config.jdbcUrl(), "SELECT COUNT(*) FROM streams")).isZero();

            execute(config.jdbcUrl(), "ALTER TABLE audit_log DROP CONSTRAINT audit_refuses");
            assertThat(TestHttp.get(broker, "/v1/grants/" + grantId + "/stream", lab).statusCode()).isEqualTo(200);
        }
    }

    @org.junit.jupiter.api.Test
    void reportShowsAnOwnerEveryUseOfTheDatasetWithVerifiedInclusionProofs() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String datasetId = id(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}").body());
            String grantId = id(TestHttp.post(broker, "/v1/grants", lab,
                    "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}").body());
            assertThat(TestHttp.get(broker, "/v1/grants/" + grantId + "/stream", lab).statusCode()).isEqualTo(200);
            TestHttp.post(broker, "/v1/grants", lab, "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"marketing\"}");
            java.nio.file.Path key = dir.resolve("key.pub");
            java.nio.file.Files.writeString(key, TestHttp.getText(broker, "/v1/audit/public-key", null));

            java.io.StringWriter out = new java.io.StringWriter();
            var commandLine = io.sluice.broker.cli.SluiceCommand.commandLine();
            commandLine.setOut(new java.io.PrintWriter(out, true));
            int exitCode = commandLine.execute("audit", "report", "--broker", broker.uri().toString(), "--token", owner,
                    "--dataset", datasetId, "--public-key", key.toString());

            assertThat(exitCode).as(out.toString()).isZero();
            assertThat(out.toString()).contains("(signature verified)")
                    .contains("dataset.registered").contains("grant.issued").contains("stream.opened")
                    .contains("stream.closed").contains("grant.denied").contains("marketing")
                    .doesNotContain("FAILED");
            assertThat(out.toString().lines().filter(l -> l.contains("included (")).count()).isEqualTo(5);
        }
    }

    private static String id(String json) {
        Matcher matcher = ID.matcher(json);
        if (!matcher.find()) {
            throw new AssertionError("no id in " + json);
        }
        return matcher.group(1);
    }

    private static void execute(String url, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static long count(String url, String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
