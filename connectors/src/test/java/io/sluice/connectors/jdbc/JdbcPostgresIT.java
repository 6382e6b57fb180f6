package io.sluice.connectors.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.SourceConfig;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JDBC source against a real PostgreSQL: {@code SLUICE_TEST_POSTGRES_URL} (a JDBC URL, e.g. from
 * {@code scripts/postgres-test-cluster.sh start DIR}); skipped without it.
 */
class JdbcPostgresIT {
    private static final String ENV = "SLUICE_TEST_POSTGRES_URL";
    private static final int ROWS = 3_000;
    private static String url;
    private static String host;

    @BeforeAll
    static void createTables() throws SQLException {
        url = System.getenv(ENV);
        if (url == null || url.isBlank()) {
            return; // every test is skipped, with the reason, by requirePostgres()
        }
        host = URI.create(url.substring("jdbc:".length())).getHost();
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("DROP VIEW IF EXISTS sluice_slow");
            statement.execute("DROP TABLE IF EXISTS sluice_patients, sluice_audit_probe");
            statement.execute("DROP FUNCTION IF EXISTS sluice_write()");
            // The owner's database decides what a view does: this one sleeps whenever it is read.
            statement.execute("CREATE VIEW sluice_slow AS SELECT 1::bigint AS v FROM pg_sleep(60)");
            statement.execute("""
                    CREATE TABLE sluice_patients (
                      id bigint PRIMARY KEY, small int2, n int4, r float4, d float8, amount numeric(12,2),
                      big numeric(50,3), ok bool, name text, code varchar(20), born date, at timestamp,
                      at_tz timestamptz, t time, bin bytea, uid uuid, updated bigint NOT NULL)
                    """);
            statement.execute("CREATE TABLE sluice_audit_probe (id int)");
            statement.execute("""
                    CREATE FUNCTION sluice_write() RETURNS int LANGUAGE plpgsql AS $$
                    BEGIN INSERT INTO sluice_audit_probe VALUES (1); RETURN 1; END $$
                    """);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO sluice_patients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::uuid, 1)")) {
                for (int i = 0; i < ROWS; i++) {
                    List<Object> row = row(i);
                    for (int c = 0; c < row.size(); c++) {
                        Object value = row.get(c);
                        if (value instanceof Instant instant) {
                            value = OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
                        } else if (c == 14 && value != null) {
                            value = HexFormat.of().parseHex((String) value);
                        }
                        insert.setObject(c + 1, value);
                    }
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    @BeforeEach
    void requirePostgres() {
        assumeTrue(url != null && !url.isBlank(), ENV + " is not set: PostgreSQL test skipped (start a cluster with"
                + " scripts/postgres-test-cluster.sh start DIR and export the URL it prints)");
    }

    @AfterAll
    static void dropTables() throws SQLException {
        if (url == null || url.isBlank()) {
            return;
        }
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            // A read of the sleeping view whose connection a socket timeout dropped still runs on the server and
            // would hold the view's lock for the rest of its minute: end it rather than wait for it.
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE pid <> pg_backend_pid() AND query LIKE '%sluice_slow%'");
            statement.execute("DROP VIEW IF EXISTS sluice_slow");
            statement.execute("DROP TABLE IF EXISTS sluice_patients, sluice_audit_probe");
            statement.execute("DROP FUNCTION IF EXISTS sluice_write()");
        }
    }

    static List<Object> row(int i) {
        return Arrays.asList(
                (long) i,
                i % 7 == 0 ? null : (short) (i - 1000),
                i % 5 == 0 ? null : i * 31,
                i / 4.0f,
                i % 9 == 0 ? null : -i / 3.0,
                new BigDecimal(i * 101L).movePointLeft(2),
                i % 3 == 0 ? null : new BigDecimal("123456789012345678901234567890123456789012").add(BigDecimal.valueOf(i))
                        .setScale(3),
                i % 4 == 0 ? null : i % 2 == 0,
                i % 6 == 0 ? null : "name " + i + " é\u00A0\uD83D\uDE00",
                "c" + i % 50,
                i % 10 == 0 ? null : LocalDate.of(1950, 1, 1).plusDays(i * 7L),
                LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(i * 3_601L).plusNanos(i % 1000 * 1000L),
                i % 11 == 0 ? null : Instant.parse("2024-06-01T00:00:00Z").plusSeconds(i * 60L).plusNanos(123_000),
                LocalTime.ofSecondOfDay(i * 17L % 86_400).plusNanos(5_000),
                i % 12 == 0 ? null : HexFormat.of().formatHex(new byte[] {(byte) i, (byte) (i >> 8), 0, 7}),
                i % 13 == 0 ? null : new java.util.UUID(i, -i).toString());
    }

    private static final List<String> COLUMNS = List.of("id", "small", "n", "r", "d", "amount", "big", "ok", "name",
            "code", "born", "at", "at_tz", "t", "bin", "uid");

