package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanMetrics;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Statistics skipping (row groups left out, results still exactly the matching rows plus the rest
 * of the kept row groups) and shards (disjoint, complete, deterministic).
 */
class ParquetPushdownAndShardTest {
    private static final int ROWS = 1_000;
    private static final int GROUP = 100;
    /** Sorted ids, so every row group has a narrow id range; a text, a date, a timestamp, a decimal. */
    private static final MessageType EVENTS = MessageTypeParser.parseMessageType("""
            message events {
              required int64 id;
              optional binary code (STRING);
              optional int32 day (DATE);
              optional int64 at (TIMESTAMP(MICROS,true));
              optional int64 amount (DECIMAL(12,2));
              optional int32 rare;
              optional double score;
            }
            """);

    @TempDir
    Path dir;
    private Path file;

    @BeforeEach
    void write() throws IOException {
        file = dir.resolve("events.parquet");
        ParquetTestFiles.write(file, EVENTS, ROWS, Layout.of(CompressionCodecName.SNAPPY, true, GROUP),
                (column, row) -> switch (column) {
                    case "id" -> (long) row;
                    case "code" -> "c" + (char) ('a' + row / GROUP); // one code per row group: ca, cb, ...
                    case "day" -> 19_000 + row / 10;
                    case "at" -> 1_700_000_000_000_000L + row * 1_000_000L;
                    case "amount" -> row * 150L;
                    case "rare" -> row / GROUP == 3 && row % 2 == 0 ? row : null; // only row group 3 has values
                    case "score" -> row / 3.0;
                    default -> throw new IllegalArgumentException(column);
                });
    }

    private record Scan(List<Long> ids, ScanMetrics metrics) {}

