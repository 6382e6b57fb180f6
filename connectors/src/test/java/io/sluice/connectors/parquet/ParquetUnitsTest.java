package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Row groups over all files as units: listed with exact batch counts, read alone and in any order. */
class ParquetUnitsTest {
    @TempDir
    Path dir;

    /** Two files of 40-row row groups: ids 0..99 (3 groups) and 100..179 (2 groups). */
    private Path twoFiles() throws Exception {
        Path visits = dir.resolve("visits");
        ParquetDirectoryTest.writeVisits(visits.resolve("a.parquet"), 0, 100);
        ParquetDirectoryTest.writeVisits(visits.resolve("b.parquet"), 100, 80);
        return visits;
    }

    @Test
    void listsEveryRowGroupOfEveryFileWithItsRowsAndBatches() throws Exception {
        try (BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", twoFiles()))) {
            assertThat(source.units(new ScanSpec(List.of("id"), 16))).containsExactly(
                    new ScanUnit(0, 40, 3), new ScanUnit(1, 40, 3), new ScanUnit(2, 20, 2),
                    new ScanUnit(3, 40, 3), new ScanUnit(4, 40, 3));
        }
    }

    @Test
    void readsNamedUnitsInTheGivenOrderEachInItsOwnBatches() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", twoFiles()))) {
            ScanSpec spec = new ScanSpec(List.of("id"), 16);
            List<List<Long>> batches = read(source, spec.withUnits(List.of(3, 0, 2)), allocator);
            assertThat(batches).hasSize(3 + 3 + 2);
            assertThat(batches.getFirst()).startsWith(100L).hasSize(16);
            assertThat(batches.get(2)).containsExactly(132L, 133L, 134L, 135L, 136L, 137L, 138L, 139L);
            assertThat(batches.get(3)).startsWith(0L);
            assertThat(batches.get(6)).startsWith(80L).hasSize(16);
            assertThat(batches.get(7)).endsWith(99L).hasSize(4);
            assertThat(read(source, spec.withUnits(List.of()), allocator)).isEmpty();
        }
    }

    @Test
    void leavesOutUnitsThePredicateRulesOutButReadsNamedOnesWhole() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", twoFiles()))) {
            ScanSpec spec = new ScanSpec(List.of("id"), 64)
                    .withPredicate(new Predicate.Comparison("id", Predicate.Operator.GE, new Literal.Int64(130)));
            assertThat(source.units(spec).stream().map(ScanUnit::index)).containsExactly(3, 4);
            // The caller filters rows itself: a named unit comes whole, all 40 rows.
            assertThat(read(source, spec.withUnits(List.of(3)), allocator).getFirst()).hasSize(40);
        }
    }

    @Test
    void refusesAUnitThatDoesNotExist() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", twoFiles()))) {
            assertThatThrownBy(() -> source.open(new ScanSpec(List.of("id"), 16).withUnits(List.of(5)), allocator))
                    .isInstanceOf(ConnectorException.class)
                    .hasMessage("unit 5 of visits does not exist: it has 5 row groups");
        }
    }

    static List<List<Long>> read(BatchSource source, ScanSpec spec, BufferAllocator allocator) {
        List<List<Long>> batches = new ArrayList<>();
        try (BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                BigIntVector ids = (BigIntVector) reader.root().getVector("id");
                List<Long> batch = new ArrayList<>();
                for (int i = 0; i < reader.root().getRowCount(); i++) {
                    batch.add(ids.get(i));
                }
                batches.add(batch);
            }
        }
        return batches;
    }
}
