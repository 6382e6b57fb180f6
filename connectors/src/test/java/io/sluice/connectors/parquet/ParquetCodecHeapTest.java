package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ScanSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stream codecs (GZIP, BROTLI) decompress a page straight into the scan's page buffer through a
 * small scratch array: reading a file whose one page holds 8 MiB allocates far less than that on
 * the heap (the page itself lives in the scan's allocator, counted against its bound).
 */
class ParquetCodecHeapTest {
    private static final int ROWS = 1 << 20;
    private static final MessageType ONE_COLUMN = MessageTypeParser.parseMessageType("message m { required int64 x; }");

    @TempDir
    Path dir;

    @Test
    void decompressesAGzipPageWithoutCopyingItOntoTheHeap() throws IOException {
        Path file = dir.resolve("gzip.parquet");
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(ONE_COLUMN)
                .withCompressionCodec(CompressionCodecName.GZIP)
                .withDictionaryEncoding(false)
                .withPageSize(64 * 1024 * 1024)
                .withPageRowCountLimit(Integer.MAX_VALUE)
                .build()) {
            for (int row = 0; row < ROWS; row++) {
                SimpleGroup group = new SimpleGroup(ONE_COLUMN);
                group.add("x", (long) row * 3);
                writer.write(group);
            }
        }

        assertScansWithLittleHeap(file, 0); // zlib's window lives in native memory
    }

    @Test
    void decompressesABrotliPageWithoutCopyingItOntoTheHeap() throws IOException {
        PyarrowReference.assumePyarrow();
        Path file = dir.resolve("brotli.parquet");
        PyarrowReference.Run writer = PyarrowReference.python(Duration.ofSeconds(120), List.of("-c", """
                import sys, pyarrow as pa, pyarrow.parquet as pq
                x = pa.array([i * 3 for i in range(%d)], pa.int64())
                pq.write_table(pa.table({'x': x}), sys.argv[1], compression='brotli', use_dictionary=False,
                               data_page_size=1 << 26, max_rows_per_page=1 << 22, write_statistics=False)
                """.formatted(ROWS), file.toString()));
        assertThat(writer.exitCode()).as(writer.output()).isZero();

        assertScansWithLittleHeap(file, 4 << 20); // the decoder's ring buffer: pyarrow's window is 2^22 bytes
    }

    /**
     * Checks that the file's largest page is over 4 MiB and a full scan allocates under 2 MiB of
     * heap beside the codec's {@code window}.
     */
    private static void assertScansWithLittleHeap(Path file, long window) throws IOException {
        assertThat(largestPageBytes(file)).as("the largest page, uncompressed").isGreaterThan(4 << 20);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(List.of("x")).withBatchRows(64 * 1024), allocator)) {
            long before = threads.getCurrentThreadAllocatedBytes();
            long rows = 0;
            long sum = 0;
            while (reader.loadNextBatch()) {
                BigIntVector x = (BigIntVector) reader.root().getVector("x");
                sum += x.get(x.getValueCount() - 1);
                rows += reader.root().getRowCount();
            }
            long heap = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(rows).isEqualTo(ROWS);
            assertThat(sum).isPositive();
            assertThat(heap).as("heap bytes the scan allocated").isLessThan((2 << 20) + window);
        }
    }

    /** The largest uncompressed page of the file's first column chunk. */
    private static long largestPageBytes(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        FileMetaData footer = ParquetSurgery.readFooter(bytes);
        ColumnMetaData chunk = footer.getRow_groups().getFirst().getColumns().getFirst().getMeta_data();
        long start = chunk.isSetDictionary_page_offset() ? chunk.getDictionary_page_offset() : chunk.getData_page_offset();
        ByteArrayInputStream in = new ByteArrayInputStream(bytes, (int) start, (int) chunk.getTotal_compressed_size());
        long largest = 0;
        while (in.available() > 0) {
            PageHeader header = Util.readPageHeader(in);
            largest = Math.max(largest, header.getUncompressed_page_size());
            in.skipNBytes(header.getCompressed_page_size());
        }
        return largest;
    }
}
