package io.sluice.connectors.jdbc;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table or a read-only query of a PostgreSQL (or H2) database, streamed with a cursor into
 * Arrow vectors.
 *
 * <p>Read-only: the connection is {@linkplain Connection#setReadOnly read-only} with auto-commit off,
 * and on PostgreSQL the session starts with {@code default_transaction_read_only} and every
 * transaction is also {@code SET TRANSACTION READ ONLY} (the server refuses any write, whatever the
 * text); every transaction is rolled back, never committed. The SQL text must be one {@code SELECT}
 * (see {@link SqlText}), a check that is defence in depth only. What a query may read is the
 * database role's business: use one that may only read the tables it should, and has no file or
 * server functions (the README's least-privileged role); a privilege it lacks is
 * {@link ConnectorErrorCode#QUERY_NOT_ALLOWED}. H2 does not enforce read-only transactions, which is
 * one reason in-memory H2 URLs must be allowed explicitly (see {@link JdbcUrls}).
 *
 * <p>Time: every step has a bound ({@link JdbcTimeouts}); one that runs out fails with
 * {@link ConnectorErrorCode#SOURCE_TIMED_OUT} naming the option.
 *
 * <p>Version: the fingerprint is SHA-256 over the URL (without password), the SQL of the rows, and
 * the result of the version query: {@code MAX(versionColumn)} and {@code COUNT(*)} over the rows,
 * or every row of {@code snapshotQuery}. A scan checks it again inside its own transaction, which on
 * PostgreSQL is {@code REPEATABLE READ}, so the rows it streams are exactly the version its
 * fingerprint names, or it fails with {@link ConnectorErrorCode#SOURCE_CHANGED}.
 *
 * <p>Credentials: the password lives only in this source's options; it is never logged, never in
 * an exception message (driver messages are scrubbed) and never in {@link #toString()}.
 *
 * <p>Predicates are translated to a SQL {@code WHERE} with bound parameters, so scans return only
 * matching rows ({@link #filtersExactly()}; string order is the database's collation). Shards need
 * the option {@code shardColumn}: shard {@code i} of {@code n} reads the rows whose value modulo
 * {@code n} is {@code i} (nulls go to shard 0). With it the source also has {@link #UNITS} units,
 * the rows whose value modulo {@link #UNITS} is the unit's number (nulls in unit 0), each read in the
 * order of the shard column: declare a unique key so that a unit's rows come in one order.
 *
 * <p>Threading: immutable after {@link #open}; each scan has its own connection.
 */
public final class JdbcBatchSource implements BatchSource {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcBatchSource.class);

    /** How many units a source with a {@code shardColumn} is cut into. */
    public static final int UNITS = 64;

    private final JdbcOptions options;
    private final List<JdbcColumn> columns;
    private final Schema schema;
    private final String fingerprint;
    private final OptionalLong rowCount;
    private volatile boolean closed;

    private JdbcBatchSource(JdbcOptions options, List<JdbcColumn> columns, String fingerprint, OptionalLong rowCount) {
        this.options = options;
        this.columns = List.copyOf(columns);
        this.schema = new Schema(columns.stream()
                .map(c -> new Field(c.name(), new FieldType(true, c.arrowType(), null), null)).toList());
        this.fingerprint = fingerprint;
        this.rowCount = rowCount;
    }

    /**
     * Connects, describes the rows and computes the fingerprint.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming every column of a
     *     type that has no Arrow mapping; {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} for an
     *     unknown version or shard column, a missing table, bad SQL or refused credentials;
     *     {@link ConnectorErrorCode#SOURCE_READ_FAILED} when the database cannot be reached
     */
    static JdbcBatchSource open(JdbcOptions options) {
        requireNonNull(options, "options is null");
        try (Connection connection = connect(options)) {
            try {
                List<JdbcColumn> columns = describe(connection, options);
                List<String> names = columns.stream().map(JdbcColumn::name).toList();
                options.versionColumn().ifPresent(column -> requireColumn(names, column, "versionColumn", options));
                options.shardColumn().ifPresent(column -> {
                    requireColumn(names, column, "shardColumn", options);
                    JdbcColumn.Kind kind = columns.get(names.indexOf(column)).kind();
                    if (kind != JdbcColumn.Kind.INT8 && kind != JdbcColumn.Kind.INT16 && kind != JdbcColumn.Kind.INT32
                            && kind != JdbcColumn.Kind.INT64) {
                        throw JdbcOptions.invalid("option 'shardColumn' must name an integer column, '" + column
                                + "' is " + columns.get(names.indexOf(column)).arrowType());
                    }
                });
                Version version = version(connection, options);
                JdbcBatchSource source = new JdbcBatchSource(options, columns, version.fingerprint(), version.rows());
                LOG.debug("opened jdbc source {}: {} columns, fingerprint {}", options, columns.size(),
                        version.fingerprint());
                return source;
            } finally {
                rollback(connection);
            }
        } catch (SQLException e) {
            throw failure(options, "cannot be read", e);
        }
    }

    @Override
    public Schema schema() {
        return schema;
    }

    /** The row count from the version query when it is {@code versionColumn}'s; else unknown. */
    @Override
    public OptionalLong rowCount() {
        return rowCount;
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** True: the predicate becomes a SQL {@code WHERE} (with the database's string collation). */
    @Override
    public boolean filtersExactly() {
        return true;
    }

    /**
     * The non-empty buckets of the shard column (see the class comment), counted with the spec's
     * predicate in one query; none without {@code shardColumn}.
     */
    @Override
    public List<ScanUnit> units(ScanSpec spec) {
        requireNonNull(spec, "spec is null");
        project(spec);
        if (options.shardColumn().isEmpty()) {
            return List.of();
        }
        try (Connection connection = connect(options)) {
            try {
                List<ScanUnit> units = new ArrayList<>();
                for (long[] count : JdbcBatchReader.unitCounts(connection, schema, spec, options)) {
                    units.add(ScanUnit.of((int) count[0], count[1], spec.batchRows()));
                }
                units.sort(Comparator.comparingInt(ScanUnit::index));
                return List.copyOf(units);
            } finally {
                rollback(connection);
            }
        } catch (SQLException e) {
            throw failure(options, "cannot be counted by unit", e);
        }
    }

    /**
     * Starts a scan on a new connection: checks the fingerprint inside the scan's transaction, then
     * streams the projected columns with a cursor.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#UNKNOWN_COLUMN},
     *     {@link ConnectorErrorCode#INVALID_PREDICATE}, {@link ConnectorErrorCode#SOURCE_CHANGED} when
     *     the version query's result changed, {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} for a
     *     sharded scan without {@code shardColumn}
     */
    @Override
    public BatchReader open(ScanSpec spec, BufferAllocator allocator) {
        requireNonNull(spec, "spec is null");
        requireNonNull(allocator, "allocator is null");
        List<JdbcColumn> projected = project(spec);
        if ((spec.shards() > 1 || spec.units().isPresent()) && options.shardColumn().isEmpty()) {
            throw JdbcOptions.invalid(options.what() + " cannot be read in " + (spec.units().isPresent() ? "units"
                    : spec.shards() + " shards") + " without the option 'shardColumn'");
        }
        for (int unit : spec.units().orElse(List.of())) {
            if (unit >= UNITS) {
                throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG, "unit " + unit + " of "
                        + options.what() + " does not exist: it has " + UNITS + " units");
            }
        }
        return JdbcBatchReader.open(this, projected, spec, allocator);
    }

    /** The spec's columns, checked, with its predicate checked against the schema. */
    private List<JdbcColumn> project(ScanSpec spec) {
        if (closed) {
            throw new IllegalStateException("source " + options.target().display() + " is closed");
        }
        List<String> names = columns.stream().map(JdbcColumn::name).toList();
        List<JdbcColumn> projected = new ArrayList<>();
        for (String name : spec.columns()) {
            int index = names.indexOf(name);
            if (index < 0) {
                throw new ConnectorException(ConnectorErrorCode.UNKNOWN_COLUMN, "unknown column '" + name + "' in "
                        + options.what() + "; available columns: " + names);
            }
            projected.add(columns.get(index));
        }
        spec.predicate().ifPresent(predicate -> predicate.checkAgainst(schema, options.what()));
        return projected;
    }

    JdbcOptions options() {
        return options;
    }

    Schema fullSchema() {
        return schema;
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "JdbcBatchSource[" + options.target().display() + ", " + options.what() + ", " + fingerprint + "]";
    }

    /** A read-only connection with auto-commit off; on PostgreSQL a REPEATABLE READ, READ ONLY transaction. */
    static Connection connect(JdbcOptions options) throws SQLException {
        Connection connection = DriverManager.getConnection(options.url(), options.properties());
        try {
            connection.setReadOnly(true);
            connection.setAutoCommit(false);
            if (options.target().kind() == JdbcUrls.Kind.POSTGRESQL) {
                connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SET TRANSACTION READ ONLY");
                }
            }
            return connection;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    static void rollback(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback of a read-only transaction failed", e);
        }
    }

    private static List<JdbcColumn> describe(Connection connection, JdbcOptions options) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT * FROM (" + options.base() + ") AS sluice_q WHERE 1 = 0")) {
            statement.setQueryTimeout(options.timeouts().querySeconds());
            return describe(statement, options);
        }
    }

    private static List<JdbcColumn> describe(PreparedStatement statement, JdbcOptions options) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            ResultSetMetaData metadata = rows.getMetaData();
            List<JdbcColumn> columns = new ArrayList<>();
            List<String> unsupported = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            for (int i = 1; i <= metadata.getColumnCount(); i++) {
                String label = metadata.getColumnLabel(i);
                if (seen.contains(label)) {
                    throw JdbcOptions.invalid(options.what() + " has two columns named '" + label
                            + "'; give them distinct names");
                }
                seen.add(label);
                var column = JdbcColumn.of(metadata, i, options.target().kind() == JdbcUrls.Kind.POSTGRESQL);
                if (column.isPresent()) {
                    columns.add(column.get());
                } else {
                    unsupported.add(label + " (" + metadata.getColumnTypeName(i)
                            + (metadata.getColumnType(i) == java.sql.Types.NUMERIC ? " without a declared precision" : "")
                            + ")");
                }
            }
            if (!unsupported.isEmpty()) {
                throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, options.what()
                        + " has columns of types not supported: " + String.join(", ", unsupported)
                        + "; cast them in a query (e.g. CAST(x AS numeric(18, 4)), CAST(x AS text))");
            }
            return columns;
        }
    }

    private static void requireColumn(List<String> names, String column, String option, JdbcOptions options) {
        if (!names.contains(column)) {
            throw JdbcOptions.invalid("option '" + option + "' names column '" + column + "' but " + options.what()
                    + " has columns " + names);
        }
    }

    /** The fingerprint and, with a version column, the row count. */
    record Version(String fingerprint, OptionalLong rows) {}

    static Version version(Connection connection, JdbcOptions options) throws SQLException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        update(digest, "sluice-jdbc-v1");
        update(digest, options.target().display());
        update(digest, options.base());
        OptionalLong rows = OptionalLong.empty();
        String sql;
        if (options.versionColumn().isPresent()) {
            update(digest, "versionColumn:" + options.versionColumn().get());
            sql = "SELECT MAX(sluice_q." + SqlText.quote(options.versionColumn().get()) + "), COUNT(*) FROM ("
                    + options.base() + ") AS sluice_q";
        } else {
            update(digest, "snapshotQuery:" + options.snapshotQuery().get());
            sql = options.snapshotQuery().get();
        }
        try (PreparedStatement statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY,
                ResultSet.CONCUR_READ_ONLY)) {
            statement.setFetchSize(options.fetchSize());
            statement.setQueryTimeout(options.timeouts().querySeconds());
            try (ResultSet result = statement.executeQuery()) {
                int count = result.getMetaData().getColumnCount();
                while (result.next()) {
                    digest.update((byte) 2);
                    for (int i = 1; i <= count; i++) {
                        String value = result.getString(i);
                        if (value == null) {
                            digest.update((byte) 0);
                        } else {
                            digest.update((byte) 1);
                            update(digest, value);
                        }
                    }
                    if (options.versionColumn().isPresent()) {
                        rows = OptionalLong.of(result.getLong(2));
                    }
                }
            }
        }
        return new Version(HexFormat.of().formatHex(digest.digest()), rows);
    }

    private static void update(MessageDigest digest, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        digest.update(ByteBuffer.allocate(4).putInt(0, bytes.length));
        digest.update(bytes);
    }

    /**
     * A driver failure as a connector error: the message scrubbed of credentials, the code from the
     * SQL state (42: bad SQL or unknown table, 28: refused credentials, 25006: a write in a read-only
     * transaction, 42501: a privilege the role lacks; 57014, or a socket read or connect that timed
     * out: a timeout; otherwise the database is treated as unreachable). The driver's exception is
     * kept as the cause only when its message holds no credential.
     */
    static ConnectorException failure(JdbcOptions options, String what, SQLException e) {
        return failure(options, what, e, JdbcTimeouts.QUERY_TIMEOUT);
    }

    /**
     * As {@link #failure(JdbcOptions, String, SQLException)}, for a statement whose own timeout
     * stands for the option {@code cancelledBy} (a stream's cursor is bound by {@code socketTimeout}).
     */
    static ConnectorException failure(JdbcOptions options, String what, SQLException e, String cancelledBy) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String detail = options.scrub(e.getMessage());
        ConnectorErrorCode code;
        String message;
        String timeout = timeoutName(e, cancelledBy);
        if (!timeout.isEmpty()) {
            code = ConnectorErrorCode.SOURCE_TIMED_OUT;
            message = options.what() + " at " + options.target().display() + " " + what + ": the database did not answer"
                    + " within " + timeout + " (" + seconds(options, timeout) + " s): " + detail;
        } else if (state.equals("25006")) {
            code = ConnectorErrorCode.QUERY_NOT_ALLOWED;
            message = options.what() + " tries to write, which a jdbc source may not: " + detail;
        } else if (state.equals("42501")) {
            code = ConnectorErrorCode.QUERY_NOT_ALLOWED;
            message = options.what() + " needs a privilege the source's database role does not have: " + detail;
        } else if (state.startsWith("42")) {
            code = ConnectorErrorCode.INVALID_SOURCE_CONFIG;
            message = options.what() + " is not valid SQL for " + options.target().display() + ": " + detail;
        } else if (state.startsWith("28")) {
            code = ConnectorErrorCode.INVALID_SOURCE_CONFIG;
            message = options.target().display() + " refused the credentials: " + detail;
        } else {
            code = ConnectorErrorCode.SOURCE_READ_FAILED;
            message = options.what() + " at " + options.target().display() + " " + what + ": " + detail;
        }
        boolean clean = detail.equals(e.getMessage() == null ? "" : e.getMessage());
        return clean ? new ConnectorException(code, message, e) : new ConnectorException(code, message);
    }

    private static int seconds(JdbcOptions options, String timeout) {
        return switch (timeout) {
            case JdbcTimeouts.CONNECT_TIMEOUT -> options.timeouts().connectSeconds();
            case JdbcTimeouts.QUERY_TIMEOUT -> options.timeouts().querySeconds();
            default -> options.timeouts().socketSeconds();
        };
    }

    /**
     * The option whose bound {@code e} reports: 57014 (query_canceled: the statement's timeout
     * cancelled it, on PostgreSQL and H2) is {@code cancelledBy}; a timed-out socket read is
     * {@code socketTimeout}; one while connecting (state 08001, or a timed-out connect) is
     * {@code connectTimeout}. Empty otherwise.
     */
    private static String timeoutName(SQLException e, String cancelledBy) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("57014")) {
            return cancelledBy;
        }
        boolean timedOut = false;
        for (Throwable cause = e; cause != null && !timedOut; cause = cause.getCause()) {
            timedOut = cause instanceof java.net.SocketTimeoutException
                    || String.valueOf(cause.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("timed out");
        }
        if (!timedOut) {
            return "";
        }
        // pgjdbc reports a connect or login that ran out of time as 08001 (unable to connect).
        return state.equals("08001") ? JdbcTimeouts.CONNECT_TIMEOUT : JdbcTimeouts.SOCKET_TIMEOUT;
    }
}
