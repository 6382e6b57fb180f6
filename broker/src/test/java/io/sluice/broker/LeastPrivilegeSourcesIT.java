package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard of a JDBC source's SQL is the database, not the broker's reading of the text: a quoted
 * identifier ({@code SELECT "pg_read_file"(...)}) slips past any list of forbidden words, and with a
 * superuser it registered and streamed a server file. Registered as the least-privileged role the
 * README tells operators to create (CONNECT, USAGE on a schema, SELECT on named tables), the same
 * query is refused by PostgreSQL itself, and a write that passes the text check fails because every
 * transaction of a source is read-only, even for a role allowed to write.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class LeastPrivilegeSourcesIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;

    @TempDir
    Path dir;

    private String adminUrl;
    private String sourceUrl;
    private String schema;
    private String role;
    private Broker broker;

    @BeforeEach
    void createRole() throws SQLException {
        adminUrl = System.getenv(TestDatabases.POSTGRES_URL_VARIABLE);
        assumeTrue(adminUrl != null && !adminUrl.isBlank(),
                "SLUICE_TEST_POSTGRES_URL is not set: skipping the least-privileged PostgreSQL role");
        String schemaUrl = TestDatabases.fresh("postgres", dir);
        schema = schemaUrl.substring(schemaUrl.indexOf("currentSchema=") + "currentSchema=".length());
        // The source names its role with the option 'user'; a user in the URL would win over it.
        sourceUrl = adminUrl.contains("?") ? adminUrl.substring(0, adminUrl.indexOf('?')) : adminUrl;
        role = "sluice_reader_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection connection = DriverManager.getConnection(adminUrl); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + schema + ".admissions (id bigint PRIMARY KEY, ward text, v bigint)");
            statement.execute("INSERT INTO " + schema + ".admissions SELECT g, 'ward ' || (g % 3), 1"
                    + " FROM generate_series(1, 50) g");
            statement.execute("CREATE SEQUENCE " + schema + ".ids");
            // The README's role, as an operator creates it (the test cluster trusts loopback, so no password).
            statement.execute("CREATE ROLE " + role + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT");
            statement.execute("GRANT CONNECT ON DATABASE " + connection.getCatalog() + " TO " + role);
            statement.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
            statement.execute("GRANT SELECT ON " + schema + ".admissions TO " + role);
            // More than a reader needs, on purpose: the read-only transaction must stop the write by itself.
            statement.execute("GRANT USAGE, UPDATE ON SEQUENCE " + schema + ".ids TO " + role);
        }
    }

    @AfterEach
    void dropRole() throws SQLException {
        if (broker != null) {
            broker.close();
        }
        if (role != null) {
            try (Connection connection = DriverManager.getConnection(adminUrl);
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP OWNED BY " + role);
                statement.execute("DROP ROLE " + role);
            }
        }
    }

    @Test
    void aQuotedFileFunctionAndAWriteAreRefusedByTheDatabaseAndAudited() throws Exception {
        String host = java.net.URI.create(adminUrl.substring("jdbc:".length())).getHost();
        broker = Broker.start(BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of(host)));
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");

        var fileRead = TestHttp.post(broker, "/v1/datasets", owner, registration(
                "\"query\":\"SELECT \\\"pg_read_file\\\"('/etc/hostname') AS content\",\"versionColumn\":\"content\""));
        assertThat(fileRead.statusCode()).as(fileRead.body()).isEqualTo(400);
        assertThat(fileRead.body()).contains("\"error\":\"query_not_allowed\"",
                "\"message\":\"query needs a privilege the source's database role does not have: ",
                "permission denied for function pg_read_file");

        var write = TestHttp.post(broker, "/v1/datasets", owner, registration(
                "\"query\":\"SELECT \\\"nextval\\\"('" + schema + ".ids') AS n\",\"versionColumn\":\"n\""));
        assertThat(write.statusCode()).as(write.body()).isEqualTo(400);
        assertThat(write.body()).contains("\"error\":\"query_not_allowed\"",
                "\"message\":\"query tries to write, which a jdbc source may not: ", "read-only transaction");
        try (Connection connection = DriverManager.getConnection(adminUrl); Statement statement = connection.createStatement();
                ResultSet sequence = statement.executeQuery("SELECT is_called FROM " + schema + ".ids")) {
            sequence.next();
            assertThat(sequence.getBoolean(1)).as("the sequence was never advanced").isFalse();
        }

        // What the role may read, it reads.
        var table = TestHttp.post(broker, "/v1/datasets", owner, registration(
                "\"table\":\"" + schema + ".admissions\",\"versionColumn\":\"v\""));
        assertThat(table.statusCode()).as(table.body()).isEqualTo(201);
        assertThat(table.body()).contains("\"rows\":50");

        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        assertThat(TestHttp.getText(broker, "/v1/audit?action=dataset.rejected", auditor))
                .contains("permission denied for function pg_read_file", "read-only transaction");
        TestHttp.awaitHealthy(broker);
    }


    private String registration(String rows) {
        return "{\"name\":\"admissions\",\"source\":{\"type\":\"jdbc\",\"url\":\"" + sourceUrl + "\",\"user\":\"" + role
                + "\"," + rows + "},\"policy\":" + POLICY + "}";
    }
}
