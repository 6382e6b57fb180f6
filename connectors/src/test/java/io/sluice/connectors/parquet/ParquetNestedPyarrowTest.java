package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.connectors.ScanSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nested Parquet written by pyarrow (maps, lists of structs, structs of lists, lists of lists of
 * lists, lists of maps, maps of lists and structs, nulls at every level; dictionary and plain,
 * data pages v1 and v2, snappy, zstd and none, several row groups and small pages) reads exactly as
 * pyarrow reads it: same Arrow fields, same vectors, whatever the batch size, shard or pruning.
 */
class ParquetNestedPyarrowTest {
    private static final int ROWS = 1500;

    @TempDir
    static Path dir;

    private static List<Path> files;

    @BeforeAll
    static void writeFilesWithPyarrow() throws Exception {
        PyarrowReference.assumePyarrow();
        PyarrowReference.runScript(PyarrowReference.NESTED_SCRIPT, dir.toString());
        try (Stream<Path> listed = Files.list(dir)) {
            files = listed.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        }
        assertThat(files).hasSize(5);
    }

    @TestFactory
    Stream<DynamicTest> readsEveryLayoutAsPyarrowDoes() {
        return files.stream().flatMap(file -> Stream.of(ROWS, 97, 1).map(batchRows ->
                DynamicTest.dynamicTest(file.getFileName() + ", batches of " + batchRows, () -> {
                    try (BufferAllocator allocator = new RootAllocator()) {
                        long rows = PyarrowReference.assertScanMatchesPyarrow(file,
                                new ScanSpec(columns(file), batchRows), allocator);
                        assertThat(rows).isEqualTo(ROWS);
                    }
                })));
    }

    @TestFactory
    Stream<DynamicTest> shardsTogetherReadEveryRowAsPyarrowDoes() {
        Path file = files.getFirst();
        return Stream.of(1, 2, 4).map(threads -> DynamicTest.dynamicTest(threads + " decode threads", () -> {
            long rows = 0;
            try (BufferAllocator allocator = new RootAllocator()) {
                for (int shard = 0; shard < 3; shard++) {
                    rows += PyarrowReference.assertScanMatchesPyarrow(file, new ScanSpec(columns(file), 128)
                            .withShard(shard, 3).withDecodeThreads(threads), allocator);
                }
            }
            assertThat(rows).isEqualTo(ROWS);
        }));
    }

    @TestFactory
    Stream<DynamicTest> prunesRowGroupsByAFlatColumnWhileReadingNestedOnes() {
        Path file = files.stream().filter(f -> f.getFileName().toString().contains("dict-v1-snappy")).findFirst()
                .orElseThrow();
        return Stream.of(DynamicTest.dynamicTest("id >= 1000 keeps the row groups from 800 on", () -> {
            try (BufferAllocator allocator = new RootAllocator()) {
                long rows = PyarrowReference.assertScanMatchesPyarrow(file, new ScanSpec(columns(file), 256)
                        .withPredicate(Predicate.ge("id", Literal.of(1000L))), allocator);
                assertThat(rows).as("row groups of 400 rows: 800..1199 and 1200..1499").isEqualTo(700);
            }
        }));
    }

    private static List<String> columns(Path file) throws IOException {
        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            return source.schema().getFields().stream().map(Field::getName).toList();
        }
    }
}
