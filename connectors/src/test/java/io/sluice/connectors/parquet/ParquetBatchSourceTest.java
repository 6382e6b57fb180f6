package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.ParquetTestFiles.allColumns;
import static io.sluice.connectors.parquet.ParquetTestFiles.expectedRows;
import static io.sluice.connectors.parquet.ParquetTestFiles.rows;
import static io.sluice.connectors.parquet.ParquetTestFiles.writeAllTypes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParquetBatchSourceTest {
    private static final int ROWS = 1_000;
    private static final int ROW_GROUP_ROWS = 300;

    @TempDir
    Path dir;

    @Test
    void mapsEveryParquetTypeToItsArrowTypeWithOptionalAsNullable() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100));

        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            assertThat(source.schema()).isEqualTo(new Schema(List.of(
                    field("req_int32", false, new ArrowType.Int(32, true)),
                    field("opt_int32", true, new ArrowType.Int(32, true)),
                    field("opt_int8", true, new ArrowType.Int(8, true)),
                    field("req_int16", false, new ArrowType.Int(16, true)),
                    field("opt_uint8", true, new ArrowType.Int(8, false)),
                    field("opt_uint16", true, new ArrowType.Int(16, false)),
                    field("opt_uint32", true, new ArrowType.Int(32, false)),
                    field("opt_date", true, new ArrowType.Date(DateUnit.DAY)),
                    field("req_int64", false, new ArrowType.Int(64, true)),
                    field("opt_int64", true, new ArrowType.Int(64, true)),
                    field("opt_uint64", true, new ArrowType.Int(64, false)),
                    field("ts_millis_utc", true, new ArrowType.Timestamp(TimeUnit.MILLISECOND, "UTC")),
                    field("ts_micros_local", true, new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                    field("ts_nanos_utc", false, new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC")),
                    field("req_float", false, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                    field("opt_float", true, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                    field("req_double", false, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                    field("opt_double", true, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                    field("req_bool", false, ArrowType.Bool.INSTANCE),
                    field("opt_bool", true, ArrowType.Bool.INSTANCE),
                    field("req_string", false, ArrowType.Utf8.INSTANCE),
                    field("opt_string", true, ArrowType.Utf8.INSTANCE),
                    field("req_binary", false, ArrowType.Binary.INSTANCE),
                    field("opt_binary", true, ArrowType.Binary.INSTANCE))));
        }
    }

    @ParameterizedTest(name = "{0}, dictionary {1}, {2}, batches of {3}")
    @CsvSource({
        "SNAPPY, true, PARQUET_1_0, 128",
        "UNCOMPRESSED, false, PARQUET_1_0, 128",
        "GZIP, true, PARQUET_2_0, 77",
        "UNCOMPRESSED, false, PARQUET_2_0, 1000",
        "LZ4, true, PARQUET_1_0, 128",
        "LZ4, false, PARQUET_2_0, 77",
    })
    void returnsEveryValueAndEveryNullAcrossRowGroupsAndBatches(CompressionCodecName codec, boolean dictionary,
            WriterVersion version, int batchRows) throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, ROWS, new Layout(codec, dictionary, ROW_GROUP_ROWS, version));

        List<Integer> batchSizes = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(allColumns(), batchRows), allocator)) {
            while (reader.loadNextBatch()) {
                batchSizes.add(reader.root().getRowCount());
                rows.addAll(rows(reader.root()));
            }
            assertThat(reader.root().getRowCount()).isZero();
        }

        assertThat(batchSizes).isEqualTo(expectedBatchSizes(batchRows));
        assertThat(rows).hasSize(ROWS);
        for (int row = 0; row < ROWS; row++) {
            assertThat(rows.get(row)).as("row %d", row).isEqualTo(expectedRows(allColumns(), row, row + 1).getFirst());
        }
    }

    /** Row groups of 300, 300, 300 and 100 rows, each cut into batches of at most batchRows. */
    private static List<Integer> expectedBatchSizes(int batchRows) {
        List<Integer> sizes = new ArrayList<>();
        for (int groupStart = 0; groupStart < ROWS; groupStart += ROW_GROUP_ROWS) {
            int left = Math.min(ROW_GROUP_ROWS, ROWS - groupStart);
            while (left > 0) {
                sizes.add(Math.min(batchRows, left));
                left -= Math.min(batchRows, left);
            }
        }
        return sizes;
    }

    @Test
    void returnsOnlyTheAskedColumnsInTheAskedOrder() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, ROWS, Layout.of(CompressionCodecName.SNAPPY, true, ROW_GROUP_ROWS));
        List<String> columns = List.of("opt_string", "req_int64", "opt_bool");

        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(columns, 256), allocator)) {
            assertThat(reader.schema().getFields()).extracting(Field::getName).isEqualTo(columns);
            while (reader.loadNextBatch()) {
                assertThat(reader.root().getSchema()).isEqualTo(reader.schema());
                rows.addAll(rows(reader.root()));
            }
        }

        assertThat(rows).isEqualTo(expectedRows(columns, 0, ROWS));
    }

    @Test
    void rejectsAnUnknownColumnNamingItAndTheAvailableOnes() throws IOException {
        Path file = dir.resolve("small.parquet");
        ParquetTestFiles.write(file, MessageTypeParser.parseMessageType(
                "message m { required int32 id; optional binary name (STRING); }"), 3,
                Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                (column, row) -> column.equals("id") ? row : "n" + row);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file)) {
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("id", "nmae")), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNKNOWN_COLUMN))
                    .hasMessage("unknown column 'nmae' in small.parquet; available columns: [id, name]");
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void countsRowsFromTheFooter() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, ROWS, Layout.of(CompressionCodecName.UNCOMPRESSED, false, ROW_GROUP_ROWS));

        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            assertThat(source.rowCount()).isEqualTo(OptionalLong.of(ROWS));
        }
    }

    @Test
    void readsAFileWithoutRowsAsNoBatches() throws IOException {
        Path file = dir.resolve("empty.parquet");
        writeAllTypes(file, 0, Layout.of(CompressionCodecName.SNAPPY, true, ROW_GROUP_ROWS));

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(allColumns()), allocator)) {
            assertThat(source.rowCount()).isEqualTo(OptionalLong.of(0));
            assertThat(reader.loadNextBatch()).isFalse();
            assertThat(reader.loadNextBatch()).isFalse();
            assertThat(reader.root().getRowCount()).isZero();
        }
    }

    @Test
    void fingerprintIsSha256OfNameSizeAndFooterAndStableForTheSameBytes() throws Exception {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, ROWS, Layout.of(CompressionCodecName.SNAPPY, true, ROW_GROUP_ROWS));
        Path copyDir = Files.createDirectory(dir.resolve("copy"));
        Path copy = Files.copy(file, copyDir.resolve("all.parquet"));

        String fingerprint;
        try (ParquetBatchSource source = ParquetBatchSource.open(file);
                ParquetBatchSource again = ParquetBatchSource.open(file);
                ParquetBatchSource copied = ParquetBatchSource.open(copy)) {
            fingerprint = source.fingerprint();
            assertThat(again.fingerprint()).isEqualTo(fingerprint);
            assertThat(copied.fingerprint()).isEqualTo(fingerprint);
        }
        assertThat(fingerprint).isEqualTo(expectedFingerprint(file));
    }

    @Test
    void fingerprintChangesWhenOneValueIsRewritten() throws IOException {
        Path file = dir.resolve("all.parquet");
        Layout layout = Layout.of(CompressionCodecName.UNCOMPRESSED, false, ROW_GROUP_ROWS);
        writeAllTypes(file, ROWS, layout);
        String before;
        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            before = source.fingerprint();
        }

        ParquetTestFiles.write(file, ParquetTestFiles.ALL_TYPES, ROWS, layout,
                (column, row) -> column.equals("req_int64") && row == 500 ? 42L : ParquetTestFiles.value(column, row));

        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            assertThat(source.fingerprint()).matches("[0-9a-f]{64}").isNotEqualTo(before);
        }
    }

    @Test
    void refusesToScanAFileThatChangedSinceTheSourceWasOpened() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, ROW_GROUP_ROWS));

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file)) {
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));

            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("req_int32")), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_CHANGED))
                    .hasMessage("all.parquet changed since the source was opened (fingerprint " + source.fingerprint()
                            + "); open the source again to serve the new version");
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void readerTakesANamedChildAllocatorAndReleasesItOnCloseTwice() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, ROWS, Layout.of(CompressionCodecName.SNAPPY, true, ROW_GROUP_ROWS));

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file)) {
            BatchReader reader = source.open(new ScanSpec(allColumns(), 100), allocator);
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(allocator.getChildAllocators()).singleElement()
                    .satisfies(child -> assertThat(child.getName()).isEqualTo("parquet-scan:all.parquet"));
            assertThat(allocator.getAllocatedMemory()).isPositive();

            reader.close();
            reader.close();

            assertThat(allocator.getChildAllocators()).isEmpty();
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("scan of all.parquet is closed");
        }
    }

    @Test
    void keepsReadingWhenTheCallerTransfersTheBuffersOfABatchAway() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, ROWS, Layout.of(CompressionCodecName.UNCOMPRESSED, true, ROW_GROUP_ROWS));

        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(allColumns(), 200), allocator)) {
            while (reader.loadNextBatch()) {
                try (VectorSchemaRoot kept = new VectorSchemaRoot(reader.root().getFieldVectors().stream()
                        .map(vector -> {
                            TransferPair pair = vector.getTransferPair(allocator);
                            pair.transfer();
                            return (FieldVector) pair.getTo();
                        })
                        .toList())) {
                    kept.setRowCount(kept.getFieldVectors().getFirst().getValueCount());
                    rows.addAll(rows(kept));
                }
            }
        }

        assertThat(rows).isEqualTo(expectedRows(allColumns(), 0, ROWS));
    }

    @Test
    void refusesScansAfterTheSourceIsClosed() throws IOException {
        Path file = dir.resolve("all.parquet");
        writeAllTypes(file, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, ROW_GROUP_ROWS));

        try (BufferAllocator allocator = new RootAllocator()) {
            ParquetBatchSource source = ParquetBatchSource.open(file);
            source.close();

            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("req_int32")), allocator))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("source all.parquet is closed");
        }
    }

    private static String expectedFingerprint(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        int footerLength = ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update("all.parquet".getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        sha256.update(ByteBuffer.allocate(8).putLong(0, bytes.length));
        sha256.update(bytes, bytes.length - 8 - footerLength, footerLength);
        return HexFormat.of().formatHex(sha256.digest());
    }

    private static Field field(String name, boolean nullable, ArrowType type) {
        return new Field(name, new FieldType(nullable, type, null), null);
    }
}
