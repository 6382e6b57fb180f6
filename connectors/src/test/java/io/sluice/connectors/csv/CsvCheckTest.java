package io.sluice.connectors.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvCheckTest {
    @TempDir
    Path dir;

    private static CsvBatchSource open(Path file, String onError) {
        BatchSource source = Connectors.discover().open(SourceConfig.ofFile("csv", file,
                Map.of("types", "age:int64", "onError", onError)));
        return (CsvBatchSource) source;
    }

    @Test
    void namesTheSkippedLinesOfAWholeFile() throws Exception {
        Path file = Files.writeString(dir.resolve("visits.csv"), "id,age\n1,30\n2,old\n3,40\n4\n5,50\n");
        try (CsvBatchSource source = open(file, "skip"); BufferAllocator allocator = new RootAllocator()) {
            assertThat(source.check(1024, allocator)).isEqualTo(new CsvCheck(Files.size(file), true, 3, 2, List.of(3L, 5L)));
        }
    }

    @Test
    void refusesTheFirstMalformedRowWithItsLineAndColumn() throws Exception {
        Path file = Files.writeString(dir.resolve("visits.csv"), "id,age\n1,30\n2,old\n");
        try (CsvBatchSource source = open(file, "reject"); BufferAllocator allocator = new RootAllocator()) {
            assertThatThrownBy(() -> source.check(1024, allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("visits.csv line 3, column 'age': the value is not an int64");
        }
    }

    @Test
    void checksOnlyTheLeadingBlocksOfALargerFile() throws Exception {
        StringBuilder csv = new StringBuilder("id,age\n");
        for (int id = 1; id <= 2 * CsvBatchSource.SHARD_BLOCK_RECORDS; id++) {
            csv.append(id).append(',').append(id == CsvBatchSource.SHARD_BLOCK_RECORDS + 5 ? "old" : "30").append('\n');
        }
        Path file = Files.writeString(dir.resolve("visits.csv"), csv);
        long secondBlock = "id,age\n".length();
        for (int id = 1; id <= CsvBatchSource.SHARD_BLOCK_RECORDS; id++) {
            secondBlock += (id + ",30\n").length();
        }
        try (CsvBatchSource source = open(file, "reject"); BufferAllocator allocator = new RootAllocator()) {
            assertThat(source.check(100, allocator))
                    .isEqualTo(new CsvCheck(secondBlock, false, CsvBatchSource.SHARD_BLOCK_RECORDS, 0, List.of()));
            assertThatThrownBy(() -> source.check(Files.size(file), allocator))
                    .hasMessage("visits.csv line " + (CsvBatchSource.SHARD_BLOCK_RECORDS + 6)
                            + ", column 'age': the value is not an int64");
        }
    }
}
