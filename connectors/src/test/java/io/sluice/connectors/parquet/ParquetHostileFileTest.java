package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.ParquetSurgery.assertScanFails;
import static io.sluice.connectors.parquet.ParquetSurgery.rewriteFooter;
import static io.sluice.connectors.parquet.ParquetSurgery.writeFooter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
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
 * A corpus of hostile files, generated here from valid ones by rewriting one page header or one
 * footer field (nothing binary is committed): every one must give a clear
 * {@link ConnectorException}, allocate nothing beyond its bound, and leak nothing.
 */
class ParquetHostileFileTest {
    private static final MessageType ONE_COLUMN = MessageTypeParser.parseMessageType(
            "message m { required int64 id; }");
    private static final MessageType STRINGS = MessageTypeParser.parseMessageType(
            "message m { required int64 id; optional binary text (STRING); }");

    @TempDir
    Path dir;

    private Path ids(String name, CompressionCodecName codec) throws IOException {
        Path file = dir.resolve(name);
        ParquetTestFiles.write(file, ONE_COLUMN, 500, Layout.of(codec, false, 1_000), (column, row) -> (long) row);
        return file;
    }

    @Test
    void refusesAPageClaimingAnAbsurdUncompressedSizeBeforeAllocatingIt() throws IOException {
        Path file = ids("huge-page.parquet", CompressionCodecName.SNAPPY);
        rewriteFirstPageHeader(file, header -> header.setUncompressed_page_size(Integer.MAX_VALUE));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "huge-page.parquet is corrupt: row group 0 column id:"
                + " a page claims 2147483647 bytes uncompressed, more than the 268435456 this reader accepts");
    }

    @Test
    void refusesAPageClaimingMoreBytesThanItsColumnChunkHolds() throws IOException {
        Path file = ids("long-page.parquet", CompressionCodecName.UNCOMPRESSED);
        rewriteFirstPageHeader(file, header -> header.setCompressed_page_size(1 << 30));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "long-page.parquet is corrupt: row group 0 column id:"
                + " a page claims 1073741824 bytes but the column chunk has ");
    }

    @Test
    void refusesNegativePageSizes() throws IOException {
        Path file = ids("negative.parquet", CompressionCodecName.UNCOMPRESSED);
        rewriteFirstPageHeader(file, header -> header.setCompressed_page_size(-5));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "negative.parquet is corrupt: row group 0 column id:"
                + " a page header cannot be decoded (Compressed page size must not be negative but was: -5)");
    }

    @Test
    void refusesAnUncompressedPageWhoseTwoSizesDisagree() throws IOException {
        Path file = ids("sizes.parquet", CompressionCodecName.UNCOMPRESSED);
        rewriteFirstPageHeader(file, header -> header.setUncompressed_page_size(header.getUncompressed_page_size() + 1));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "sizes.parquet is corrupt: row group 0 column id:"
                + " an uncompressed page claims ");
    }

    @Test
    void refusesASnappyPageThatDoesNotHoldWhatItsHeaderClaims() throws IOException {
        Path file = ids("snappy.parquet", CompressionCodecName.SNAPPY);
        rewriteFirstPageHeader(file, header -> header.setUncompressed_page_size(header.getUncompressed_page_size() + 10));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "snappy.parquet is corrupt: row group 0 column id:"
                + " a SNAPPY page holds 800 bytes but its header claims 810");
    }

    @Test
    void refusesAPageClaimingMoreValuesThanItHolds() throws IOException {
        Path file = ids("values.parquet", CompressionCodecName.UNCOMPRESSED);
        rewriteFirstPageHeader(file, header -> header.getData_page_header().setNum_values(Integer.MAX_VALUE));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "values.parquet is corrupt: row group 0 cannot be"
                + " decoded (values run past the end of their page)");
    }

    @Test
    void refusesADictionaryClaimingMoreValuesThanItsPageHolds() throws IOException {
        Path file = dir.resolve("dictionary.parquet");
        ParquetTestFiles.write(file, STRINGS, 500, Layout.of(CompressionCodecName.UNCOMPRESSED, true, 1_000),
                (column, row) -> column.equals("id") ? (Object) (long) row : "t" + row % 10);
        rewriteFirstPageHeader(file, 1, header -> header.getDictionary_page_header().setNum_values(Integer.MAX_VALUE));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE, "dictionary.parquet is corrupt: row group 0 column"
                + " text: a dictionary page claims 2147483647 values in ");
    }

    @Test
    void refusesARowGroupClaimingAnAbsurdRowCount() throws IOException {
        Path file = ids("rows.parquet", CompressionCodecName.UNCOMPRESSED);
        rewriteFooter(file, footer -> footer.getRow_groups().getFirst().setNum_rows(1L << 40));

        assertScanFails(file, ConnectorErrorCode.CORRUPT_SOURCE,
                "rows.parquet is corrupt: row group 0 has 1099511627776 rows but column id has 500 values");
    }

    @Test
    void refusesAColumnChunkThatLiesOutsideTheFile() throws IOException {
        Path file = ids("outside.parquet", CompressionCodecName.UNCOMPRESSED);
        long size = Files.size(file);
        rewriteFooter(file, footer -> footer.getRow_groups().getFirst().getColumns().getFirst().getMeta_data()
                .setData_page_offset(size * 4));

        assertThatThrownBy(() -> ParquetBatchSource.open(file))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                .hasMessageStartingWith("outside.parquet is corrupt: row group 0 column id claims bytes ");
    }

    @Test
    void stopsAtTheMemoryBoundWithAClearErrorAndNoLeak() throws IOException {
        Path file = dir.resolve("wide.parquet");
        String text = "x".repeat(2_000);
        ParquetTestFiles.write(file, STRINGS, 1_000, Layout.of(CompressionCodecName.SNAPPY, false, 1_000),
                (column, row) -> column.equals("id") ? (Object) (long) row : text + row);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file, 256 * 1024);
                BatchReader reader = source.open(ScanSpec.of(List.of("id", "text")), allocator)) {
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED))
                    .hasMessage("the scan of wide.parquet needs more memory than its bound of 262144 bytes (option"
                            + " maxBatchBytes or the broker's stream memory); read fewer rows per batch or raise the bound");
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void survivesRandomByteCorruptionWithConnectorErrorsOnly() throws IOException {
        Path valid = dir.resolve("valid.parquet");
        writeWithoutChecksums(valid);
        byte[] original = Files.readAllBytes(valid);
        Random random = new Random(7);
        int failures = 0;
        for (int round = 0; round < 300; round++) {
            byte[] bytes = original.clone();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int at = 4 + random.nextInt(bytes.length - 12);
                bytes[at] = (byte) random.nextInt(256);
            }
            Path file = Files.write(dir.resolve("fuzz.parquet"), bytes);
            try (BufferAllocator allocator = new RootAllocator(64L * 1024 * 1024)) {
                try (ParquetBatchSource source = ParquetBatchSource.open(file, 16L * 1024 * 1024);
                        BatchReader reader = source.open(ScanSpec.of(
                                source.schema().getFields().stream().map(f -> f.getName()).toList()), allocator)) {
                    while (reader.loadNextBatch()) {
                        assertThat(reader.root().getRowCount()).isPositive();
                    }
                } catch (ConnectorException e) {
                    failures++;
                    assertThat(e.errorCode().category()).as("round %d: %s", round, e.getMessage())
                            .isIn(ConnectorErrorCode.Category.USER, ConnectorErrorCode.Category.RESOURCES);
                    assertThat(e.getMessage()).doesNotContain(dir.toString());
                }
                assertThat(allocator.getAllocatedMemory()).as("round %d leaks", round).isZero();
            }
        }
        assertThat(failures).as("most corruptions are noticed").isGreaterThan(50);
    }

    private void writeWithoutChecksums(Path file) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("""
                message m {
                  required int64 id;
                  optional binary text (STRING);
                  optional int32 small (INTEGER(16,true));
                  optional boolean flag;
                  optional group tags (LIST) { repeated group list { optional int32 element; } }
                }
                """);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(true)
                .withPageWriteChecksumEnabled(false)
                .withRowGroupRowCountLimit(150)
                .withPageRowCountLimit(50)
                .build()) {
            for (int row = 0; row < 400; row++) {
                SimpleGroup group = new SimpleGroup(schema);
                group.add("id", (long) row);
                if (row % 3 != 0) {
                    group.add("text", "value " + row % 17);
                }
                group.add("small", row % 300);
                group.add("flag", row % 2 == 0);
                Group tags = group.addGroup("tags");
                for (int i = 0; i < row % 4; i++) {
                    tags.addGroup("list").add("element", row + i);
                }
                writer.write(group);
            }
        }
    }

    private static void rewriteFirstPageHeader(Path file, Consumer<PageHeader> change) throws IOException {
        rewriteFirstPageHeader(file, 0, change);
    }

    /**
     * Rewrites the first page header of column {@code column} of row group 0, moving the bytes after
     * it and fixing the column chunk's size in the footer when the header's length changes.
     */
    private static void rewriteFirstPageHeader(Path file, int column, Consumer<PageHeader> change) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int footerStart = ParquetSurgery.footerStart(bytes);
        FileMetaData footer = ParquetSurgery.readFooter(bytes);
        ColumnMetaData chunk = footer.getRow_groups().getFirst().getColumns().get(column).getMeta_data();
        long start = chunk.isSetDictionary_page_offset() ? chunk.getDictionary_page_offset() : chunk.getData_page_offset();
        ByteArrayInputStream in = new ByteArrayInputStream(bytes, (int) start, footerStart - (int) start);
        PageHeader header = Util.readPageHeader(in);
        int oldLength = footerStart - (int) start - in.available();
        change.accept(header);
        ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
        Util.writePageHeader(header, rewritten);
        int delta = rewritten.size() - oldLength;
        chunk.setTotal_compressed_size(chunk.getTotal_compressed_size() + delta);
        if (chunk.isSetDictionary_page_offset() && start == chunk.getDictionary_page_offset()) {
            chunk.setData_page_offset(chunk.getData_page_offset() + delta);
        }
        for (int c = column + 1; c < footer.getRow_groups().getFirst().getColumns().size(); c++) {
            ColumnMetaData later = footer.getRow_groups().getFirst().getColumns().get(c).getMeta_data();
            later.setData_page_offset(later.getData_page_offset() + delta);
            if (later.isSetDictionary_page_offset()) {
                later.setDictionary_page_offset(later.getDictionary_page_offset() + delta);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(bytes, 0, (int) start);
        out.write(rewritten.toByteArray());
        out.write(bytes, (int) start + oldLength, footerStart - (int) start - oldLength);
        writeFooter(out, footer);
        Files.write(file, out.toByteArray());
    }
}
