package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.broker.cli.SluiceCommand;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice serve} configured by a file and {@code SLUICE_*} variables, as an operator runs it. */
class ServeConfigurationIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;

    @TempDir
    Path dir;

    @Test
    void aBrokerProcessTakesItsSettingsFromTheFileTheEnvironmentAndItsFlags() throws Exception {
        Path fileSources = dir.resolve("file-sources");
        Path fileData = dir.resolve("file-data");
        Path flagData = dir.resolve("flag-data");
        TestParquet.write(fileSources.resolve("hospital-a/small.parquet"));
        Path config = Files.writeString(dir.resolve("sluice.yaml"), """
                port: 8470
                sources: %s
                data-dir: %s
                max-request-bytes: 1048576
                """.formatted(fileSources, fileData));

        try (BrokerProcess broker = BrokerProcess.serve(List.of("--config", config.toString(), "--data-dir",
                flagData.toString()), Map.of("SLUICE_PORT", "0", "SLUICE_MAX_REQUEST_BYTES", "2048"), dir)) {
            assertThat(broker.uri().getPort()).as("SLUICE_PORT=0 over the file's 8470: a free port").isNotEqualTo(8470);
            Poll.until(() -> broker.output().contains("sources: "), Duration.ofSeconds(30), "the sources line");
            assertThat(broker.output()).contains("sources: " + fileSources + "/<organisation>/   data: " + flagData);

            String owner = TestHttp.devToken(broker.uri(), "owner", "hospital-a", "data-owner");
            HttpResponse<String> registered = TestHttp.post(broker.uri(), "/v1/datasets", owner, "{\"name\":\"small\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}");
            assertThat(registered.statusCode()).as("the file in the file's sources directory: %s", registered.body())
                    .isEqualTo(201);

            HttpResponse<String> tooLarge = TestHttp.post(broker.uri(), "/v1/datasets", owner,
                    "{\"name\":\"" + "x".repeat(4096) + "\"}");
            assertThat(tooLarge.statusCode()).as("SLUICE_MAX_REQUEST_BYTES=2048 over the file's 1 MiB").isEqualTo(413);
        }
        assertThat(flagData.resolve("sluice.mv.db")).as("--data-dir over the file's data-dir").exists();
        assertThat(fileData).doesNotExist();
    }

    @Test
    void aBrokerLogsInToPostgresAsTheGivenUserWithThePasswordFromAFile() throws Exception {
        String url = System.getenv(TestDatabases.POSTGRES_URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(),
                TestDatabases.POSTGRES_URL_VARIABLE + " is not set: skipping the PostgreSQL run (./sluice test starts a cluster)");
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String role = "store_" + suffix;
        String schema = "s_" + suffix;
        String password = "pw-" + suffix;
        try (Connection admin = DriverManager.getConnection(url); Statement statement = admin.createStatement()) {
            statement.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
            statement.execute("CREATE SCHEMA " + schema + " AUTHORIZATION " + role);
        }
        try {
            Path passwordFile = Files.writeString(dir.resolve("db-password"), password + "\n");
            Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
            // The test cluster's URL names its superuser; the broker's names nobody and gets --db-user.
            String withoutUser = (url.contains("?") ? url.substring(0, url.indexOf('?')) : url) + "?currentSchema=" + schema;

            CommandLine commandLine = SluiceCommand.commandLine(Map.of("SLUICE_DB_PASSWORD_FILE", passwordFile.toString(),
                    "SLUICE_DB", withoutUser));
            commandLine.parseArgs("serve", "--port", "0", "--data-dir", dir.resolve("data").toString(), "--db-user", role);
            BrokerConfig config = commandLine.getSubcommands().get("serve").<io.sluice.broker.cli.ServeCommand>getCommand()
                    .config();
            assertThat(config.toString()).doesNotContain(password);
            try (Broker broker = Broker.start(config)) {
                TestHttp.awaitHealthy(broker);
            }
            try (Connection admin = DriverManager.getConnection(url);
                    PreparedStatement owner = admin.prepareStatement(
                            "SELECT tableowner FROM pg_tables WHERE schemaname = ? AND tablename = 'audit_log'")) {
                owner.setString(1, schema);
                try (ResultSet rows = owner.executeQuery()) {
                    assertThat(rows.next()).as("the broker made its tables in " + schema).isTrue();
                    assertThat(rows.getString(1)).isEqualTo(role);
                }
            }
        } finally {
            try (Connection admin = DriverManager.getConnection(url); Statement statement = admin.createStatement()) {
                statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                statement.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }
}
