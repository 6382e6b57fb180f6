package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.ParquetSurgery.assertScanFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
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
 * Hostile repetition and definition levels, written byte by byte into the one data page of a
 * valid one-row file: levels above the column's maximum, entries that repeat into a list they
 * leave undefined, pages that claim more entries than their chunk, and a few bytes of run-length
 * levels claiming billions of entries. Each is a clear {@link ConnectorException} raised while
 * the levels are read, with nothing leaked and no heap spent on the claimed entries.
 */
class ParquetHostileLevelsTest {
    /** Leaf {@code tags.list.element}: repetition 1, definition 3 (list 1, element slot 2, value 3). */
    private static final MessageType LIST = MessageTypeParser.parseMessageType("""
            message m { optional group tags (LIST) { repeated group list { optional int64 element; } } }
            """);
    /** Leaf {@code tags.list.element}: repetition 1, definition 2, so a 2-bit level can say 3. */
    private static final MessageType LIST_OF_REQUIRED = MessageTypeParser.parseMessageType("""
            message m { optional group tags (LIST) { repeated group list { required int64 element; } } }
            """);
    /** Leaf {@code s.x}: no repetition, definition 2 (struct 1, value 2). */
    private static final MessageType STRUCT = MessageTypeParser.parseMessageType("""
            message m { optional group s { optional int64 x; } }
            """);
    /** Leaf {@code outer.list.element.list.element}: repetition 2, definition 5 (outer slot 2, inner slot 4). */
    private static final MessageType LISTS_OF_LISTS = MessageTypeParser.parseMessageType("""
            message m {
              optional group outer (LIST) {
                repeated group list {
                  optional group element (LIST) { repeated group list { optional int64 element; } }
                }
              }
            }
            """);

    @TempDir
    Path dir;

