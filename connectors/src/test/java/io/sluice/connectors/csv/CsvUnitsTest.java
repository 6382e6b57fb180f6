package io.sluice.connectors.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blocks of records as units: found once at record boundaries (quoted line breaks too), read alone and in any order. */
class CsvUnitsTest {
    private static final int BLOCK = CsvBatchSource.SHARD_BLOCK_RECORDS;
    private static final int RECORDS = 2 * BLOCK + 7_232;

    @TempDir
    Path dir;

    /** A header, then ids 0..RECORDS-1; every 1000th note holds a quoted line break; id 20,000 is malformed. */
    private Path visits() throws Exception {
        StringBuilder csv = new StringBuilder("id,note\r\n");
        for (int i = 0; i < RECORDS; i++) {
            if (i == 20_000) {
                csv.append("20000,a,too-many\n");
            } else if (i % 1000 == 0) {
                csv.append(i).append(",\"line one\nline two, ").append(i).append("\"\n");
            } else {
                csv.append(i).append(",n").append(i).append('\n');
            }
        }
        Path file = dir.resolve("visits.csv");
        Files.writeString(file, csv);
        return file;
    }

    private BatchSource open(Path file, String onError) {
        return Connectors.discover().open(SourceConfig.ofFile("csv", file,
                Map.of("header", "true", "types", "id:int64,note:utf8", "onError", onError)));
    }

    @Test
    void listsBlocksOfRecordsAsUnits() throws Exception {
        try (BatchSource source = open(visits(), "skip")) {
            assertThat(source.units(new ScanSpec(List.of("id"), 10_000))).containsExactly(
                    new ScanUnit(0, BLOCK, 2), new ScanUnit(1, BLOCK, 2), new ScanUnit(2, 7_232, 1));
        }
    }

    @Test
    void readsNamedUnitsFromTheirRecordBoundariesInTheGivenOrder() throws Exception {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(visits(), "skip")) {
            List<List<Long>> batches = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            try (BatchReader reader = source.open(new ScanSpec(List.of("id", "note"), 10_000).withUnits(List.of(2, 1, 0)),
                    allocator)) {
                while (reader.loadNextBatch()) {
                    BigIntVector ids = (BigIntVector) reader.root().getVector("id");
                    List<Long> batch = new ArrayList<>();
                    for (int i = 0; i < reader.root().getRowCount(); i++) {
                        batch.add(ids.get(i));
                    }
                    batches.add(batch);
                    notes.add(new String(((VarCharVector) reader.root().getVector("note")).get(0)));
                }
                assertThat(reader.metrics().malformedRowsSkipped()).isEqualTo(1);
            }
            assertThat(batches).hasSize(5);
            assertThat(batches.get(0)).hasSize(7_232).startsWith(2L * BLOCK).endsWith(RECORDS - 1L);
            // Unit 1 holds the malformed record 20,000: its first batch has one row fewer, not one record more.
            assertThat(batches.get(1)).hasSize(9_999).startsWith((long) BLOCK);
            assertThat(batches.get(2)).hasSize(BLOCK - 10_000).endsWith(2L * BLOCK - 1);
            assertThat(batches.get(3)).hasSize(10_000).startsWith(0L);
            assertThat(batches.get(4)).hasSize(BLOCK - 10_000).startsWith(10_000L).endsWith(BLOCK - 1L);
            assertThat(notes.get(3)).isEqualTo("line one\nline two, 0");
        }
    }

    @Test
    void aMalformedRecordNamesItsLineWhenReadByUnit() throws Exception {
        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(visits(), "reject")) {
            // Records before 20,000 hold 17 quoted line breaks (0, 1000, ..., 16,000 in unit 0; 17,000..19,000 in unit 1).
            assertThatThrownBy(() -> {
                try (BatchReader reader = source.open(ScanSpec.of(List.of("id")).withUnits(List.of(1)), allocator)) {
                    while (reader.loadNextBatch()) {
                        // read on
                    }
                }
            }).isInstanceOf(ConnectorException.class).hasMessage("visits.csv line " + (20_000 + 2 + 20)
                    + ": expected 2 fields, found 3");
        }
    }
}