    /** A cell as a Java value, in the forms {@link #row} and {@link JdbcH2Test#row} use. */
    static Object cell(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        return switch (vector) {
            case BigIntVector v -> v.get(row);
            case IntVector v -> v.get(row);
            case SmallIntVector v -> v.get(row);
            case TinyIntVector v -> v.get(row);
            case Float4Vector v -> v.get(row);
            case Float8Vector v -> v.get(row);
            case DecimalVector v -> v.getObject(row);
            case Decimal256Vector v -> v.getObject(row);
            case BitVector v -> v.get(row) == 1;
            case VarCharVector v -> new String(v.get(row), StandardCharsets.UTF_8);
            case DateDayVector v -> LocalDate.ofEpochDay(v.get(row));
            case TimeStampMicroTZVector v -> Instant.ofEpochSecond(0, v.get(row) * 1_000);
            case TimeStampMicroVector v -> LocalDateTime.ofEpochSecond(Math.floorDiv(v.get(row), 1_000_000L),
                    (int) Math.floorMod(v.get(row), 1_000_000L) * 1_000, ZoneOffset.UTC);
            case TimeMicroVector v -> LocalTime.ofNanoOfDay(v.get(row) * 1_000);
            case VarBinaryVector v -> HexFormat.of().formatHex(v.get(row));
            default -> throw new IllegalArgumentException(vector.getClass().getSimpleName());
        };
    }

    private static Map<String, String> options() {
        Map<String, String> options = new HashMap<>();
        options.put("url", url);
        options.put("table", "sluice_patients");
        options.put("versionColumn", "updated");
        options.put("fetchSize", "250");
        options.put("allowedHosts", host);
        return options;
    }

    private static BatchSource open(Map<String, String> options) {
        return Connectors.discover().open(SourceConfig.of("jdbc", options));
    }

