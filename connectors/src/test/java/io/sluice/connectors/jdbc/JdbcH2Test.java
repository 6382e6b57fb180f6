package io.sluice.connectors.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
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
import java.util.UUID;
import java.util.function.IntPredicate;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JDBC source against an in-memory H2 database (the same code path as PostgreSQL, minus its read-only guard). */
class JdbcH2Test {
    static final int ROWS = 2_500;

    private String url;
    private Connection setup;

    @BeforeEach
    void createDatabase() throws SQLException {
        url = "jdbc:h2:mem:sluice_" + UUID.randomUUID().toString().replace("-", "");
        setup = DriverManager.getConnection(url + ";DB_CLOSE_DELAY=-1", "sa", "s3cret-pw");
        try (Statement statement = setup.createStatement()) {
            statement.execute("""
                    CREATE TABLE patients (
                      "id" BIGINT PRIMARY KEY, "small" SMALLINT, "tiny" TINYINT, "n" INTEGER, "r" REAL,
                      "d" DOUBLE PRECISION, "amount" DECIMAL(12, 2), "big" DECIMAL(50, 3), "ok" BOOLEAN,
                      "name" VARCHAR(50), "note" CLOB, "born" DATE, "at" TIMESTAMP, "at_tz" TIMESTAMP WITH TIME ZONE,
                      "t" TIME, "bin" VARBINARY(16), "updated" BIGINT NOT NULL)
                    """);
        }
        try (PreparedStatement insert = setup.prepareStatement(
                "INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < ROWS; i++) {
                List<Object> row = row(i);
                for (int c = 0; c < row.size(); c++) {
                    Object value = row.get(c);
                    insert.setObject(c + 1, value instanceof Instant instant
                            ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC)
                            : value instanceof String hex && c == 15 ? HexFormat.of().parseHex(hex) : value);
                }
                insert.setLong(17, 1);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    @AfterEach
    void dropDatabase() throws SQLException {
        try (Statement statement = setup.createStatement()) {
            statement.execute("SHUTDOWN");
        }
        setup.close();
    }

    /** The values of row {@code i} as the scan returns them (with {@link JdbcPostgresIT#cell}). */
    static List<Object> row(int i) {
        return Arrays.asList(
                (long) i,
                i % 7 == 0 ? null : (short) (i - 1000),
                (byte) (i % 100),
                i % 5 == 0 ? null : i * 31,
                i / 4.0f,
                i % 9 == 0 ? null : -i / 3.0,
                new BigDecimal(i * 101L).movePointLeft(2),
                i % 3 == 0 ? null : new BigDecimal("123456789012345678901234567890123456789012").add(BigDecimal.valueOf(i))
                        .setScale(3),
                i % 4 == 0 ? null : i % 2 == 0,
                i % 6 == 0 ? null : "name " + i + " é",
                i % 8 == 0 ? null : "note ".repeat(i % 5) + i,
                i % 10 == 0 ? null : LocalDate.of(1950, 1, 1).plusDays(i * 7L),
                LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(i * 3_601L).plusNanos(i % 1000 * 1000L),
                i % 11 == 0 ? null : Instant.parse("2024-06-01T00:00:00Z").plusSeconds(i * 60L),
                LocalTime.ofSecondOfDay(i * 17L % 86_400),
                i % 12 == 0 ? null : HexFormat.of().formatHex(new byte[] {(byte) i, (byte) (i >> 8), 7}));
    }

    static final List<String> COLUMNS = List.of("id", "small", "tiny", "n", "r", "d", "amount", "big", "ok", "name",
            "note", "born", "at", "at_tz", "t", "bin");

    private Map<String, String> options() {
        Map<String, String> options = new HashMap<>();
        options.put("url", url);
        options.put("table", "patients");
        options.put("user", "sa");
        options.put("password", "s3cret-pw");
        options.put("versionColumn", "updated");
        options.put("fetchSize", "100");
        options.put("allowedHosts", "h2:mem");
        return options;
    }

    private static BatchSource open(Map<String, String> options) {
        return Connectors.discover().open(SourceConfig.of("jdbc", options));
    }

    static List<List<Object>> scan(BatchSource source, ScanSpec spec) {
        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            try (BatchReader reader = source.open(spec, allocator)) {
                while (reader.loadNextBatch()) {
                    assertThat(reader.root().getRowCount()).isLessThanOrEqualTo(spec.batchRows());
                    for (int r = 0; r < reader.root().getRowCount(); r++) {
                        List<Object> cells = new ArrayList<>();
                        for (var vector : reader.root().getFieldVectors()) {
                            cells.add(JdbcPostgresIT.cell(vector, r));
                        }
                        rows.add(cells);
                    }
                }
            }
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
        return rows;
    }

    @Test
    void mapsEveryColumnTypeAndReadsEveryValueExactly() {
        try (BatchSource source = open(options())) {
            assertThat(source.schema().getFields()).extracting(Field::getType).containsExactly(
                    new ArrowType.Int(64, true), new ArrowType.Int(16, true), new ArrowType.Int(8, true),
                    new ArrowType.Int(32, true), new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
                    new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), new ArrowType.Decimal(12, 2, 128),
                    new ArrowType.Decimal(50, 3, 256), ArrowType.Bool.INSTANCE, ArrowType.Utf8.INSTANCE,
                    ArrowType.Utf8.INSTANCE, new ArrowType.Date(DateUnit.DAY),
                    new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"),
                    new ArrowType.Time(TimeUnit.MICROSECOND, 64), ArrowType.Binary.INSTANCE, new ArrowType.Int(64, true));
            assertThat(source.rowCount()).hasValue(ROWS);

            List<List<Object>> rows = scan(source, new ScanSpec(COLUMNS, 1_000));
            List<List<Object>> expected = new ArrayList<>();
            for (int i = 0; i < ROWS; i++) {
                expected.add(row(i));
            }
            assertThat(rows).isEqualTo(expected);
        }
    }

    @Test
    void readsAQueryWithTheColumnsInTheAskedOrder() {
        Map<String, String> options = options();
        options.remove("table");
        options.remove("versionColumn");
        options.put("snapshotQuery", "SELECT MAX(\"updated\") FROM patients");
        options.put("query", "WITH young AS (SELECT \"id\", \"name\", \"born\" FROM patients WHERE \"id\" < 20)"
                + " SELECT * FROM young ORDER BY \"id\"");
        try (BatchSource source = open(options)) {
            List<List<Object>> rows = scan(source, new ScanSpec(List.of("name", "id"), 7));
            assertThat(rows).hasSize(20);
            assertThat(rows.get(13)).isEqualTo(Arrays.asList("name 13 é", 13L));
            assertThat(rows.get(12)).isEqualTo(Arrays.asList(null, 12L));
        }
    }

    @Test
    void pushesThePredicateDownAsAWhereClauseAndReturnsExactlyTheMatchingRows() {
        assertFilters(Predicate.and(Predicate.ge("id", Literal.of(100L)), Predicate.lt("amount", Literal.of(new BigDecimal("200.00")))),
                i -> i >= 100 && i * 1.01 < 200);
        assertFilters(Predicate.or(Predicate.isNull("n"), Predicate.in("tiny", List.of(Literal.of(3L), Literal.of(4L)))),
                i -> i % 5 == 0 || i % 100 == 3 || i % 100 == 4);
        assertFilters(Predicate.not(Predicate.eq("ok", Literal.of(true))), i -> i % 4 != 0 && i % 2 != 0);
        assertFilters(Predicate.gt("born", Literal.of(LocalDate.of(1990, 1, 1))),
                i -> i % 10 != 0 && LocalDate.of(1950, 1, 1).plusDays(i * 7L).isAfter(LocalDate.of(1990, 1, 1)));
        assertFilters(Predicate.lt("at_tz", Literal.of(Instant.parse("2024-06-01T01:00:00Z"))), i -> i % 11 != 0 && i < 60);
        assertFilters(Predicate.eq("name", Literal.of("name 5 é")), i -> i == 5);
    }

    private void assertFilters(Predicate predicate, IntPredicate matches) {
        try (BatchSource source = open(options())) {
            assertThat(source.filtersExactly()).isTrue();
            List<List<Object>> rows = scan(source, ScanSpec.of(List.of("id")).withPredicate(predicate));
            List<List<Object>> expected = new ArrayList<>();
            for (int i = 0; i < ROWS; i++) {
                if (matches.test(i)) {
                    expected.add(List.of((long) i));
                }
            }
            assertThat(rows).as(predicate.describe()).containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    @Test
    void shardsByTheShardColumnDisjointAndComplete() {
        Map<String, String> options = options();
        options.put("shardColumn", "small");
        Set<Object> seen = new HashSet<>();
        try (BatchSource source = open(options)) {
            for (int shard = 0; shard < 3; shard++) {
                List<List<Object>> rows = scan(source, ScanSpec.of(List.of("id")).withShard(shard, 3));
                assertThat(rows).hasSizeGreaterThan(ROWS / 4);
                rows.forEach(row -> assertThat(seen.add(row.getFirst())).isTrue());
            }
        }
        assertThat(seen).hasSize(ROWS);
    }

    @Test
    void refusesShardsWithoutAShardColumn() {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(options())) {
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("id")).withShard(1, 2), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                    .hasMessage("source type 'jdbc': table patients cannot be read in 2 shards without the option"
                            + " 'shardColumn'");
        }
    }

    @Test
    void fingerprintFollowsTheVersionColumnAndAChangedSourceRefusesToScan() throws SQLException {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(options())) {
            String before = source.fingerprint();
            try (BatchSource again = open(options())) {
                assertThat(again.fingerprint()).isEqualTo(before).matches("[0-9a-f]{64}");
            }
            try (Statement statement = setup.createStatement()) {
                statement.executeUpdate("UPDATE patients SET \"name\" = 'changed', \"updated\" = 2 WHERE \"id\" = 7");
            }
            try (BatchSource after = open(options())) {
                assertThat(after.fingerprint()).isNotEqualTo(before);
            }
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("id")), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_CHANGED))
                    .hasMessageStartingWith("table patients at " + url + " changed since the source was opened (fingerprint "
                            + before + ", now ");
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void fingerprintsWithASnapshotQuery() throws SQLException {
        Map<String, String> options = options();
        options.remove("versionColumn");
        options.put("snapshotQuery", "SELECT COUNT(*), SUM(\"amount\") FROM patients");
        String before;
        try (BatchSource source = open(options)) {
            before = source.fingerprint();
            assertThat(source.rowCount()).isEmpty();
        }
        try (Statement statement = setup.createStatement()) {
            statement.executeUpdate("DELETE FROM patients WHERE \"id\" = 3");
        }
        try (BatchSource source = open(options)) {
            assertThat(source.fingerprint()).isNotEqualTo(before);
        }
    }

    @Test
    void neverShowsThePasswordInMessagesOrToString() {
        Map<String, String> options = options();
        options.put("password", "wrong-s3cret");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG);
                    assertThat(e.getMessage()).startsWith(url + " refused the credentials: ").doesNotContain("wrong-s3cret");
                    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                        assertThat(cause.getMessage()).doesNotContain("wrong-s3cret");
                    }
                });

        Map<String, String> inUrl = options();
        inUrl.remove("password");
        inUrl.put("url", url + ";PASSWORD=s3cret-pw");
        try (BatchSource source = open(inUrl)) {
            assertThat(source.toString()).doesNotContain("s3cret-pw").contains(";PASSWORD=***");
        }
        try (BatchSource source = open(options())) {
            assertThat(source.toString()).doesNotContain("s3cret-pw");
        }
    }

    @Test
    void namesAnUnknownVersionColumnAndUnsupportedColumnTypes() throws SQLException {
        Map<String, String> options = options();
        options.put("versionColumn", "upd");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessageStartingWith("source type 'jdbc': option 'versionColumn' names column 'upd' but table"
                        + " patients has columns [id, small, tiny,");

        try (Statement statement = setup.createStatement()) {
            statement.execute("CREATE TABLE odd (id BIGINT, tags INTEGER ARRAY, span INTERVAL DAY, v BIGINT)");
        }
        Map<String, String> odd = options();
        odd.put("table", "odd");
        odd.put("versionColumn", "V");
        assertThatThrownBy(() -> open(odd))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNSUPPORTED_TYPE))
                .hasMessage("table odd has columns of types not supported: TAGS (INTEGER ARRAY), SPAN (INTERVAL DAY);"
                        + " cast them in a query (e.g. CAST(x AS numeric(18, 4)), CAST(x AS text))");
    }

    @Test
    void refusesAWritingQueryBeforeConnecting() {
        Map<String, String> options = options();
        options.remove("table");
        options.put("query", "DELETE FROM patients");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.QUERY_NOT_ALLOWED));
    }

    @Test
    void refusesAnInMemoryDatabaseUnlessAllowed() {
        Map<String, String> options = options();
        options.put("allowedHosts", "db.example.org");
        assertThatThrownBy(() -> open(options))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.HOST_NOT_ALLOWED));
    }
}
