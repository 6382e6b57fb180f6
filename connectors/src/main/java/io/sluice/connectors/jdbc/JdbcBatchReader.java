package io.sluice.connectors.jdbc;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanMetrics;
import io.sluice.connectors.ScanSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.OversizedAllocationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scan of a JDBC source: one connection, one read-only transaction, one forward-only cursor
 * fetching {@code fetchSize} rows per round trip, copied value by value into the vectors of one
 * reused {@link VectorSchemaRoot}.
 *
 * <p>Ownership: the reader owns a child allocator named {@code jdbc-scan}, the root, the
 * connection, the statement and the cursor; {@link #close()} rolls the transaction back and
 * releases all of them, and a failure while loading a batch does the same at once.
 *
 * <p>Threading: one thread at a time; loading a batch blocks on the database.
 */
final class JdbcBatchReader implements BatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcBatchReader.class);

    private final JdbcOptions options;
    private final List<JdbcColumn> columns;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final Connection connection;
    private final Query query;
    private final List<Integer> units;
    private PreparedStatement statement;
    private ResultSet rows;
    private int nextUnit;
    private final int batchRows;
    private final long memoryBound;
    private long rowsRead;
    private long batches;
    private boolean exhausted;
    private boolean closed;

    /** The scan's SQL with its parameters; with units, the unit's number is the last parameter. */
    private record Query(String sql, List<Literal> parameters, List<ArrowType> parameterTypes) {}

    private JdbcBatchReader(JdbcOptions options, List<JdbcColumn> columns, BufferAllocator allocator,
            VectorSchemaRoot root, Connection connection, Query query, List<Integer> units, int batchRows,
            long memoryBound) {
        this.options = options;
        this.columns = columns;
        this.allocator = allocator;
        this.root = root;
        this.connection = connection;
        this.query = query;
        this.units = units;
        this.batchRows = batchRows;
        this.memoryBound = memoryBound;
    }

    static JdbcBatchReader open(JdbcBatchSource source, List<JdbcColumn> columns, ScanSpec spec,
            BufferAllocator parent) {
        JdbcOptions options = source.options();
        long bound = Math.min(parent.getLimit(), options.maxBatchBytes());
        BufferAllocator allocator = parent.newChildAllocator("jdbc-scan", 0, bound);
        VectorSchemaRoot root = null;
        Connection connection = null;
        JdbcBatchReader reader;
        try {
            root = VectorSchemaRoot.create(new Schema(columns.stream().map(c -> field(source, c)).toList()), allocator);
            connection = JdbcBatchSource.connect(options);
            String now = JdbcBatchSource.version(connection, options).fingerprint();
            if (!now.equals(source.fingerprint())) {
                throw new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED, options.what() + " at "
                        + options.target().display() + " changed since the source was opened (fingerprint "
                        + source.fingerprint() + ", now " + now + "); open the source again to serve the new version");
            }
            List<Literal> parameters = new ArrayList<>();
            List<ArrowType> parameterTypes = new ArrayList<>();
            String sql = select(source.fullSchema(), columns, spec, options, parameters, parameterTypes);
            reader = new JdbcBatchReader(options, columns, allocator, root, connection,
                    new Query(sql, List.copyOf(parameters), List.copyOf(parameterTypes)),
                    spec.units().orElse(List.of()), spec.batchRows(), bound);
        } catch (SQLException e) {
            release(root, null, connection, allocator);
            throw JdbcBatchSource.failure(options, "cannot be scanned", e);
        } catch (RuntimeException | Error e) {
            release(root, null, connection, allocator);
            throw e;
        }
        // From here the reader owns the connection, its statements and the buffers.
        if (spec.units().isEmpty()) {
            try {
                reader.execute(OptionalInt.empty());
            } catch (SQLException e) {
                reader.close();
                throw JdbcBatchSource.failure(options, "cannot be scanned", e, JdbcTimeouts.SOCKET_TIMEOUT);
            } catch (RuntimeException | Error e) {
                reader.close();
                throw e;
            }
        }
        return reader;
    }

    /** Runs the scan's query, for one unit when given; the cursor of the one before is closed. */
    private void execute(OptionalInt unit) throws SQLException {
        closeCursor();
        statement = connection.prepareStatement(query.sql(), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
        statement.setFetchSize(options.fetchSize());
        // Until the cursor starts answering; each later fetch is bound by the socket timeout (JdbcTimeouts).
        statement.setQueryTimeout(options.timeouts().socketSeconds());
        for (int i = 0; i < query.parameters().size(); i++) {
            bind(statement, i + 1, query.parameters().get(i), query.parameterTypes().get(i));
        }
        if (unit.isPresent()) {
            statement.setInt(query.parameters().size() + 1, unit.getAsInt());
        }
        LOG.debug("scan of {}{}: {}", options, unit.isPresent() ? " unit " + unit.getAsInt() : "", query.sql());
        rows = statement.executeQuery();
    }

    /** Moves to the next named unit; false when there is none (or the scan is not by unit). */
    private boolean nextUnit() throws SQLException {
        if (nextUnit >= units.size()) {
            return false;
        }
        execute(OptionalInt.of(units.get(nextUnit++)));
        return true;
    }

    private void closeCursor() throws SQLException {
        if (rows != null) {
            rows.close();
            rows = null;
        }
        if (statement != null) {
            statement.close();
            statement = null;
        }
    }

    private static Field field(JdbcBatchSource source, JdbcColumn column) {
        for (Field field : source.fullSchema().getFields()) {
            if (field.getName().equals(column.name())) {
                return field;
            }
        }
        throw new IllegalStateException("no field " + column.name());
    }

    /** {@code SELECT "a", "b" FROM (base) AS sluice_q [WHERE predicate [AND shard]]}. */
    private static String select(Schema schema, List<JdbcColumn> columns, ScanSpec spec, JdbcOptions options,
            List<Literal> parameters, List<ArrowType> parameterTypes) {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("sluice_q.").append(SqlText.quote(columns.get(i).name()));
        }
        sql.append(" FROM (").append(options.base()).append(") AS sluice_q");
        List<String> conditions = new ArrayList<>();
        spec.predicate().ifPresent(predicate -> {
            StringBuilder condition = new StringBuilder();
            where(predicate, schema, condition, parameters, parameterTypes);
            conditions.add(condition.toString());
        });
        if (spec.shards() > 1) {
            String column = "sluice_q." + SqlText.quote(options.shardColumn().orElseThrow());
            int n = spec.shards();
            String modulus = "MOD(MOD(CAST(" + column + " AS BIGINT), " + n + ") + " + n + ", " + n + ")";
            conditions.add(spec.shard() == 0 ? "(" + modulus + " = 0 OR " + column + " IS NULL)"
                    : modulus + " = " + spec.shard());
        }
        if (spec.units().isPresent()) {
            // One query per unit, its number bound last; ordered by the shard column so that a unit's
            // batches are the same on every scan (rows with equal values: the database's order).
            conditions.add(unitOf(options) + " = ?");
        }
        if (!conditions.isEmpty()) {
            sql.append(" WHERE ").append(String.join(" AND ", conditions));
        }
        if (spec.units().isPresent()) {
            sql.append(" ORDER BY sluice_q.").append(SqlText.quote(options.shardColumn().orElseThrow()));
        }
        return sql.toString();
    }

    /** The SQL for a row's unit: its shard column modulo {@link JdbcBatchSource#UNITS}, nulls in unit 0. */
    static String unitOf(JdbcOptions options) {
        String column = "sluice_q." + SqlText.quote(options.shardColumn().orElseThrow());
        int n = JdbcBatchSource.UNITS;
        return "COALESCE(MOD(MOD(CAST(" + column + " AS BIGINT), " + n + ") + " + n + ", " + n + "), 0)";
    }

    /** {@code SELECT unit, COUNT(*) FROM (base) AS sluice_q [WHERE predicate] GROUP BY unit}, for {@link JdbcBatchSource#units}. */
    static List<long[]> unitCounts(Connection connection, Schema schema, ScanSpec spec, JdbcOptions options)
            throws SQLException {
        List<Literal> parameters = new ArrayList<>();
        List<ArrowType> types = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ").append(unitOf(options)).append(" AS sluice_unit, COUNT(*) FROM (")
                .append(options.base()).append(") AS sluice_q");
        spec.predicate().ifPresent(predicate -> {
            sql.append(" WHERE ");
            where(predicate, schema, sql, parameters, types);
        });
        sql.append(" GROUP BY ").append(unitOf(options));
        List<long[]> counts = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
            statement.setQueryTimeout(options.timeouts().querySeconds());
            for (int i = 0; i < parameters.size(); i++) {
                bind(statement, i + 1, parameters.get(i), types.get(i));
            }
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    counts.add(new long[] {result.getLong(1), result.getLong(2)});
                }
            }
        }
        return counts;
    }

    private static void where(Predicate predicate, Schema schema, StringBuilder sql, List<Literal> parameters,
            List<ArrowType> types) {
        switch (predicate) {
            case Predicate.Comparison c -> {
                sql.append("sluice_q.").append(SqlText.quote(c.column())).append(' ')
                        .append(c.op() == Predicate.Operator.NE ? "<>" : c.op().symbol()).append(" ?");
                parameters.add(c.value());
                types.add(schema.findField(c.column()).getType());
            }
            case Predicate.In in -> {
                sql.append("sluice_q.").append(SqlText.quote(in.column())).append(" IN (");
                for (int i = 0; i < in.values().size(); i++) {
                    sql.append(i == 0 ? "?" : ", ?");
                    parameters.add(in.values().get(i));
                    types.add(schema.findField(in.column()).getType());
                }
                sql.append(')');
            }
            case Predicate.IsNull n -> sql.append("sluice_q.").append(SqlText.quote(n.column())).append(" IS NULL");
            case Predicate.IsNotNull n -> sql.append("sluice_q.").append(SqlText.quote(n.column())).append(" IS NOT NULL");
            case Predicate.And and -> join(and.terms(), " AND ", schema, sql, parameters, types);
            case Predicate.Or or -> join(or.terms(), " OR ", schema, sql, parameters, types);
            case Predicate.Not not -> {
                sql.append("NOT (");
                where(not.term(), schema, sql, parameters, types);
                sql.append(')');
            }
        }
    }

    private static void join(List<Predicate> terms, String operator, Schema schema, StringBuilder sql,
            List<Literal> parameters, List<ArrowType> types) {
        sql.append('(');
        for (int i = 0; i < terms.size(); i++) {
            if (i > 0) {
                sql.append(operator);
            }
            where(terms.get(i), schema, sql, parameters, types);
        }
        sql.append(')');
    }

    private static void bind(PreparedStatement statement, int index, Literal literal, ArrowType column)
            throws SQLException {
        boolean zoned = column instanceof ArrowType.Timestamp t && t.getTimezone() != null;
        switch (literal) {
            case Literal.Int64 l -> statement.setLong(index, l.value());
            case Literal.Float64 f -> statement.setDouble(index, f.value());
            case Literal.Decimal d -> statement.setBigDecimal(index, d.value());
            case Literal.Bool b -> statement.setBoolean(index, b.value());
            case Literal.Utf8 s -> statement.setString(index, s.value());
            case Literal.Date d -> {
                if (column instanceof ArrowType.Timestamp) {
                    LocalDateTime midnight = d.value().atStartOfDay();
                    statement.setObject(index, zoned ? midnight.atOffset(ZoneOffset.UTC) : midnight);
                } else {
                    statement.setObject(index, d.value());
                }
            }
            case Literal.Timestamp t -> statement.setObject(index, zoned
                    ? OffsetDateTime.ofInstant(t.value(), ZoneOffset.UTC)
                    : LocalDateTime.ofInstant(t.value(), ZoneOffset.UTC));
            case Literal.LocalTimestamp t -> statement.setObject(index, t.value());
        }
    }

    @Override
    public Schema schema() {
        return root.getSchema();
    }

    @Override
    public VectorSchemaRoot root() {
        return root;
    }

    @Override
    public ScanMetrics metrics() {
        return new ScanMetrics(rowsRead, batches, 0, 0, 0);
    }

    @Override
    public boolean loadNextBatch() {
        if (closed) {
            throw new IllegalStateException("scan of " + options.what() + " is closed");
        }
        if (exhausted) {
            return false;
        }
        boolean loaded = false;
        try {
            List<FieldVector> vectors = root.getFieldVectors();
            for (FieldVector vector : vectors) {
                vector.reset();
            }
            int count = 0;
            // A batch never spans units: it ends where its unit's rows do.
            while (count == 0 && (rows != null || nextUnit())) {
                while (count < batchRows && rows.next()) {
                    for (int c = 0; c < columns.size(); c++) {
                        columns.get(c).copy(rows, c + 1, vectors.get(c), count);
                    }
                    count++;
                }
                if (count < batchRows) {
                    if (units.isEmpty()) {
                        break;
                    }
                    closeCursor();
                }
            }
            for (FieldVector vector : vectors) {
                vector.setValueCount(count);
            }
            root.setRowCount(count);
            loaded = true;
            if (count == 0) {
                exhausted = true;
                return false;
            }
            rowsRead += count;
            batches++;
            return true;
        } catch (SQLException e) {
            throw JdbcBatchSource.failure(options, "failed mid-scan", e, JdbcTimeouts.SOCKET_TIMEOUT);
        } catch (ArithmeticException e) {
            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, options.what() + " at "
                    + options.target().display() + " holds a value its column type cannot hold (" + e.getMessage() + ")",
                    e);
        } catch (OutOfMemoryException | OversizedAllocationException e) {
            throw new ConnectorException(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED, "the scan of " + options.what()
                    + " needs more memory than its bound of " + memoryBound + " bytes (option maxBatchBytes or the"
                    + " broker's stream memory); read fewer rows per batch or raise the bound", e);
        } finally {
            if (!loaded) {
                close();
            }
        }
    }

    /** Rolls the transaction back and releases the cursor, the connection and every buffer. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (rows != null) {
                rows.close();
            }
        } catch (SQLException e) {
            LOG.debug("closing the cursor of {} failed", options, e);
        }
        release(root, statement, connection, allocator);
    }

    private static void release(VectorSchemaRoot root, PreparedStatement statement, Connection connection,
            BufferAllocator allocator) {
        try {
            if (statement != null) {
                statement.close();
            }
        } catch (SQLException e) {
            LOG.debug("closing a statement failed", e);
        }
        if (connection != null) {
            JdbcBatchSource.rollback(connection);
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing a connection failed", e);
            }
        }
        try {
            if (root != null) {
                root.close();
            }
        } finally {
            allocator.close();
        }
    }
}
