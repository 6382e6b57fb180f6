package io.sluice.broker;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The databases the store's tests run against: embedded H2 always, and a real PostgreSQL when
 * {@code SLUICE_TEST_POSTGRES_URL} names one ({@code ./sluice test} and CI start a throwaway cluster).
 * Each PostgreSQL test gets a schema of its own, so tests never see each other's rows.
 */
public final class TestDatabases {
    public static final String POSTGRES_URL_VARIABLE = "SLUICE_TEST_POSTGRES_URL";

    private TestDatabases() {}

    /** A fresh database of the given kind ("h2" or "postgres"); skips the test when PostgreSQL is not available. */
    public static String fresh(String kind, Path dir) {
        return switch (kind) {
            case "h2" -> "jdbc:h2:file:" + dir.resolve("store-" + UUID.randomUUID()) + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
            case "postgres" -> freshPostgresSchema();
            default -> throw new IllegalArgumentException("unknown database kind " + kind);
        };
    }

    private static String freshPostgresSchema() {
        String url = System.getenv(POSTGRES_URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(),
                POSTGRES_URL_VARIABLE + " is not set: skipping the PostgreSQL run (./sluice test starts a cluster)");
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create schema " + schema + " in " + url, e);
        }
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
}
