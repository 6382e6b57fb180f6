package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nested columns whose batches grow (a batch with many more lists or elements than the one
 * before) stay within a memory bound a few times their Arrow size: growing a list or struct grows
 * its own buffers only, never the vectors below it that are already sized.
 */
class ParquetNestedMemoryTest {
    /** Rows per batch; the first batch holds one inner list per row, every later one {@link #WIDE}. */
    private static final int BATCH = 1_000;
    private static final int WIDE = 64;
    private static final MessageType LISTS_OF_LISTS = MessageTypeParser.parseMessageType("""
            message m {
              required int64 id;
              optional group outer (LIST) {
                repeated group list {
                  optional group element (LIST) { repeated group list { optional int64 element; } }
                }
              }
              optional group record {
                optional group tags (LIST) { repeated group list { optional group element { optional int32 code; } } }
              }
            }
            """);

    @TempDir
    Path dir;

    @Test
    void growingBatchesOfListsOfListsStayWithinAFewTimesTheirArrowSize() throws IOException {
        Path file = dir.resolve("growing.parquet");
        ParquetTestFiles.writeGroups(file, LISTS_OF_LISTS, 3 * BATCH,
                Layout.of(CompressionCodecName.SNAPPY, false, 3 * BATCH), ParquetNestedMemoryTest::fill);
        // The widest batch holds 64,000 inner lists and 64,000 int64 elements (about 1.3 MB of
        // Arrow buffers with offsets and validity); pages and vectors sized for it fit in 4 MiB.
        long bound = 4L * 1024 * 1024;

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file, bound);
                BatchReader reader = source.open(ScanSpec.of(List.of("id", "outer", "record")).withBatchRows(BATCH),
                        allocator)) {
            long widestBatch = 0;
            int batch = 0;
            while (reader.loadNextBatch()) {
                ListVector outer = (ListVector) reader.root().getVector("outer");
                ListVector inner = (ListVector) outer.getDataVector();
                int lists = batch == 0 ? 1 : WIDE;
                assertThat(inner.getValueCount()).as("inner lists of batch %d", batch).isEqualTo(BATCH * lists);
                assertThat(inner.getDataVector().getValueCount()).isEqualTo(BATCH * lists);
                for (int row = 0; row < BATCH; row += 97) {
                    long id = batch * BATCH + row;
                    assertThat(outer.getObject(row)).as("row %d", id).hasSize(lists);
                    assertThat(outer.getObject(row).get(lists - 1)).isEqualTo(List.of(id * 100 + lists - 1));
                    StructVector record = (StructVector) reader.root().getVector("record");
                    assertThat(record.getObject(row).get("tags")).as("row %d", id).asList().hasSize(lists);
                }
                widestBatch = Math.max(widestBatch, arrowBytes(reader.root().getFieldVectors()));
                batch++;
            }
            assertThat(batch).isEqualTo(3);
            assertThat(allocator.getPeakMemoryAllocation())
                    .as("peak memory against the widest batch's %d Arrow bytes", widestBatch)
                    .isLessThan(3 * widestBatch);
        }
    }

    @Test
    void aConsumerThatTakesTheBuffersOfEachBatchGetsFreshOnesOfTheRightSize() throws IOException {
        Path file = dir.resolve("taken.parquet");
        ParquetTestFiles.writeGroups(file, LISTS_OF_LISTS, 3 * BATCH,
                Layout.of(CompressionCodecName.UNCOMPRESSED, true, 3 * BATCH), ParquetNestedMemoryTest::fill);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(List.of("outer", "record")).withBatchRows(BATCH),
                        allocator)) {
            int batch = 0;
            while (reader.loadNextBatch()) {
                ListVector outer = (ListVector) reader.root().getVector("outer");
                TransferPair transfer = outer.getTransferPair(allocator);
                transfer.transfer();
                try (ListVector taken = (ListVector) transfer.getTo()) {
                    int lists = batch == 0 ? 1 : WIDE;
                    for (int row = 0; row < BATCH; row += 89) {
                        long id = batch * BATCH + row;
                        List<?> values = taken.getObject(row);
                        assertThat(values).as("row %d", id).hasSize(lists);
                        assertThat(values.getFirst()).isEqualTo(List.of(id * 100));
                    }
                }
                batch++;
            }
            assertThat(batch).isEqualTo(3);
        }
    }

    /** Row {@code row}: one inner list per outer list in the first batch, {@link #WIDE} later. */
    private static void fill(int row, Group group) {
        group.add("id", (long) row);
        int lists = row < BATCH ? 1 : WIDE;
        Group outer = group.addGroup("outer");
        Group tags = group.addGroup("record").addGroup("tags");
        for (int i = 0; i < lists; i++) {
            Group inner = outer.addGroup("list").addGroup("element");
            inner.addGroup("list").add("element", (long) row * 100 + i);
            tags.addGroup("list").addGroup("element").add("code", i);
        }
    }

    private static long arrowBytes(List<FieldVector> vectors) {
        long bytes = 0;
        for (FieldVector vector : vectors) {
            bytes += vector.getBufferSize();
        }
        return bytes;
    }
}
