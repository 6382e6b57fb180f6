package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestCli;
import io.sluice.broker.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tampering done directly in the database, behind the broker's back, and {@code sluice audit
 * verify} naming the record each time.
 */
class AuditTamperIT {
    private static final int RECORDS = 12;

    @TempDir
    Path dir;

    /** One way to alter the log, and what the verifier must say about it. */
    enum Tamper {
        MODIFY("record 5 was modified",
                "UPDATE audit_log SET record_json = REPLACE(record_json, '\"refused\"', '\"accepted\"') WHERE idx = 5"),
        DELETE("record 5 was deleted",
                "DELETE FROM audit_log WHERE idx = 5"),
        INSERT("record at position 5 claims index 3, which came earlier: it was inserted",
                "UPDATE audit_log SET idx = idx + 1000 WHERE idx >= 5",
                "UPDATE audit_log SET idx = idx - 999 WHERE idx >= 1000",
                "INSERT INTO audit_log (idx, recorded_at, action, record_json, leaf_hash)"
                        + " SELECT 5, recorded_at, action, record_json, leaf_hash FROM audit_log WHERE idx = 3"),
        REORDER("record 5 was moved: it appears at position 6",
                "UPDATE audit_log SET idx = 1000 WHERE idx = 5",
                "UPDATE audit_log SET idx = 5 WHERE idx = 6",
                "UPDATE audit_log SET idx = 6 WHERE idx = 1000");

        final String expected;
        final List<String> statements;

        Tamper(String expected, String... statements) {
            this.expected = expected;
            this.statements = List.of(statements);
        }
    }

    @ParameterizedTest
    @EnumSource(Tamper.class)
    void verifyNamesTheRecordThatWasTamperedWith(Tamper tamper) throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        try (Broker broker = Broker.start(config)) {
            String auditor = logWithRecords(broker);
            Path state = dir.resolve("verify-state");
            assertThat(verify(broker, auditor, state)).startsWith("OK: " + RECORDS + " records");

            try (Connection connection = DriverManager.getConnection(config.jdbcUrl());
                    Statement statement = connection.createStatement()) {
                for (String sql : tamper.statements) {
                    statement.executeUpdate(sql);
                }
            }
            assertThat(verify(broker, auditor, state)).startsWith("FAILED: " + tamper.expected);
        }
    }

    @Test
    void anExportVerifiesOfflineAndAnAlteredExportDoesNot() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            String auditor = logWithRecords(broker);
            Path export = dir.resolve("audit.jsonl");
            Path key = dir.resolve("key.pub");
            Files.writeString(key, TestHttp.getText(broker, "/v1/audit/public-key", null));
            assertThat(TestCli.run("audit", "export", "--broker", broker.uri().toString(), "--token", auditor,
                    "--out", export.toString()).exitCode()).isZero();
            assertThat(TestCli.run("audit", "verify", "--file", export.toString(), "--public-key", key.toString(),
                    "--state", dir.resolve("offline-state").toString()).output()).startsWith("OK: ");

            List<String> lines = Files.readAllLines(export);
            Files.write(export, lines.subList(1, lines.size()));
            TestCli.Result altered = TestCli.run("audit", "verify", "--file", export.toString(), "--public-key", key.toString(),
                    "--state", dir.resolve("other-state").toString());
            assertThat(altered.exitCode()).isEqualTo(1);
            assertThat(altered.output()).startsWith("FAILED: record 0 was deleted");
        }
    }

    /** Fills the log with refused requests and waits until a checkpoint covers them; returns an auditor token. */
    private static String logWithRecords(Broker broker) throws Exception {
        for (int i = 0; i < RECORDS; i++) {
            assertThat(TestHttp.get(broker, "/v1/catalog", null).statusCode()).isEqualTo(401);
        }
        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        TestHttp.awaitCheckpoint(broker, auditor, RECORDS);
        return auditor;
    }

    private String verify(Broker broker, String auditor, Path state) throws Exception {
        Path key = dir.resolve("key.pub");
        Files.writeString(key, TestHttp.getText(broker, "/v1/audit/public-key", null));
        return TestCli.run("audit", "verify", "--broker", broker.uri().toString(), "--token", auditor,
                "--public-key", key.toString(), "--state", state.toString()).output();
    }
}