    private Scan scan(ScanSpec spec) {
        List<Long> ids = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                ParquetTestFiles.rows(reader.root()).forEach(row -> ids.add((Long) row.getFirst()));
            }
            return new Scan(ids, reader.metrics());
        }
    }

    /** The ids of the row groups in which some row satisfies {@code matches}, in order. */
    private static List<Long> idsOfGroupsWhere(LongPredicate matches) {
        List<Long> ids = new ArrayList<>();
        for (long start = 0; start < ROWS; start += GROUP) {
            boolean any = false;
            for (long id = start; id < start + GROUP; id++) {
                any |= matches.test(id);
            }
            if (any) {
                for (long id = start; id < start + GROUP; id++) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    private void assertSkips(Predicate predicate, LongPredicate matches, int skippedGroups) {
        Scan scan = scan(ScanSpec.of(List.of("id")).withPredicate(predicate));

        assertThat(scan.metrics().rowGroupsSkipped()).as("row groups skipped for %s", predicate.describe())
                .isEqualTo(skippedGroups);
        assertThat(scan.metrics().rowGroupsScanned()).isEqualTo(ROWS / GROUP - skippedGroups);
        assertThat(scan.ids()).isEqualTo(idsOfGroupsWhere(matches));
        List<Long> matching = scan.ids().stream().filter(matches::test).toList();
        List<Long> all = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            if (matches.test(id)) {
                all.add(id);
            }
        }
        assertThat(matching).as("every matching row is returned").isEqualTo(all);
    }

    @Test
    void skipsRowGroupsWhoseIdRangeCannotMatch() {
        assertSkips(Predicate.ge("id", Literal.of(750L)), id -> id >= 750, 7);
        assertSkips(Predicate.lt("id", Literal.of(100L)), id -> id < 100, 9);
        assertSkips(Predicate.eq("id", Literal.of(432L)), id -> id == 432, 9);
        assertSkips(Predicate.in("id", List.of(Literal.of(5L), Literal.of(999L))), id -> id == 5 || id == 999, 8);
        assertSkips(Predicate.gt("id", Literal.of(1.5e6)), id -> id > 1.5e6, 10);
    }

    @Test
    void combinesAndOrAndNot() {
        assertSkips(Predicate.and(Predicate.ge("id", Literal.of(200L)), Predicate.lt("id", Literal.of(400L))),
                id -> id >= 200 && id < 400, 8);
        assertSkips(Predicate.or(Predicate.lt("id", Literal.of(100L)), Predicate.ge("id", Literal.of(900L))),
                id -> id < 100 || id >= 900, 8);
        assertSkips(Predicate.not(Predicate.lt("id", Literal.of(800L))), id -> id >= 800, 8);
        assertSkips(Predicate.not(Predicate.or(Predicate.lt("id", Literal.of(300L)), Predicate.gt("id", Literal.of(399L)))),
                id -> id >= 300 && id <= 399, 9);
    }

    @Test
    void skipsOnStringsDatesTimestampsAndDecimals() {
        assertSkips(Predicate.eq("code", Literal.of("cc")), id -> id / GROUP == 2, 9);
        assertSkips(Predicate.ge("day", Literal.of(LocalDate.ofEpochDay(19_090))), id -> 19_000 + id / 10 >= 19_090, 9);
        assertSkips(Predicate.lt("at", Literal.of(Instant.ofEpochSecond(1_700_000_000L + 150))), id -> id < 150, 8);
        assertSkips(Predicate.gt("amount", Literal.of(new BigDecimal("1348.49"))), id -> id * 1.5 > 1348.49, 8);
    }

    @Test
    void skipsOnNullCounts() {
        assertSkips(Predicate.isNotNull("rare"), id -> id / GROUP == 3 && id % 2 == 0, 9);
        assertSkips(Predicate.eq("rare", Literal.of(302L)), id -> id == 302, 9);
        assertSkips(Predicate.isNull("rare"), id -> !(id / GROUP == 3 && id % 2 == 0), 0);
        assertSkips(Predicate.isNull("id"), id -> false, 10);
    }

    @Test
    void neverSkipsOnFloatingPointColumns() {
        Scan scan = scan(ScanSpec.of(List.of("id")).withPredicate(Predicate.gt("score", Literal.of(1e9))));

        assertThat(scan.metrics().rowGroupsSkipped()).isZero();
        assertThat(scan.ids()).hasSize(ROWS);
    }

    @Test
    void refusesAPredicateThatComparesAColumnWithALiteralOfAnotherType() {
        assertThatThrownBy(() -> scan(ScanSpec.of(List.of("id")).withPredicate(Predicate.eq("code", Literal.of(5L)))))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_PREDICATE))
                .hasMessage("the predicate compares column 'code' of type Utf8 with a int64 literal");
        assertThatThrownBy(() -> scan(ScanSpec.of(List.of("id")).withPredicate(Predicate.isNull("nope"))))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNKNOWN_COLUMN))
                .hasMessage("the predicate names unknown column 'nope' of events.parquet; available columns: [id, code,"
                        + " day, at, amount, rare, score]");
    }

    @Test
    void skipsWholeFilesByTheirPartitionValues() throws IOException {
        Path data = dir.resolve("data");
        ParquetDirectoryTest.writeVisits(data.resolve("year=2023/part.parquet"), 0, 50);
        ParquetDirectoryTest.writeVisits(data.resolve("year=2024/part.parquet"), 50, 50);
        ParquetDirectoryTest.writeVisits(data.resolve("year=2025/part.parquet"), 100, 50);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(data);
                BatchReader reader = source.open(ScanSpec.of(List.of("id", "year"))
                        .withPredicate(Predicate.eq("year", Literal.of(2024L))), allocator)) {
            List<List<Object>> rows = new ArrayList<>();
            while (reader.loadNextBatch()) {
                rows.addAll(ParquetTestFiles.rows(reader.root()));
            }
            assertThat(rows).hasSize(50).allSatisfy(row -> assertThat(row.get(1)).isEqualTo(2024L));
            assertThat(reader.metrics().rowGroupsSkipped()).isEqualTo(source.rowGroupCount() - reader.metrics()
                    .rowGroupsScanned()).isPositive();
        }
    }

    @ParameterizedTest(name = "{0} shards")
    @ValueSource(ints = {1, 2, 3, 4, 7, 10, 13})
    void shardsAreDisjointCompleteAndDeterministic(int shards) {
        List<Long> all = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int shard = 0; shard < shards; shard++) {
            ScanSpec spec = new ScanSpec(List.of("id"), 64).withShard(shard, shards);
            List<Long> ids = scan(spec).ids();
            assertThat(scan(spec).ids()).as("the same shard twice").isEqualTo(ids);
            for (Long id : ids) {
                assertThat(seen.add(id)).as("id %d in one shard only", id).isTrue();
            }
            all.addAll(ids);
            if (shards <= ROWS / GROUP) {
                assertThat(ids).as("shard %d of %d gets whole row groups", shard, shards).isNotEmpty();
            }
        }
        assertThat(all).hasSize(ROWS);
        assertThat(new HashSet<>(all)).hasSize(ROWS);
    }

    @Test
    void shardsSpreadRowGroupsOfADirectoryByRows() throws IOException {
        Path data = dir.resolve("data");
        for (int f = 0; f < 4; f++) {
            ParquetDirectoryTest.writeVisits(data.resolve("part-" + f + ".parquet"), f * 100L, 100);
        }
        Set<Object> seen = new HashSet<>();
        int total = 0;
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(data)) {
            assertThat(source.rowGroupCount()).isEqualTo(12); // 40 + 40 + 20 rows per file
            for (int shard = 0; shard < 3; shard++) {
                int rows = 0;
                try (BatchReader reader = source.open(ScanSpec.of(List.of("id")).withShard(shard, 3), allocator)) {
                    while (reader.loadNextBatch()) {
                        for (List<Object> row : ParquetTestFiles.rows(reader.root())) {
                            assertThat(seen.add(row.getFirst())).isTrue();
                            rows++;
                        }
                    }
                }
                assertThat(rows).as("shard %d", shard).isBetween(100, 160);
                total += rows;
            }
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
        assertThat(total).isEqualTo(400);
    }
}
