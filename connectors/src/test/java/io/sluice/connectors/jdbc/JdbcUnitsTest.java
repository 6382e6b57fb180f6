package io.sluice.connectors.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import io.sluice.connectors.SourceConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A table with a shard column as {@link JdbcBatchSource#UNITS} buckets: counted, read alone, in any order. */
class JdbcUnitsTest {
    private String url;
    private Connection keepAlive;

    @BeforeEach
    void createTable() throws Exception {
        url = "jdbc:h2:mem:units_" + UUID.randomUUID().toString().replace("-", "");
        keepAlive = DriverManager.getConnection(url, "sa", "");
        try (Statement statement = keepAlive.createStatement()) {
            // ids 1..1000 and one null id; v is 1 for every row (the version column).
            statement.execute("CREATE TABLE visits (id BIGINT, age INT, v INT)");
            statement.execute("INSERT INTO visits SELECT X, MOD(X, 90), 1 FROM SYSTEM_RANGE(1, 1000)");
            statement.execute("INSERT INTO visits VALUES (NULL, 50, 1)");
        }
    }

    @AfterEach
    void dropTable() throws Exception {
        keepAlive.close();
    }

    private BatchSource open(boolean withShardColumn) {
        Map<String, String> options = new HashMap<>();
        options.put("url", url);
        options.put("table", "VISITS");
        options.put("user", "sa");
        options.put("versionColumn", "V");
        options.put("allowedHosts", "h2:mem");
        if (withShardColumn) {
            options.put("shardColumn", "ID");
        }
        return Connectors.discover().open(SourceConfig.of("jdbc", options));
    }

    @Test
    void bucketsTheShardColumnWithNullsInUnitZero() {
        try (BatchSource source = open(true)) {
            List<ScanUnit> units = source.units(new ScanSpec(List.of("ID"), 4));
            assertThat(units).hasSize(JdbcBatchSource.UNITS);
            // 1000 ids: buckets 1..40 hold 16 ids, the others 15; bucket 0 also the null.
            assertThat(units.getFirst()).isEqualTo(new ScanUnit(0, 16, 4));
            assertThat(units.get(1)).isEqualTo(new ScanUnit(1, 16, 4));
            assertThat(units.get(63)).isEqualTo(new ScanUnit(63, 15, 4));
            assertThat(units.stream().mapToLong(ScanUnit::rows).sum()).isEqualTo(1001);
        }
    }

    @Test
    void countsUnitsUnderThePredicateAndLeavesOutEmptyOnes() {
        try (BatchSource source = open(true)) {
            ScanSpec spec = new ScanSpec(List.of("ID"), 100)
                    .withPredicate(new Predicate.Comparison("ID", Predicate.Operator.LE, new Literal.Int64(10)));
            assertThat(source.units(spec)).extracting(ScanUnit::index).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        }
    }

    @Test
    void readsNamedUnitsInTheGivenOrderEachInOrderOfTheShardColumn() {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(true)) {
            List<List<Long>> batches = read(source, new ScanSpec(List.of("ID"), 10).withUnits(List.of(5, 0)), allocator);
            assertThat(batches).hasSize(2 + 2);
            assertThat(batches.get(0)).containsExactly(5L, 69L, 133L, 197L, 261L, 325L, 389L, 453L, 517L, 581L);
            assertThat(batches.get(1)).containsExactly(645L, 709L, 773L, 837L, 901L, 965L);
            // Unit 0: the null (first in H2's order) and 64, 128, ..., 960.
            List<Long> unitZero = new ArrayList<>(batches.get(2));
            unitZero.addAll(batches.get(3));
            List<Long> expected = new ArrayList<>();
            expected.add(null);
            for (long id = 64; id <= 960; id += 64) {
                expected.add(id);
            }
            assertThat(batches.get(2)).hasSize(10);
            assertThat(unitZero).isEqualTo(expected);
        }
    }

    @Test
    void withoutAShardColumnThereAreNoUnits() {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(false)) {
            assertThat(source.units(ScanSpec.of(List.of("ID")))).isEmpty();
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("ID")).withUnits(List.of(0)), allocator))
                    .isInstanceOf(ConnectorException.class)
                    .hasMessageContaining("cannot be read in units without the option 'shardColumn'");
        }
    }

    private static List<List<Long>> read(BatchSource source, ScanSpec spec, BufferAllocator allocator) {
        List<List<Long>> batches = new ArrayList<>();
        try (BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                BigIntVector ids = (BigIntVector) reader.root().getVector("ID");
                List<Long> batch = new ArrayList<>();
                for (int i = 0; i < reader.root().getRowCount(); i++) {
                    batch.add(ids.isNull(i) ? null : ids.get(i));
                }
                batches.add(batch);
            }
        }
        return batches;
    }
}
