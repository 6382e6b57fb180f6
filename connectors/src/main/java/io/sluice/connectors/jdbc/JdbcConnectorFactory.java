package io.sluice.connectors.jdbc;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ConnectorFactory;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourceOptions;

/**
 * The {@code "jdbc"} source type: a table or a read-only query of a PostgreSQL database (or an H2
 * server), streamed with a cursor.
 *
 * <table>
 *   <caption>Options (besides the common {@code maxBatchBytes})</caption>
 *   <tr><th>key</th><th>meaning</th></tr>
 *   <tr><td>{@code url}</td><td>required; {@code jdbc:postgresql://HOST[:PORT]/DATABASE[?params]} or
 *       {@code jdbc:h2:tcp://HOST[:PORT]/PATH} (see {@link JdbcUrls} for the rules)</td></tr>
 *   <tr><td>{@code table} or {@code query}</td><td>exactly one: {@code [schema.]table}, or one
 *       {@code SELECT}/{@code WITH} statement</td></tr>
 *   <tr><td>{@code user}, {@code password}</td><td>credentials (never logged or shown)</td></tr>
 *   <tr><td>{@code versionColumn} or {@code snapshotQuery}</td><td>exactly one: what the fingerprint
 *       is computed from</td></tr>
 *   <tr><td>{@code fetchSize}</td><td>rows per round trip, default 10,000</td></tr>
 *   <tr><td>{@code shardColumn}</td><td>an integer column; needed to read the source in shards</td></tr>
 *   <tr><td>{@code connectTimeout}, {@code queryTimeout}, {@code socketTimeout}</td><td>seconds each step may
 *       wait for the database: 10 (at most 60), 30 (at most 600), 300 (at most 3600); see {@link JdbcTimeouts}</td></tr>
 *   <tr><td>{@value SourceOptions#ALLOWED_HOSTS}</td><td>set by the broker from its configuration,
 *       never by the data owner: the hosts jdbc sources may connect to (comma list; the entry
 *       {@code h2:mem} allows in-memory H2 databases of the broker's own JVM, for tests)</td></tr>
 * </table>
 *
 * <p>Threading: stateless. {@link #create} connects to the database, so call it off any event loop.
 */
public final class JdbcConnectorFactory implements ConnectorFactory {

    /** The source type this factory serves. */
    public static final String NAME = "jdbc";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Checks the options, connects, describes the rows and computes the fingerprint.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#HOST_NOT_ALLOWED},
     *     {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG}, {@link ConnectorErrorCode#QUERY_NOT_ALLOWED};
     *     see {@link JdbcBatchSource} for the rest. No message holds the password.
     */
    @Override
    public BatchSource create(SourceConfig config) {
        requireNonNull(config, "config is null");
        if (config.location().isPresent()) {
            throw SourceOptions.invalid(NAME, "a jdbc source has no path; give the option 'url'");
        }
        return JdbcBatchSource.open(JdbcOptions.of(config));
    }
}
