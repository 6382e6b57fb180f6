package io.sluice.connectors.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourceOptions;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bounds on each JDBC step: options, their limits, and a database that never answers. */
class JdbcTimeoutsTest {

    @Test
    void defaultsBoundConnectingQueriesAndReads() {
        JdbcTimeouts timeouts = JdbcTimeouts.of(SourceOptions.of(SourceConfig.of("jdbc", Map.of()), JdbcOptions.KEYS));

        assertThat(timeouts).isEqualTo(new JdbcTimeouts(10, 30, 300));
        Properties properties = new Properties();
        timeouts.applyToPostgres(properties);
        assertThat(properties).containsEntry("connectTimeout", "10").containsEntry("loginTimeout", "10")
                .containsEntry("socketTimeout", "300");
    }

    @Test
    void takesEachTimeoutFromItsOption() {
        JdbcTimeouts timeouts = JdbcTimeouts.of(SourceOptions.of(SourceConfig.of("jdbc", Map.of(
                "connectTimeout", "3", "queryTimeout", "7", "socketTimeout", "7")), JdbcOptions.KEYS));

        assertThat(timeouts).isEqualTo(new JdbcTimeouts(3, 7, 7));
    }

    @Test
    void refusesTimeoutsOutsideTheirBounds() {
        assertThatThrownBy(() -> new JdbcTimeouts(0, 30, 300))
                .hasMessage("source type 'jdbc': option 'connectTimeout' must be between 1 and 60 seconds, was 0");
        assertThatThrownBy(() -> JdbcTimeouts.of(SourceOptions.of(SourceConfig.of("jdbc", Map.of("queryTimeout", "601")),
                JdbcOptions.KEYS)))
                .hasMessage("source type 'jdbc': option 'queryTimeout' must be between 1 and 600, was 601");
        assertThatThrownBy(() -> new JdbcTimeouts(10, 60, 30))
                .hasMessage("source type 'jdbc': option 'socketTimeout' (30 s) must be at least 'queryTimeout' (60 s):"
                        + " a slow query is cancelled with a clear error before its connection is dropped");
    }

    @Test
    void theUrlCannotTurnATimeoutOff() {
        for (String parameter : new String[] {"socketTimeout=0", "connectTimeout=0", "loginTimeout=0"}) {
            assertThatThrownBy(() -> JdbcUrls.check("jdbc:postgresql://db.example.org/clinic?" + parameter,
                    Set.of("db.example.org")))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                    .hasMessageContaining("give the source's timeouts as the options 'connectTimeout', 'queryTimeout'"
                            + " and 'socketTimeout'");
        }
    }

    /** A server that takes the TCP connection (the kernel's backlog does) and never says a word. */
    @Test
    void aDatabaseThatNeverAnswersTimesOutWithinTheConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, String> options = new HashMap<>();
            options.put("url", "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/clinic");
            options.put("table", "t");
            options.put("versionColumn", "v");
            options.put("connectTimeout", "1");
            options.put("allowedHosts", "127.0.0.1");
            // Found before the clock starts: the driver's classes load once, not within the timeout.
            Connectors connectors = Connectors.discover();
            long start = System.nanoTime();

            assertThatThrownBy(() -> connectors.open(SourceConfig.of("jdbc", options)))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_TIMED_OUT))
                    .hasMessageStartingWith("table t at jdbc:postgresql://127.0.0.1:" + silent.getLocalPort()
                            + "/clinic cannot be read: the database did not answer within connectTimeout (1 s)");
            assertThat((System.nanoTime() - start) / 1e9).as("seconds until the refusal").isLessThan(10);
        }
    }
}
