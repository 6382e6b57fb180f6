package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.airlift.compress.lzo.LzoHadoopStreams;
import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.CompressionCodec;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.RowGroup;
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
 * LZO pages as parquet-java writes them through Hadoop's {@code LzoCodec}: Hadoop block frames of
 * raw LZO blocks. The files are made from uncompressed ones written by parquet-java, every page
 * recompressed with aircompressor's Hadoop LZO stream (the framing hadoop-lzo writes), and must
 * read exactly as the uncompressed originals do.
 */
class ParquetLzoTest {
    private static final int ROWS = 60_000;
    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message m {
              required int64 id;
              optional binary text (STRING);
              optional group tags (LIST) { repeated group list { optional int32 element; } }
            }
            """);

    @TempDir
    Path dir;

    @Test
    void readsLzoV1PagesExactlyAsTheUncompressedOriginal() throws IOException {
        assertLzoReadsAsOriginal("v1", WriterVersion.PARQUET_1_0, false);
    }

    @Test
    void readsLzoV2PagesWithDictionariesExactlyAsTheUncompressedOriginal() throws IOException {
        assertLzoReadsAsOriginal("v2", WriterVersion.PARQUET_2_0, true);
    }

    @Test
    void refusesAnLzoPageThatIsNotHadoopFramedAsCorrupt() throws IOException {
        Path original = write("plain.parquet", WriterVersion.PARQUET_1_0, false);
        Path lzo = dir.resolve("damaged-lzo.parquet");
        recompressAsLzo(original, lzo, true);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(lzo);
                BatchReader reader = source.open(ScanSpec.of(List.of("id")), allocator)) {
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("damaged-lzo.parquet is corrupt: row group 0 column id: a LZO page is not a"
                            + " well-formed sequence of Hadoop-framed LZO blocks");
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    private void assertLzoReadsAsOriginal(String name, WriterVersion version, boolean dictionary) throws IOException {
        Path original = write(name + ".parquet", version, dictionary);
        Path lzo = dir.resolve(name + "-lzo.parquet");
        recompressAsLzo(original, lzo, false);
        assertThat(ParquetFooter.read(lzo).metadata().getBlocks().getFirst().getColumns())
                .allSatisfy(chunk -> assertThat(chunk.getCodec()).isEqualTo(CompressionCodecName.LZO));

        List<List<Object>> expected = rows(original);
        assertThat(expected).hasSize(ROWS);
        assertThat(rows(lzo)).isEqualTo(expected);
    }

    /** Rows with lists of up to 4 elements, nulls, and pages of up to 50,000 rows (over Hadoop's 256 KiB). */
    private Path write(String name, WriterVersion version, boolean dictionary) throws IOException {
        Path file = dir.resolve(name);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(SCHEMA)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(dictionary)
                .withWriterVersion(version)
                .withPageRowCountLimit(50_000)
                .withPageSize(4 * 1024 * 1024)
                .withRowGroupRowCountLimit(40_000)
                .build()) {
            for (int row = 0; row < ROWS; row++) {
                SimpleGroup group = new SimpleGroup(SCHEMA);
                group.add("id", (long) row * 7);
                if (row % 5 != 0) {
                    group.add("text", "text " + row % 1_000);
                }
                if (row % 7 != 0) {
                    Group tags = group.addGroup("tags");
                    for (int i = 0; i < row % 4; i++) {
                        Group element = tags.addGroup("list");
                        if ((row + i) % 3 != 0) {
                            element.add("element", row + i);
                        }
                    }
                }
                writer.write(group);
            }
        }
        return file;
    }

    private static List<List<Object>> rows(Path file) {
        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(List.of("id", "text", "tags")).withBatchRows(7_000),
                        allocator)) {
            while (reader.loadNextBatch()) {
                for (int row = 0; row < reader.root().getRowCount(); row++) {
                    List<Object> cells = new ArrayList<>();
                    for (FieldVector vector : reader.root().getFieldVectors()) {
                        Object cell = vector.getObject(row);
                        cells.add(cell == null ? null : cell.toString());
                    }
                    rows.add(cells);
                }
            }
        }
        return rows;
    }

    /**
     * Writes {@code original} (uncompressed, V1 or V2 pages) to {@code target} with every page
     * compressed as hadoop-lzo's {@code LzoCodec} would (a V2 page's levels stay uncompressed),
     * the codec set to LZO and the footer's offsets and sizes fixed; page indexes and checksums are
     * dropped. With {@code damage}, the first page's frame claims one byte more than it holds.
     */
    private static void recompressAsLzo(Path original, Path target, boolean damage) throws IOException {
        byte[] bytes = Files.readAllBytes(original);
        int footerLength = ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int footerStart = bytes.length - 8 - footerLength;
        FileMetaData footer = Util.readFileMetaData(new ByteArrayInputStream(bytes, footerStart, footerLength));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {'P', 'A', 'R', '1'});
        boolean damaged = !damage;
        for (RowGroup group : footer.getRow_groups()) {
            long groupStart = out.size();
            for (ColumnChunk column : group.getColumns()) {
                ColumnMetaData chunk = column.getMeta_data();
                long start = chunk.isSetDictionary_page_offset() ? chunk.getDictionary_page_offset()
                        : chunk.getData_page_offset();
                ByteArrayInputStream in = new ByteArrayInputStream(bytes, (int) start,
                        (int) chunk.getTotal_compressed_size());
                long chunkStart = out.size();
                chunk.unsetDictionary_page_offset();
                chunk.setData_page_offset(-1);
                while (in.available() > 0) {
                    PageHeader header = Util.readPageHeader(in);
                    byte[] body = in.readNBytes(header.getCompressed_page_size());
                    int raw = header.getType() == PageType.DATA_PAGE_V2
                            ? header.getData_page_header_v2().getRepetition_levels_byte_length()
                                    + header.getData_page_header_v2().getDefinition_levels_byte_length()
                            : 0;
                    byte[] compressed = concat(Arrays.copyOf(body, raw), lzo(Arrays.copyOfRange(body, raw, body.length)));
                    if (!damaged) {
                        ByteBuffer.wrap(compressed).putInt(raw, body.length - raw + 1); // the frame's block length
                        damaged = true;
                    }
                    header.setCompressed_page_size(compressed.length);
                    header.unsetCrc();
                    if (header.getType() == PageType.DATA_PAGE_V2) {
                        header.getData_page_header_v2().setIs_compressed(true);
                    }
                    if (header.getType() == PageType.DICTIONARY_PAGE) {
                        chunk.setDictionary_page_offset(out.size());
                    } else if (chunk.getData_page_offset() < 0) {
                        chunk.setData_page_offset(out.size());
                    }
                    Util.writePageHeader(header, out);
                    out.writeBytes(compressed);
                }
                chunk.setCodec(CompressionCodec.LZO);
                chunk.setTotal_compressed_size(out.size() - chunkStart);
                column.setFile_offset(chunkStart);
                column.unsetColumn_index_offset();
                column.unsetColumn_index_length();
                column.unsetOffset_index_offset();
                column.unsetOffset_index_length();
            }
            group.setFile_offset(groupStart);
            group.setTotal_compressed_size(out.size() - groupStart);
        }
        ParquetSurgery.writeFooter(out, footer);
        Files.write(target, out.toByteArray());
    }

    /** {@code plain} as hadoop-lzo's {@code LzoCodec} writes it: Hadoop block frames of LZO blocks. */
    private static byte[] lzo(byte[] plain) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream stream = new LzoHadoopStreams().createOutputStream(compressed)) {
            stream.write(plain);
        }
        return compressed.toByteArray();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }
}
