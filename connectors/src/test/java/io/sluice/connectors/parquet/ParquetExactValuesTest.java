package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.ParquetTestFiles.allColumns;
import static io.sluice.connectors.parquet.ParquetTestFiles.expectedRows;
import static io.sluice.connectors.parquet.ParquetTestFiles.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.JulianFields;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.format.CompressionCodec;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xerial.snappy.Snappy;

/**
 * Values where an overflow or a writer's quirk could hide: INT96 timestamps far from 1970, decimals
 * with more digits than declared, the legacy LZ4 codec in both of its framings, and V2 pages that
 * store nothing after their levels. Each is served exactly or refused with a clear error.
 */
class ParquetExactValuesTest {
    private static final MessageType INT96 = MessageTypeParser.parseMessageType("message m { optional int96 ts; }");

    @TempDir
    Path dir;

    /** The cells of the first column of {@code file}, read in batches of 3 rows. */
    private static List<Object> readColumn(Path file) {
        return readColumn(file, null);
    }

    /** The cells of {@code column} (null: the first) of {@code file}, read in batches of 3 rows. */
    private static List<Object> readColumn(Path file, String column) {
        List<Object> cells = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(List.of(column != null ? column
                        : source.schema().getFields().getFirst().getName())).withBatchRows(3), allocator)) {
            while (reader.loadNextBatch()) {
                FieldVector vector = reader.root().getVector(0);
                for (int i = 0; i < reader.root().getRowCount(); i++) {
                    cells.add(vector.getObject(i));
                }
            }
        }
        return cells;
    }

    private static Binary int96(LocalDateTime time) {
        long julianDay = time.toLocalDate().getLong(JulianFields.JULIAN_DAY);
        long nanosOfDay = time.toLocalTime().toNanoOfDay();
        return Binary.fromConstantByteArray(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, nanosOfDay).putInt(8, (int) julianDay).array());
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {true, false})
    void servesInt96TimestampsAsExactMicrosecondsFromYearOneToYear9999(boolean dictionary) throws IOException {
        List<LocalDateTime> times = List.of(
                LocalDateTime.of(1, 1, 1, 0, 0), // Spark's minimum sentinel
                LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_999), // and its maximum
                LocalDateTime.of(1677, 9, 21, 0, 12, 43, 145_224_000), // just before the nanosecond range
                LocalDateTime.of(2262, 4, 11, 23, 47, 16, 854_776_000), // just after it
                LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_999),
                LocalDateTime.of(2026, 11, 26, 8, 30, 0, 123_456_789));
        Path file = dir.resolve("int96.parquet");
        ParquetTestFiles.writeGroups(file, INT96, times.size() + 1,
                Layout.of(CompressionCodecName.SNAPPY, dictionary, 100), (row, group) -> {
                    if (row < times.size()) {
                        group.add("ts", int96(times.get(row)));
                    }
                });

        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            assertThat(source.schema().getFields().getFirst().getType())
                    .isEqualTo(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null));
        }
        List<Object> expected = new ArrayList<>();
        for (LocalDateTime time : times) {
            // getObject gives a LocalDateTime; microseconds truncate the nanoseconds, as Spark and pyarrow do.
            expected.add(time.truncatedTo(ChronoUnit.MICROS));
        }
        expected.add(null);
        assertThat(readColumn(file)).isEqualTo(expected);
    }

    @Test
    void refusesAnInt96TimestampBeyondWhatMicrosecondsHoldInsteadOfWrappingIt() throws IOException {
        Path file = dir.resolve("far.parquet");
        ParquetTestFiles.writeGroups(file, INT96, 2, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                (row, group) -> group.add("ts", Binary.fromConstantByteArray(ByteBuffer.allocate(12)
                        .order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0).putInt(8, row == 0 ? 2_440_588 : Integer.MAX_VALUE)
                        .array())));

        assertThatThrownBy(() -> readColumn(file))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                .hasMessageContaining("an INT96 timestamp (Julian day 2147483647, 0 ns into the day) lies outside the"
                        + " range of 64-bit microseconds");
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {true, false})
    void servesDecimalsUpToTheirPrecisionAndRefusesAValueWithMoreDigits(boolean dictionary) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("""
                message m {
                  optional int32 small (DECIMAL(3,1));
                  optional fixed_len_byte_array(16) wide (DECIMAL(38,0));
                }""");
        BigInteger widest = BigInteger.TEN.pow(38).subtract(BigInteger.ONE);
        List<Integer> smalls = List.of(999, -999, 0, 5);
        List<BigInteger> wides = List.of(widest, widest.negate(), BigInteger.ZERO, BigInteger.ONE);
        Path fits = dir.resolve("fits.parquet");
        ParquetTestFiles.writeGroups(fits, schema, 4, Layout.of(CompressionCodecName.ZSTD, dictionary, 100),
                (row, group) -> {
                    group.add("small", smalls.get(row));
                    group.add("wide", Binary.fromConstantByteArray(ParquetTestFiles.twosComplement(wides.get(row), 16)));
                });
        assertThat(readColumn(fits, "small")).containsExactly(new BigDecimal("99.9"), new BigDecimal("-99.9"),
                new BigDecimal("0.0"), new BigDecimal("0.5"));
        assertThat(readColumn(fits, "wide")).containsExactly(new BigDecimal(widest), new BigDecimal(widest.negate()),
                BigDecimal.ZERO, BigDecimal.ONE);

        Path tooSmall = dir.resolve("too-small.parquet");
        ParquetTestFiles.writeGroups(tooSmall, schema, 4, Layout.of(CompressionCodecName.ZSTD, dictionary, 100),
                (row, group) -> group.add("small", row == 2 ? -1000 : row));
        assertThatThrownBy(() -> readColumn(tooSmall))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                .hasMessage("too-small.parquet is corrupt: row group 0 column small: a value (-100.0) has more digits"
                        + " than its DECIMAL(3,1) allows");

        Path tooWide = dir.resolve("too-wide.parquet");
        ParquetTestFiles.writeGroups(tooWide, schema, 2, Layout.of(CompressionCodecName.ZSTD, dictionary, 100),
                (row, group) -> group.add("wide", Binary.fromConstantByteArray(
                        ParquetTestFiles.twosComplement(row == 0 ? widest : BigInteger.TEN.pow(38), 16))));
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(tooWide);
                BatchReader reader = source.open(ScanSpec.of(List.of("wide")), allocator)) {
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOf(ConnectorException.class)
                    .hasMessage("too-wide.parquet is corrupt: row group 0 column wide: a value ("
                            + BigInteger.TEN.pow(38) + ") has more digits than its DECIMAL(38,0) allows");
        }
    }

    @Test
    void readsARawLz4BlockUnderTheLegacyLz4CodecAsArrowDoes() throws IOException {
        Path file = dir.resolve("raw-lz4.parquet");
        ParquetTestFiles.writeAllTypes(file, 250, new Layout(CompressionCodecName.LZ4_RAW, true, 100,
                WriterVersion.PARQUET_2_0));
        ParquetSurgery.rewriteFooter(file, footer -> footer.getRow_groups().forEach(group -> group
                .getColumns().forEach(chunk -> chunk.getMeta_data().setCodec(CompressionCodec.LZ4))));

        assertThat(readAllTypes(file)).isEqualTo(expectedRows(allColumns(), 0, 250));
    }

    @Test
    void readsHadoopFramedLz4PagesLargerThanHadoopsBufferSpanningSeveralChunks() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { required binary blob; }");
        Path file = dir.resolve("big-pages.parquet");
        ParquetTestFiles.write(file, schema, 300, Layout.of(CompressionCodecName.LZ4, false, 1_000),
                (column, row) -> ByteBuffer.wrap(blob(row)));
        // Pages of 97 rows of about 4 KB: three of about 390 KB, more than Hadoop's 256 KiB LZ4 buffer.
        assertThat(ParquetFooter.read(file).metadata().getBlocks().getFirst().getColumns().getFirst()
                .getTotalUncompressedSize()).isGreaterThan(1_150_000);

        List<Object> cells = readColumn(file);
        assertThat(cells).hasSize(300);
        for (int row = 0; row < 300; row++) {
            assertThat((byte[]) cells.get(row)).as("row %d", row).isEqualTo(blob(row));
        }
    }

    /** About 4 KiB, half of it repetitive so LZ4 finds matches, half not. */
    private static byte[] blob(int row) {
        byte[] bytes = new byte[4_000 + row % 17];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i < bytes.length / 2 ? i % 7 : (row * 31 + i * i * 13) >>> 3);
        }
        return bytes;
    }

    private static List<List<Object>> readAllTypes(Path file) {
        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(allColumns()).withBatchRows(64), allocator)) {
            while (reader.loadNextBatch()) {
                rows.addAll(rows(reader.root()));
            }
        }
        return rows;
    }

    @Test
    void readsV2PagesThatStoreNothingAfterTheirLevelsAsTheirNullsOrAsNoRows() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional int64 v; }");
        ColumnDescriptor column = schema.getColumns().getFirst();
        Path file = dir.resolve("empty-pages.parquet");
        ParquetFileWriter writer = new ParquetFileWriter(new LocalOutputFile(file), schema,
                ParquetFileWriter.Mode.OVERWRITE, 128 * 1024 * 1024, 0);
        writer.start();
        writer.startBlock(10);
        writer.startColumn(column, 10, CompressionCodecName.SNAPPY);
        Statistics<?> none = Statistics.createStats(column.getPrimitiveType());
        // A page without rows: zero bytes of levels, zero bytes of values, flagged compressed.
        writer.writeDataPageV2(0, 0, 0, BytesInput.empty(), BytesInput.empty(), Encoding.PLAIN, BytesInput.empty(), 0,
                none);
        // Five nulls (definition levels: an RLE run of five 0s) and no values at all, as Spark 3.5 writes them.
        writer.writeDataPageV2(5, 5, 5, BytesInput.empty(), BytesInput.from(new byte[] {5 << 1, 0}), Encoding.PLAIN,
                BytesInput.empty(), 0, none);
        byte[] three = longs(7, -8, 9);
        writer.writeDataPageV2(3, 0, 3, BytesInput.empty(), BytesInput.from(new byte[] {3 << 1, 1}), Encoding.PLAIN,
                BytesInput.from(Snappy.compress(three)), three.length, none);
        // Values stored uncompressed in a SNAPPY chunk (is_compressed = false).
        byte[] two = longs(10, 11);
        writer.writeDataPageV2(2, 0, 2, BytesInput.empty(), BytesInput.from(new byte[] {2 << 1, 1}), Encoding.PLAIN,
                BytesInput.from(two), false, two.length, none);
        writer.endColumn();
        writer.endBlock();
        writer.end(Map.of());

        assertThat(readColumn(file)).containsExactly(null, null, null, null, null, 7L, -8L, 9L, 10L, 11L);
    }

    private static byte[] longs(long... values) {
        ByteBuffer buffer = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            buffer.putLong(value);
        }
        return buffer.array();
    }
}
