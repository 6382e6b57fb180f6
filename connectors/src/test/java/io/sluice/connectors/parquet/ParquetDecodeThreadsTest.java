package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.ParquetTestFiles.allColumns;
import static io.sluice.connectors.parquet.ParquetTestFiles.expectedRows;
import static io.sluice.connectors.parquet.ParquetTestFiles.writeAllTypes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A batch's columns decoded side by side give the same batches as one thread, and fail the same way. */
class ParquetDecodeThreadsTest {
    @TempDir
    Path dir;

    @Test
    void everyTypeAndLayoutReadsTheSameOnOneThreadAndOnSeveral() throws IOException {
        List<Layout> layouts = List.of(
                Layout.of(CompressionCodecName.SNAPPY, true, 700),
                Layout.of(CompressionCodecName.UNCOMPRESSED, false, 1_000),
                new Layout(CompressionCodecName.ZSTD, true, 450, WriterVersion.PARQUET_2_0));
        for (Layout layout : layouts) {
            Path file = dir.resolve(layout.codec() + "-" + layout.version() + ".parquet");
            writeAllTypes(file, 2_000, layout);
            ScanSpec spec = new ScanSpec(allColumns(), 256);
            List<Object> oneThread = batches(file, spec);
            assertThat(oneThread).as(layout.toString()).hasSizeGreaterThan(4);
            for (int threads : new int[] {2, 3, 64}) {
                assertThat(batches(file, spec.withDecodeThreads(threads))).as(layout + ", " + threads + " threads")
                        .isEqualTo(oneThread);
            }
            assertThat(rows(file, spec.withDecodeThreads(4))).as(layout.toString())
                    .isEqualTo(expectedRows(allColumns(), 0, 2_000));
        }
    }

    @Test
    void partitionColumnsAndSeveralFilesReadTheSameOnSeveralThreads() throws IOException {
        Path visits = dir.resolve("visits");
        ParquetDirectoryTest.writeVisits(visits.resolve("year=2024/region=eu/a.parquet"), 0, 300);
        ParquetDirectoryTest.writeVisits(visits.resolve("year=2025/region=us/b.parquet"), 300, 200);
        ScanSpec spec = new ScanSpec(List.of("region", "id", "ward", "year"), 64);
        List<Object> oneThread = batches(visits, spec);
        assertThat(oneThread).isNotEmpty();
        assertThat(batches(visits, spec.withDecodeThreads(3))).isEqualTo(oneThread);
    }

    @Test
    void aPageCorruptedMidScanFailsAsOnOneThreadAndReleasesEveryBuffer() throws IOException {
        Path file = ParquetCorruptFileTest.writeWithDamagedSecondRowGroup(dir.resolve("damaged.parquet"));

        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", file));
                BatchReader reader = source.open(new ScanSpec(allColumns(), 100).withDecodeThreads(4), allocator)) {
            for (int batch = 0; batch < 3; batch++) {
                assertThat(reader.loadNextBatch()).isTrue();
            }
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessageStartingWith("damaged.parquet is corrupt: row group 1 column req_int32: a page header"
                            + " cannot be decoded");
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void dealsTheCostliestFillsFirstEachToTheLeastLoadedGroup() {
        assertThat(BatchFills.deal(new long[] {5, 90, 10, 40, 50}, 2))
                .containsExactly(new int[] {1, 2}, new int[] {0, 3, 4});
        assertThat(BatchFills.deal(new long[] {30, 30, 30, 30, 30}, 3))
                .containsExactly(new int[] {0, 3}, new int[] {1, 4}, new int[] {2});
        assertThat(BatchFills.deal(new long[6], 4))
                .containsExactly(new int[] {0, 4}, new int[] {1, 5}, new int[] {2}, new int[] {3});
    }

    @Test
    void refusesFewerThanOneThread() {
        assertThatThrownBy(() -> new ScanSpec(List.of("a"), 10).withDecodeThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("decodeThreads must be >= 1, was 0");
    }

    /** Every batch of the scan: its schema and its rows, cell by cell. */
    private static List<Object> batches(Path location, ScanSpec spec) {
        List<Object> batches = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", location));
                BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                batches.add(List.of(reader.root().getSchema(), ParquetTestFiles.rows(reader.root())));
            }
        }
        return batches;
    }

    private static List<List<Object>> rows(Path file, ScanSpec spec) {
        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", file));
                BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                rows.addAll(ParquetTestFiles.rows(reader.root()));
            }
        }
        return rows;
    }
}