    @Test
    void refusesADefinitionLevelAboveTheColumnsMaximum() throws IOException {
        Path file = oneRow("definition.parquet", LIST, (row, group) -> group.addGroup("tags"));
        replaceFirstPage(file, 2, concat(levels(rle(1, 0), rle(1, 1)), levels(rle(1, 3), rle(1, 7)), plainLongs(5)));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "definition.parquet is corrupt: row group 0 column"
                + " tags.list.element: a definition level of 7 is above the column's maximum of 3");
    }

    @Test
    void refusesARepetitionLevelAboveTheColumnsMaximum() throws IOException {
        Path file = oneRow("repetition.parquet", LIST, (row, group) -> group.addGroup("tags"));
        replaceFirstPage(file, 2, concat(levels(rle(1, 0), rle(1, 2)), levels(rle(2, 3)), plainLongs(5, 6)));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "repetition.parquet is corrupt: row group 0 column"
                + " tags.list.element: a repetition level of 2 is above the column's maximum of 1");
    }

    @Test
    void refusesABitPackedLevelAboveTheMaximumItsBitWidthCanHold() throws IOException {
        Path file = oneRow("packed.parquet", LIST_OF_REQUIRED, (row, group) -> group.addGroup("tags"));
        // Eight 2-bit definition levels 2, 2, 3, 2, ... in one bit-packed group: 3 is above the maximum of 2.
        replaceFirstPage(file, 8, concat(levels(rle(1, 0), rle(7, 1)), levels(packed2(2, 2, 3, 2, 2, 2, 2, 2)),
                plainLongs(1, 2, 3, 4, 5, 6, 7, 8)));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "packed.parquet is corrupt: row group 0 column"
                + " tags.list.element: a definition level of 3 is above the column's maximum of 2");
    }

    @Test
    void refusesADefinitionLevelAboveTheMaximumInAColumnWithoutLists() throws IOException {
        Path file = oneRow("struct.parquet", STRUCT, (row, group) -> group.addGroup("s").add("x", 1L));
        // No repetition levels; one 2-bit definition level of 3 in a bit-packed group (padding levels 0).
        replaceFirstPage(file, 1, concat(levels(packed2(3, 0, 0, 0, 0, 0, 0, 0)), plainLongs(1)));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "struct.parquet is corrupt: row group 0 column"
                + " s.x: a definition level of 3 is above the column's maximum of 2");
    }

    @Test
    void refusesAnEntryThatRepeatsIntoAListItLeavesUndefined() throws IOException {
        Path file = oneRow("undefined.parquet", LIST, (row, group) -> group.addGroup("tags"));
        // The second entry adds an element to the list (repetition 1) but says the list is null (definition 1).
        replaceFirstPage(file, 2, concat(levels(rle(1, 0), rle(1, 1)), levels(rle(1, 3), rle(1, 1)), plainLongs(5)));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "undefined.parquet is corrupt: row group 0 column"
                + " tags.list.element: an entry repeating at level 1 has definition level 1, below the 2 of the list it"
                + " adds an element to");
    }

    @Test
    void refusesAPageHoldingMoreLevelEntriesThanItsColumnChunkClaims() throws IOException {
        Path file = oneRow("more.parquet", LISTS_OF_LISTS, (row, group) -> group.addGroup("outer"));
        replaceFirstPage(file, Integer.MAX_VALUE, billionsOfEmptyInnerLists());
        ParquetSurgery.rewriteFooter(file, footer -> firstChunk(footer).setNum_values(1));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "more.parquet is corrupt: row group 0 column"
                + " outer.list.element.list.element: a page holds 2147483647 level entries but the column chunk's"
                + " metadata leaves only 1");
    }

    @Test
    void countsOneHugeRecordsLevelsAgainstTheScansMemoryBound() throws IOException {
        Path file = oneRow("huge-record.parquet", LISTS_OF_LISTS, (row, group) -> group.addGroup("outer"));
        replaceFirstPage(file, Integer.MAX_VALUE, billionsOfEmptyInnerLists());
        // The footer agrees with the page, so only the memory bound stops the one record's 2^31 entries.
        ParquetSurgery.rewriteFooter(file, footer -> firstChunk(footer).setNum_values(1L << 40));
        long bound = 16L * 1024 * 1024;

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file, bound);
                BatchReader reader = source.open(ScanSpec.of(List.of("outer")), allocator)) {
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED))
                    .hasMessageStartingWith("huge-record.parquet column outer.list.element.list.element: one batch"
                            + " holds ")
                    .hasMessageEndingWith(" level entries or more (2 bytes each), more than the scan's memory bound of"
                            + " 16777216 bytes allows with its other buffers; read fewer rows per batch or raise the"
                            + " bound");
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(allocator.getPeakMemoryAllocation()).isLessThanOrEqualTo(bound);
        }
    }

    /**
     * One record of 2^31 - 1 entries in 16 bytes of levels: each after the first a new outer element
     * (repetition 1) whose inner list is null (definition 2): valid entries that hold no leaf value.
     */
    private static byte[] billionsOfEmptyInnerLists() {
        return concat(levels(rle(1, 0), rle(Integer.MAX_VALUE - 1, 1)), levels(rle(Integer.MAX_VALUE, 2)));
    }

    private Path oneRow(String name, MessageType schema, BiConsumer<Integer, Group> filler) throws IOException {
        Path file = dir.resolve(name);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(false)
                .withPageWriteChecksumEnabled(false)
                .withWriterVersion(WriterVersion.PARQUET_1_0)
                .build()) {
            SimpleGroup group = new SimpleGroup(schema);
            filler.accept(0, group);
            writer.write(group);
        }
        return file;
    }

    /** A run-length run: {@code count} times {@code value} (levels of at most 8 bits). */
    private static byte[] rle(int count, int value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, (long) count << 1);
        out.write(value);
        return out.toByteArray();
    }

    /** One bit-packed group of eight 2-bit values. */
    private static byte[] packed2(int... values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, (1 << 1) | 1);
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits |= (long) values[i] << (2 * i);
        }
        out.write((int) (bits & 0xFF));
        out.write((int) (bits >>> 8 & 0xFF));
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        long rest = value;
        while ((rest & ~0x7FL) != 0) {
            out.write((int) (rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out.write((int) rest);
    }

    /** A V1 page's level run: its byte length (int32, little-endian), then the runs. */
    private static byte[] levels(byte[]... runs) {
        byte[] joined = concat(runs);
        return concat(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(joined.length).array(), joined);
    }

    private static byte[] plainLongs(long... values) {
        ByteBuffer buffer = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            buffer.putLong(value);
        }
        return buffer.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static ColumnMetaData firstChunk(FileMetaData footer) {
        return footer.getRow_groups().getFirst().getColumns().getFirst().getMeta_data();
    }

    /**
     * Replaces the first page of the file's only column chunk with a PLAIN V1 data page of
     * {@code valueCount} level entries and {@code body}, fixing the chunk's size and value count in
     * the footer.
     */
    private static void replaceFirstPage(Path file, int valueCount, byte[] body) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int footerStart = ParquetSurgery.footerStart(bytes);
        FileMetaData footer = ParquetSurgery.readFooter(bytes);
        ColumnMetaData chunk = firstChunk(footer);
        int start = (int) chunk.getData_page_offset();
        ByteArrayInputStream in = new ByteArrayInputStream(bytes, start, footerStart - start);
        PageHeader old = Util.readPageHeader(in);
        int oldEnd = footerStart - in.available() + old.getCompressed_page_size();
        PageHeader header = new PageHeader(PageType.DATA_PAGE, body.length, body.length);
        header.setData_page_header(new DataPageHeader(valueCount, Encoding.PLAIN, Encoding.RLE, Encoding.RLE));
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        Util.writePageHeader(header, page);
        page.writeBytes(body);
        chunk.setTotal_compressed_size(chunk.getTotal_compressed_size() + page.size() - (oldEnd - start));
        chunk.setTotal_uncompressed_size(chunk.getTotal_compressed_size());
        chunk.setNum_values(valueCount);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(bytes, 0, start);
        out.writeBytes(page.toByteArray());
        out.write(bytes, oldEnd, footerStart - oldEnd);
        ParquetSurgery.writeFooter(out, footer);
        Files.write(file, out.toByteArray());
    }
}
