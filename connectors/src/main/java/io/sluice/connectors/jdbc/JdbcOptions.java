package io.sluice.connectors.jdbc;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourceOptions;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * The options of a JDBC source, parsed and checked. Holds the password: never printed (see
 * {@link #toString()}).
 *
 * @param target the checked URL
 * @param url the URL as given (may hold a password; never shown)
 * @param base the SQL of the rows: {@code SELECT * FROM table} or the checked query
 * @param what how messages name the rows: {@code table x} or {@code query}
 * @param user the user, if given as an option
 * @param password the password, if given as an option
 * @param fetchSize rows fetched per round trip
 * @param versionColumn the column whose maximum (with the row count) versions the data
 * @param snapshotQuery the query whose result versions the data
 * @param shardColumn an integer column to cut shards by (its value modulo the shard count)
 * @param maxBatchBytes the bound on one scan's Arrow memory
 * @param timeouts how long each step may wait for the database
 */
record JdbcOptions(JdbcUrls.Target target, String url, String base, String what, Optional<String> user,
        Optional<String> password, int fetchSize, Optional<String> versionColumn, Optional<String> snapshotQuery,
        Optional<String> shardColumn, long maxBatchBytes, JdbcTimeouts timeouts) {

    static final String URL = "url";
    static final String TABLE = "table";
    static final String QUERY = "query";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String FETCH_SIZE = "fetchSize";
    static final String VERSION_COLUMN = "versionColumn";
    static final String SNAPSHOT_QUERY = "snapshotQuery";
    static final String SHARD_COLUMN = "shardColumn";
    static final Set<String> KEYS = Set.of(URL, TABLE, QUERY, USER, PASSWORD, FETCH_SIZE, VERSION_COLUMN,
            SNAPSHOT_QUERY, SHARD_COLUMN, JdbcTimeouts.CONNECT_TIMEOUT, JdbcTimeouts.QUERY_TIMEOUT,
            JdbcTimeouts.SOCKET_TIMEOUT);

    static JdbcOptions of(SourceConfig config) {
        SourceOptions options = SourceOptions.of(config, KEYS);
        String type = config.type();
        String url = options.required(URL).strip();
        JdbcUrls.Target target = JdbcUrls.check(url, JdbcUrls.allowedHosts(
                options.string(SourceOptions.ALLOWED_HOSTS).orElse("")));
        Optional<String> table = options.string(TABLE).filter(t -> !t.isBlank());
        Optional<String> query = options.string(QUERY).filter(q -> !q.isBlank());
        if (table.isPresent() == query.isPresent()) {
            throw SourceOptions.invalid(type, "give exactly one of the options 'table' and 'query'");
        }
        String base;
        String what;
        if (table.isPresent()) {
            base = "SELECT * FROM " + SqlText.tableName(table.get().strip());
            what = "table " + table.get().strip();
        } else {
            base = SqlText.checkSelect(query.get(), "'query'");
            what = "query";
        }
        Optional<String> versionColumn = options.string(VERSION_COLUMN).filter(v -> !v.isBlank()).map(String::strip);
        Optional<String> snapshotQuery = options.string(SNAPSHOT_QUERY).filter(q -> !q.isBlank())
                .map(q -> SqlText.checkSelect(q, "'snapshotQuery'"));
        if (versionColumn.isPresent() == snapshotQuery.isPresent()) {
            throw SourceOptions.invalid(type, "give exactly one of the options 'versionColumn' (a column that grows"
                    + " with every change, e.g. an update timestamp) and 'snapshotQuery' (a SELECT whose result changes"
                    + " whenever the data does): the fingerprint comes from it");
        }
        int fetchSize = options.intValue(FETCH_SIZE, 10_000, 1, 1_000_000);
        return new JdbcOptions(target, url, base, what, options.string(USER), options.string(PASSWORD), fetchSize,
                versionColumn, snapshotQuery, options.string(SHARD_COLUMN).filter(s -> !s.isBlank()).map(String::strip),
                options.maxBatchBytes(), JdbcTimeouts.of(options));
    }

    /**
     * The connection properties: user and password when given as options; for PostgreSQL the
     * timeouts ({@link JdbcTimeouts}), every transaction read-only from the session's start
     * ({@code default_transaction_read_only}, besides the {@code SET TRANSACTION READ ONLY} each
     * connection runs), and binary transfer from the first execution ({@code prepareThreshold=-1})
     * unless the URL says otherwise, which decodes numbers and timestamps about a fifth faster than
     * the text protocol.
     */
    Properties properties() {
        Properties properties = new Properties();
        if (target.kind() == JdbcUrls.Kind.POSTGRESQL) {
            if (!url.contains("prepareThreshold=")) {
                properties.setProperty("prepareThreshold", "-1");
            }
            timeouts.applyToPostgres(properties);
            // The URL may not set 'options' (JdbcUrls), so this holds for every session of the source.
            properties.setProperty("options", "-c default_transaction_read_only=on");
        }
        user.ifPresent(u -> properties.setProperty("user", u));
        password.ifPresent(p -> properties.setProperty("password", p));
        return properties;
    }

    /** {@code message} with the password (and the URL's password) replaced by {@code ***}. */
    String scrub(String message) {
        if (message == null) {
            return "";
        }
        String scrubbed = message.replace(url, target.display());
        if (password.isPresent() && !password.get().isEmpty()) {
            scrubbed = scrubbed.replace(password.get(), "***");
        }
        String urlPassword = urlPassword();
        if (!urlPassword.isEmpty()) {
            scrubbed = scrubbed.replace(urlPassword, "***");
        }
        return scrubbed;
    }

    private String urlPassword() {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(?i)(?:^|[?&;:])password=([^&;]*)")
                .matcher(url);
        return matcher.find() ? matcher.group(1) : "";
    }

    /** The rows as messages name them, with the URL redacted; never the password. */
    @Override
    public String toString() {
        return "JdbcOptions[" + target.display() + ", " + what + ", user=" + user.orElse("(from url)")
                + ", password=" + (password.isPresent() ? "***" : "none") + "]";
    }

    static ConnectorException invalid(String problem) {
        return new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "source type 'jdbc': " + problem);
    }
}
