package io.sluice.connectors.parquet;

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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directory sources: hive partitions, one schema across files, hidden files, links, the fingerprint. */
class ParquetDirectoryTest {
    static final MessageType VISITS = MessageTypeParser.parseMessageType("""
            message visits { required int64 id; optional binary ward (STRING); }
            """);
    private static final Layout LAYOUT = Layout.of(CompressionCodecName.SNAPPY, true, 40);

    @TempDir
    Path dir;

    /** Writes {@code rows} visits with ids from {@code firstId} into {@code file}. */
    static void writeVisits(Path file, long firstId, int rows) throws IOException {
        Files.createDirectories(file.getParent());
        ParquetTestFiles.write(file, VISITS, rows, LAYOUT,
                (column, row) -> column.equals("id") ? firstId + row : row % 5 == 0 ? null : "ward-" + (firstId + row) % 7);
    }

    @Test
    void turnsHivePartitionFoldersIntoTypedColumnsAfterTheFileColumns() throws IOException {
        Path sales = dir.resolve("sales");
        writeVisits(sales.resolve("year=2024/day=2024-03-01/region=eu/flag=true/part-0.parquet"), 0, 100);
        writeVisits(sales.resolve("year=2024/day=2024-03-02/region=us%2Fwest/flag=false/part-0.parquet"), 100, 50);
        writeVisits(sales.resolve("year=2025/day=2024-03-02/region=__HIVE_DEFAULT_PARTITION__/flag=true/part-1.parquet"),
                150, 30);
        Files.writeString(sales.resolve("_SUCCESS"), "");
        Files.writeString(sales.resolve("year=2024/.part-0.parquet.crc"), "not parquet");
        Files.createDirectories(sales.resolve("_temporary/0"));
        Files.writeString(sales.resolve("_temporary/0/junk.parquet"), "not parquet");

        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", sales))) {
            assertThat(source.schema()).isEqualTo(new Schema(List.of(
                    new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                    new Field("ward", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
                    new Field("year", FieldType.nullable(new ArrowType.Int(64, true)), null),
                    new Field("day", FieldType.nullable(new ArrowType.Date(DateUnit.DAY)), null),
                    new Field("region", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
                    new Field("flag", FieldType.nullable(ArrowType.Bool.INSTANCE), null))));
            assertThat(source.rowCount()).isEqualTo(OptionalLong.of(180));
            assertThat(((ParquetBatchSource) source).fileCount()).isEqualTo(3);

            List<List<Object>> rows = new ArrayList<>();
            try (BatchReader reader = source.open(new ScanSpec(List.of("region", "id", "year", "day", "flag", "ward"), 64),
                    allocator)) {
                while (reader.loadNextBatch()) {
                    rows.addAll(ParquetTestFiles.rows(reader.root()));
                }
            }
            List<List<Object>> expected = new ArrayList<>();
            for (long id = 0; id < 180; id++) {
                String region = id < 100 ? "eu" : id < 150 ? "us/west" : null;
                long year = id < 150 ? 2024 : 2025;
                int day = (int) LocalDate.parse(id < 100 ? "2024-03-01" : "2024-03-02").toEpochDay();
                boolean flag = id < 100 || id >= 150;
                String ward = (int) (id < 100 ? id : id < 150 ? id - 100 : id - 150) % 5 == 0 ? null : "ward-" + id % 7;
                expected.add(java.util.Arrays.asList(region, id, year, day, flag, ward));
            }
            assertThat(rows).isEqualTo(expected);
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void fingerprintIsSha256OverEachFilesPathSizeAndFooterInPathOrder() throws Exception {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("b/part-1.parquet"), 10, 10);
        writeVisits(data.resolve("a.parquet"), 0, 10);

        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (String relative : List.of("a.parquet", "b/part-1.parquet")) {
            byte[] bytes = Files.readAllBytes(data.resolve(relative));
            int footerLength = ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            sha256.update(relative.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(ByteBuffer.allocate(12).putLong(0, bytes.length).putInt(8, footerLength));
            sha256.update(bytes, bytes.length - 8 - footerLength, footerLength);
        }
        String expected = HexFormat.of().formatHex(sha256.digest());

        try (ParquetBatchSource source = ParquetBatchSource.open(data)) {
            assertThat(source.fingerprint()).isEqualTo(expected);
        }
        writeVisits(data.resolve("b/part-1.parquet"), 11, 10);
        try (ParquetBatchSource source = ParquetBatchSource.open(data)) {
            assertThat(source.fingerprint()).matches("[0-9a-f]{64}").isNotEqualTo(expected);
        }
    }

    @Test
    void refusesFilesWhoseSchemasDifferNamingBothFilesAndTheColumn() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("a.parquet"), 0, 10);
        ParquetTestFiles.write(data.resolve("b.parquet"), MessageTypeParser.parseMessageType(
                        "message visits { required int32 id; optional binary ward (STRING); }"), 3, LAYOUT,
                (column, row) -> column.equals("id") ? row : "w");

        assertThatThrownBy(() -> ParquetBatchSource.open(data))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SCHEMA_MISMATCH))
                .hasMessage("column 'id' is Int(32, true) in data/b.parquet but Int(64, true) in data/a.parquet");
    }

    @Test
    void refusesFilesWithDifferentColumns() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("a.parquet"), 0, 10);
        ParquetTestFiles.write(data.resolve("b.parquet"), MessageTypeParser.parseMessageType(
                "message visits { required int64 id; }"), 3, LAYOUT, (column, row) -> (long) row);

        assertThatThrownBy(() -> ParquetBatchSource.open(data))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SCHEMA_MISMATCH))
                .hasMessage("data/b.parquet has columns [id] but data/a.parquet has [id, ward]; every file of a"
                        + " directory must have the same columns in the same order");
    }

    @Test
    void refusesFilesUnderDifferentPartitionKeys() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("year=2024/a.parquet"), 0, 10);
        writeVisits(data.resolve("region=eu/b.parquet"), 10, 10);

        assertThatThrownBy(() -> ParquetBatchSource.open(data))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SCHEMA_MISMATCH))
                .hasMessage("data/year=2024/a.parquet is partitioned by [year] but data/region=eu/b.parquet by [region];"
                        + " every file of a directory must sit under the same key=value folders");
    }

    @Test
    void unifiesNullabilityAcrossFiles() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("a.parquet"), 0, 10);
        ParquetTestFiles.write(data.resolve("b.parquet"), MessageTypeParser.parseMessageType(
                        "message visits { optional int64 id; optional binary ward (STRING); }"), 3, LAYOUT,
                (column, row) -> column.equals("id") ? (row == 1 ? null : 10L + row) : "w");

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(data);
                BatchReader reader = source.open(ScanSpec.of(List.of("id")), allocator)) {
            assertThat(source.schema().findField("id").isNullable()).isTrue();
            List<Object> ids = new ArrayList<>();
            while (reader.loadNextBatch()) {
                ParquetTestFiles.rows(reader.root()).forEach(row -> ids.add(row.getFirst()));
            }
            assertThat(ids).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, null, 12L);
        }
    }

    @Test
    void refusesASymbolicLinkInsideTheDirectory() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("a.parquet"), 0, 10);
        Path outside = dir.resolve("outside.parquet");
        writeVisits(outside, 100, 10);
        Files.createSymbolicLink(data.resolve("b.parquet"), outside);

        assertThatThrownBy(() -> ParquetBatchSource.open(data))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.PATH_OUTSIDE_ROOT))
                .hasMessage("data/b.parquet is a symbolic link; a directory source must hold plain files and folders");
    }

    @Test
    void namesTheFileThatIsNotParquet() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("a.parquet"), 0, 10);
        Files.writeString(data.resolve("notes.txt"), "hello, this is not parquet");

        assertThatThrownBy(() -> ParquetBatchSource.open(data))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                .hasMessage("data/notes.txt is not a Parquet file: it does not start with the PAR1 magic");
    }

    @Test
    void refusesToReadAFileOfTheDirectoryThatChanged() throws IOException {
        Path data = dir.resolve("data");
        writeVisits(data.resolve("a.parquet"), 0, 10);
        writeVisits(data.resolve("b.parquet"), 10, 10);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(data)) {
            writeVisits(data.resolve("b.parquet"), 10, 11);
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("id")), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_CHANGED))
                    .hasMessage("data/b.parquet changed since the source was opened (fingerprint " + source.fingerprint()
                            + "); open the source again to serve the new version");
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }
}