    @Test
    void mapsPostgresTypesAndStreamsEveryValueExactly() {
        try (BatchSource source = open(options())) {
            assertThat(source.schema().getFields()).extracting(Field::getType).containsExactly(
                    new ArrowType.Int(64, true), new ArrowType.Int(16, true), new ArrowType.Int(32, true),
                    new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
                    new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), new ArrowType.Decimal(12, 2, 128),
                    new ArrowType.Decimal(50, 3, 256), ArrowType.Bool.INSTANCE, ArrowType.Utf8.INSTANCE,
                    ArrowType.Utf8.INSTANCE, new ArrowType.Date(DateUnit.DAY),
                    new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"),
                    new ArrowType.Time(TimeUnit.MICROSECOND, 64), ArrowType.Binary.INSTANCE, ArrowType.Utf8.INSTANCE,
                    new ArrowType.Int(64, true));
            assertThat(source.rowCount()).hasValue(ROWS);

            List<List<Object>> rows = JdbcH2Test.scan(source, new ScanSpec(COLUMNS, 700));
            rows.sort((a, b) -> Long.compare((Long) a.getFirst(), (Long) b.getFirst()));
            List<List<Object>> expected = new ArrayList<>();
            for (int i = 0; i < ROWS; i++) {
                expected.add(row(i));
            }
            assertThat(rows).isEqualTo(expected);
        }
    }

    @Test
    void unitsOfTheShardColumnTogetherHoldEveryRowOnceInAnyOrder() {
        Map<String, String> options = options();
        options.put("shardColumn", "id");
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(options)) {
            ScanSpec spec = new ScanSpec(List.of("id"), 20);
            List<io.sluice.connectors.ScanUnit> units = source.units(spec);
            assertThat(units).hasSize(JdbcBatchSource.UNITS);
            List<Integer> reversed = new ArrayList<>(units.stream().map(io.sluice.connectors.ScanUnit::index).toList());
            java.util.Collections.reverse(reversed);
            List<Long> ids = new ArrayList<>();
            long batches = 0;
            try (BatchReader reader = source.open(spec.withUnits(reversed), allocator)) {
                while (reader.loadNextBatch()) {
                    BigIntVector id = (BigIntVector) reader.root().getVector("id");
                    for (int i = 0; i < reader.root().getRowCount(); i++) {
                        ids.add(id.get(i));
                    }
                    batches++;
                }
            }
            assertThat(batches).isEqualTo(units.stream().mapToLong(io.sluice.connectors.ScanUnit::batches).sum());
            assertThat(ids).doesNotHaveDuplicates().hasSize(ROWS);
            // The last unit comes first, each unit in the order of the column.
            assertThat(ids.subList(0, 3)).isEqualTo(ids.stream().filter(v -> Math.floorMod(v, 64) == 63).limit(3).toList());
            assertThat(ids.subList(0, 3)).isSorted();
        }
    }

    @Test
    void streamsWithACursorInsteadOfLoadingTheWholeResult() {
        Map<String, String> options = options();
        options.remove("table");
        options.remove("versionColumn");
        // 27 billion rows, produced lazily by nested loops: without a cursor the driver would try to hold them all.
        options.put("query", "SELECT a.id AS n FROM sluice_patients a, sluice_patients b, sluice_patients c");
        options.put("snapshotQuery", "SELECT 1");
        options.put("fetchSize", "1000");
        long start = System.nanoTime();
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = open(options);
                BatchReader reader = source.open(new ScanSpec(List.of("n"), 500), allocator)) {
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(reader.root().getRowCount()).isEqualTo(500);
            assertThat(reader.metrics().rows()).isEqualTo(1_000);
        }
        assertThat((System.nanoTime() - start) / 1e9).as("seconds for the first batches").isLessThan(10);
    }

    @Test
    void aVersionQueryThatSleepsIsCancelledAfterTheQueryTimeout() {
        Map<String, String> options = options();
        options.remove("versionColumn");
        options.put("snapshotQuery", "SELECT * FROM sluice_slow");
        options.put("queryTimeout", "1");
        long start = System.nanoTime();

        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_TIMED_OUT))
                .hasMessageContaining("table sluice_patients at ")
                .hasMessageContaining(" cannot be read: the database did not answer within queryTimeout (1 s): ")
                .hasMessageContaining("canceling statement due to user request");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds until the refusal").isLessThan(10);
    }

    @Test
    void aCursorThatDoesNotStartWithinTheSocketTimeoutFailsTheScan() {
        Map<String, String> options = options();
        options.put("table", "sluice_slow");
        options.remove("versionColumn");
        options.put("snapshotQuery", "SELECT 1");
        options.put("queryTimeout", "1");
        options.put("socketTimeout", "1");
        // Describing the rows plans the view without running it; the stream's query runs it.
        try (BatchSource source = open(options); BufferAllocator allocator = new RootAllocator()) {
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("v")), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_TIMED_OUT))
                    .hasMessageContaining("cannot be scanned: the database did not answer within");
        }
    }

    @Test
    void theDatabaseRefusesWritesThatSlipPastTheTextCheck() throws SQLException {
        Map<String, String> options = options();
        options.remove("table");
        options.put("query", "SELECT sluice_write() AS written, 1::bigint AS updated");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.QUERY_NOT_ALLOWED))
                .hasMessageContaining("query tries to write, which a jdbc source may not: ")
                .hasMessageContaining("read-only transaction");
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM sluice_audit_probe")) {
            rows.next();
            assertThat(rows.getLong(1)).isZero();
        }
    }

    @Test
    void pushesPredicatesDownAndShardsByAColumn() {
        Map<String, String> options = options();
        options.put("shardColumn", "small");
        Set<Object> seen = new HashSet<>();
        int matching = 0;
        for (int i = 0; i < ROWS; i++) {
            if (i % 50 == 7 && i >= 1000) {
                matching++;
            }
        }
        try (BatchSource source = open(options)) {
            for (int shard = 0; shard < 4; shard++) {
                List<List<Object>> rows = JdbcH2Test.scan(source, ScanSpec.of(List.of("id", "code"))
                        .withPredicate(Predicate.and(Predicate.eq("code", Literal.of("c7")),
                                Predicate.ge("at", Literal.of(LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(1000 * 3_601L)))))
                        .withShard(shard, 4));
                for (List<Object> row : rows) {
                    assertThat(row.get(1)).isEqualTo("c7");
                    assertThat((Long) row.getFirst()).isGreaterThanOrEqualTo(1000L);
                    assertThat(seen.add(row.getFirst())).isTrue();
                }
            }
        }
        assertThat(seen).hasSize(matching);
    }

    @Test
    void aChangedTableRefusesToScan() throws SQLException {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(options())) {
            try (Connection connection = DriverManager.getConnection(url);
                    Statement statement = connection.createStatement()) {
                statement.executeUpdate("UPDATE sluice_patients SET updated = 2 WHERE id = 1");
            }
            try {
                assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("id")), allocator))
                        .isInstanceOfSatisfying(ConnectorException.class,
                                e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_CHANGED));
                assertThat(allocator.getAllocatedMemory()).isZero();
            } finally {
                try (Connection connection = DriverManager.getConnection(url);
                        Statement statement = connection.createStatement()) {
                    statement.executeUpdate("UPDATE sluice_patients SET updated = 1 WHERE id = 1");
                }
            }
        }
    }

    @Test
    void refusesAHostTheBrokerDoesNotAllow() {
        Map<String, String> options = options();
        options.put("allowedHosts", "db.example.org");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.HOST_NOT_ALLOWED))
                .hasMessageContaining("names host '" + host + "', which this broker does not allow for jdbc sources");
    }

    @Test
    void refusesAnUnconstrainedNumericNamingTheColumn() {
        Map<String, String> options = options();
        options.remove("table");
        options.put("query", "SELECT id, amount::numeric AS loose, updated FROM sluice_patients");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNSUPPORTED_TYPE))
                .hasMessage("query has columns of types not supported: loose (numeric without a declared precision);"
                        + " cast them in a query (e.g. CAST(x AS numeric(18, 4)), CAST(x AS text))");
    }
}
