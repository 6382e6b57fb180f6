package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The broker's one JDBC store (H2 embedded by default, PostgreSQL with {@code --db}): a
 * connection pool, with the schema brought up to date by Flyway migrations at start-up.
 *
 * <p>Every call that touches it blocks; callers run on worker threads, never on an event loop.
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final List<Runnable> beforeClose = new CopyOnWriteArrayList<>();

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Connects and migrates. The URL may carry credentials; it is never logged. */
    public static Database open(String jdbcUrl) {
        return open(jdbcUrl, Optional.empty(), Optional.empty());
    }

    /**
     * Connects as {@code user} with {@code password} (when given; else as the URL says) and migrates.
     * The password goes to the driver only, never into a log or an error message.
     */
    public static Database open(String jdbcUrl, Optional<String> user, Optional<String> password) {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        user.ifPresent(config::setUsername);
        password.ifPresent(config::setPassword);
        config.setPoolName("sluice-store");
        config.setMaximumPoolSize(8);
        config.setAutoCommit(true);
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new Database(dataSource);
    }

    /**
     * Publishes the pool's state (connections active, idle, pending; acquire, usage and creation
     * times; timeouts) to {@code registry} through HikariCP's Micrometer tracker, tagged
     * {@code pool="sluice-store"}. Once per database; the tracker removes its meters when the pool closes.
     */
    public void recordMetrics(MeterRegistry registry) {
        requireNonNull(registry, "registry is null");
        dataSource.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /**
     * Runs {@code action} when the store closes, before the pool does: for what borrows connections
     * in the background (the health probe), so that it stops instead of waiting on a closed pool.
     */
    public void beforeClose(Runnable action) {
        beforeClose.add(requireNonNull(action, "action is null"));
    }

    @Override
    public void close() {
        try {
            beforeClose.forEach(Runnable::run);
        } finally {
            dataSource.close();
        }
    }
}
