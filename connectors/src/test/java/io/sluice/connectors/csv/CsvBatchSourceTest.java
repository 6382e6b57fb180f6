package io.sluice.connectors.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanMetrics;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.SourceConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CsvBatchSourceTest {
    @TempDir
    Path dir;

    private Path csv(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private static BatchSource open(Path file, Map<String, String> options) {
        return Connectors.discover().open(SourceConfig.ofFile("csv", file, options));
    }

    /** Every row of a full scan, cells as Java values (Long, Double, Boolean, LocalDate, Instant, LocalDateTime, String). */
    private record Result(List<List<Object>> rows, ScanMetrics metrics) {}

    private static Result scan(BatchSource source, ScanSpec spec) {
        List<List<Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator(); BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.root();
                for (int r = 0; r < root.getRowCount(); r++) {
                    List<Object> cells = new ArrayList<>();
                    for (FieldVector vector : root.getFieldVectors()) {
                        cells.add(cell(vector, r));
                    }
                    rows.add(cells);
                }
            }
            ScanMetrics metrics = reader.metrics();
            reader.close();
            assertThat(allocator.getAllocatedMemory()).isZero();
            return new Result(rows, metrics);
        }
    }

    private static Result scanAll(BatchSource source) {
        return scan(source, ScanSpec.of(source.schema().getFields().stream().map(Field::getName).toList()));
    }

    private static Object cell(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        return switch (vector) {
            case BigIntVector v -> v.get(row);
            case IntVector v -> v.get(row);
            case Float8Vector v -> v.get(row);
            case BitVector v -> v.get(row) == 1;
            case DateDayVector v -> LocalDate.ofEpochDay(v.get(row));
            case TimeStampVector v -> ((ArrowType.Timestamp) v.getField().getType()).getTimezone() == null
                    ? LocalDateTime.ofEpochSecond(Math.floorDiv(v.get(row), 1_000_000L),
                            (int) Math.floorMod(v.get(row), 1_000_000L) * 1_000, ZoneOffset.UTC)
                    : Instant.ofEpochSecond(0, v.get(row) * 1_000);
            case VarCharVector v -> new String(v.get(row), StandardCharsets.UTF_8);
            default -> throw new IllegalArgumentException(vector.getClass().getSimpleName());
        };
    }

    private static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    @Test
    void infersEveryTypeFromTheSampleAndReadsEveryValue() throws IOException {
        Path file = csv("patients.csv", """
                id,score,consent,born,seen_at,seen_utc,name,empty
                1,1.5,true,1980-02-29,2024-03-01 10:00:00,2024-03-01T10:00:00Z,Ann,
                -2,2,FALSE,2000-12-31,2024-03-01T23:59:59.123456,2024-03-01T12:00:00+02:00,Bob,
                ,-3e2,,1970-01-01,2024-03-02,2024-03-02T00:00:00.5-01:30,"",
                9223372036854775807, .25 ,True,,,,"Chloé, ""C""\",
                """);

        try (BatchSource source = open(file, Map.of())) {
            assertThat(source.schema()).isEqualTo(new Schema(List.of(
                    field("id", new ArrowType.Int(64, true)),
                    field("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                    field("consent", ArrowType.Bool.INSTANCE),
                    field("born", new ArrowType.Date(DateUnit.DAY)),
                    field("seen_at", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                    field("seen_utc", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
                    field("name", ArrowType.Utf8.INSTANCE),
                    field("empty", ArrowType.Utf8.INSTANCE))));
            assertThat(((CsvBatchSource) source).hasHeader()).isTrue();

            assertThat(scanAll(source).rows()).containsExactly(
                    Arrays.asList(1L, 1.5, true, LocalDate.of(1980, 2, 29), LocalDateTime.parse("2024-03-01T10:00:00"),
                            Instant.parse("2024-03-01T10:00:00Z"), "Ann", null),
                    Arrays.asList(-2L, 2.0, false, LocalDate.of(2000, 12, 31),
                            LocalDateTime.parse("2024-03-01T23:59:59.123456"), Instant.parse("2024-03-01T10:00:00Z"),
                            "Bob", null),
                    Arrays.asList(null, -300.0, null, LocalDate.of(1970, 1, 1), LocalDateTime.parse("2024-03-02T00:00:00"),
                            Instant.parse("2024-03-02T01:30:00.5Z"), "", null),
                    Arrays.asList(Long.MAX_VALUE, 0.25, true, null, null, null, "Chloé, \"C\"", null));
        }
    }

    @Test
    void appliesTypeOverridesByColumnName() throws IOException {
        Path file = csv("visits.csv", "age,visit,code\n42,2024-01-02,007\n,2024-01-03,010\n");

        try (BatchSource source = open(file, Map.of("types", "age:int32, visit:utf8 ,code:string"))) {
            assertThat(source.schema().getFields()).extracting(Field::getType).containsExactly(
                    new ArrowType.Int(32, true), ArrowType.Utf8.INSTANCE, ArrowType.Utf8.INSTANCE);
            assertThat(scanAll(source).rows()).containsExactly(
                    Arrays.asList(42, "2024-01-02", "007"), Arrays.asList(null, "2024-01-03", "010"));
        }
    }

    @Test
    void refusesAnOverrideForAnUnknownColumnOrType() throws IOException {
        Path file = csv("visits.csv", "age,visit\n42,2024-01-02\n");

        assertThatThrownBy(() -> open(file, Map.of("types", "agee:int64")))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessage("source type 'csv': option 'types' names column 'agee' but visits.csv has columns [age, visit]");
        assertThatThrownBy(() -> open(file, Map.of("types", "age:integer128")))
                .hasMessage("source type 'csv': option 'types' names unknown type 'integer128' for column 'age'; known:"
                        + " boolean, int32, int64, double, date, timestamp, timestamptz, utf8");
        assertThatThrownBy(() -> open(file, Map.of("onError", "ignore")))
                .hasMessage("source type 'csv': option 'onError' must be one of [reject, skip], was 'ignore'");
        assertThatThrownBy(() -> open(file, Map.of("delimiter", ";;")))
                .hasMessage("source type 'csv': option 'delimiter' must be one ASCII character (or 'tab'), was ';;'");
    }

    @Test
    void detectsAMissingHeaderAndNamesTheColumns() throws IOException {
        Path file = csv("raw.csv", "1,2024-01-01,x\n2,2024-01-02,y\n");

        try (BatchSource source = open(file, Map.of())) {
            assertThat(((CsvBatchSource) source).hasHeader()).isFalse();
            assertThat(source.schema().getFields()).extracting(Field::getName).containsExactly("column1", "column2", "column3");
            assertThat(scanAll(source).rows()).containsExactly(
                    Arrays.asList(1L, LocalDate.of(2024, 1, 1), "x"), Arrays.asList(2L, LocalDate.of(2024, 1, 2), "y"));
        }
    }

    @Test
    void takesTheHeaderOptionOverDetectionAndDeduplicatesNames() throws IOException {
        Path file = csv("names.csv", "a,a,,b\nx,y,z,w\n");

        try (BatchSource withHeader = open(file, Map.of("header", "true"));
                BatchSource without = open(file, Map.of("header", "false"))) {
            assertThat(withHeader.schema().getFields()).extracting(Field::getName)
                    .containsExactly("a", "a_2", "column3", "b");
            assertThat(scanAll(withHeader).rows()).containsExactly(List.of("x", "y", "z", "w"));
            assertThat(scanAll(without).rows()).containsExactly(Arrays.asList("a", "a", null, "b"), List.of("x", "y", "z", "w"));
        }
    }

    @Test
    void readsQuotedFieldsWithDelimitersQuotesAndLineBreaksAndCrlfLines() throws IOException {
        Path file = csv("quotes.csv", "\uFEFFid;note\r\n1;\"a;b\"\r\n2;\"say \"\"hi\"\"\"\r\n3;\"two\r\nlines\"\r\n4;\r\n\r\n5;\"\"\r\n");

        try (BatchSource source = open(file, Map.of("delimiter", ";"))) {
            assertThat(source.schema().getFields()).extracting(Field::getName).containsExactly("id", "note");
            assertThat(scanAll(source).rows()).containsExactly(
                    Arrays.asList(1L, "a;b"), Arrays.asList(2L, "say \"hi\""), Arrays.asList(3L, "two\r\nlines"),
                    Arrays.asList(4L, null), Arrays.asList(5L, ""));
        }
    }

    @Test
    void readsTabSeparatedValues() throws IOException {
        Path file = csv("data.tsv", "id\tname\n1\tAnn Lee\n2\tBo\n");

        try (BatchSource source = open(file, Map.of("delimiter", "tab"))) {
            assertThat(scanAll(source).rows()).containsExactly(List.of(1L, "Ann Lee"), List.of(2L, "Bo"));
        }
    }

    @Test
    void rejectsARowWithTheWrongNumberOfFieldsNamingItsLine() throws IOException {
        Path file = csv("short.csv", "id,note\n1,\"two\nlines\"\n2,b\n3\n4,d\n");

        try (BatchSource source = open(file, Map.of())) {
            assertThatThrownBy(() -> scanAll(source))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("short.csv line 5: expected 2 fields, found 1");
        }
    }

    @Test
    void rejectsAValueThatIsNotOfItsColumnsTypeNamingLineAndColumnButNotTheValue() throws IOException {
        Path file = csv("ages.csv", "id,age\n1,30\n2,31\n3,thirty-two\n");

        try (BatchSource source = open(file, Map.of("types", "age:int64"))) {
            assertThatThrownBy(() -> scanAll(source))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("ages.csv line 4, column 'age': the value is not an int64")
                    .message().doesNotContain("thirty");
        }
    }

    @Test
    void rejectsAValueBeyondTheSampleThatBreaksTheInferredType() throws IOException {
        StringBuilder content = new StringBuilder("id,amount\n");
        for (int i = 0; i < 30; i++) {
            content.append(i).append(',').append(i * 10).append('\n');
        }
        content.append("30,1.5\n");
        Path file = csv("late.csv", content.toString());

        try (BatchSource source = open(file, Map.of("sampleRows", "20"))) {
            assertThat(source.schema().findField("amount").getType()).isEqualTo(new ArrowType.Int(64, true));
            assertThatThrownBy(() -> scanAll(source))
                    .hasMessage("late.csv line 32, column 'amount': the value is not an int64");
        }
    }

    @Test
    void skipsAndCountsMalformedRowsWhenAskedEvenInColumnsNotProjected() throws IOException {
        Path file = csv("mixed.csv", "id,age,note\n1,30,a\n2,x,b\n3\n4,33,\"unclosed\"tail\n5,35,e\n6,36,f,extra\n7,37,g\n");

        try (BatchSource source = open(file, Map.of("onError", "skip", "types", "age:int64"))) {
            Result all = scanAll(source);
            assertThat(all.rows()).containsExactly(List.of(1L, 30L, "a"), List.of(5L, 35L, "e"), List.of(7L, 37L, "g"));
            assertThat(all.metrics().malformedRowsSkipped()).isEqualTo(4);
            assertThat(all.metrics().rows()).isEqualTo(3);

            Result ids = scan(source, ScanSpec.of(List.of("id")));
            assertThat(ids.rows()).containsExactly(List.of(1L), List.of(5L), List.of(7L));
            assertThat(ids.metrics().malformedRowsSkipped()).isEqualTo(4);
        }
    }

    @Test
    void skipsMalformedRowsAcrossChunksKeepingStringsAndNullsRight() throws IOException {
        StringBuilder content = new StringBuilder("id,name,n\n");
        List<List<Object>> expected = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            boolean bad = i % 97 == 5;
            String name = i % 11 == 0 ? "" : "name-" + i;
            content.append(i).append(',').append(name).append(',').append(bad ? "oops" : i % 13 == 0 ? "" : Integer.toString(i))
                    .append('\n');
            if (!bad) {
                expected.add(Arrays.asList((long) i, name.isEmpty() ? null : name, i % 13 == 0 ? null : (long) i));
            }
        }
        Path file = csv("many.csv", content.toString());

        try (BatchSource source = open(file, Map.of("onError", "skip", "types", "n:int64"))) {
            Result result = scan(source, new ScanSpec(List.of("id", "name", "n"), 3_000));
            assertThat(result.rows()).isEqualTo(expected);
            assertThat(result.metrics().malformedRowsSkipped()).isEqualTo(10_000 - expected.size());
        }
    }

    @Test
    void rejectsAQuoteThatIsNeverClosed() throws IOException {
        Path file = csv("open.csv", "id,note\n1,a\n2,\"never closed\n3,c\n");

        assertThatThrownBy(() -> open(file, Map.of()))
                .hasMessage("open.csv line 3: a quoted field is not closed before the end of the file");
        try (BatchSource source = open(file, Map.of("sampleRows", "1"))) {
            assertThatThrownBy(() -> scanAll(source))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("open.csv line 3: a quoted field is not closed before the end of the file");
        }
    }

    @Test
    void refusesARecordLongerThanTheLimitWithoutReadingItIntoMemory() throws IOException {
        Path file = dir.resolve("long.csv");
        try (var out = Files.newBufferedWriter(file)) {
            out.write("id,note\n1,ok\n2,\"");
            char[] chunk = new char[64 * 1024];
            Arrays.fill(chunk, 'x');
            for (int i = 0; i < 64; i++) { // a 4 MiB quoted field that never closes
                out.write(chunk);
            }
        }

        assertThatThrownBy(() -> open(file, Map.of("maxRecordBytes", "1048576")))
                .hasMessageStartingWith("long.csv line 3: a record is longer than 1048576 bytes");
        try (BatchSource source = open(file, Map.of("maxRecordBytes", "1048576", "header", "true", "sampleRows", "1"))) {
            assertThatThrownBy(() -> scanAll(source))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("long.csv line 3: a record is longer than 1048576 bytes (option maxRecordBytes); is a"
                            + " quote not closed?");
        }
    }

    @Test
    void rejectsInvalidUtf8AsAMalformedValue() throws IOException {
        Path file = dir.resolve("latin1.csv");
        Files.write(file, new byte[] {'i', 'd', ',', 'n', '\n', '1', ',', 'a', '\n', '2', ',', (byte) 0xE9, 't', 'e', '\n'});

        try (BatchSource source = open(file, Map.of())) {
            assertThatThrownBy(() -> scanAll(source)).hasMessage("latin1.csv line 3, column 'n': the value is not valid UTF-8");
        }
    }

    @Test
    void fingerprintIsTheSha256OfTheContent() throws Exception {
        String content = "id,name\n1,a\n2,b\n";
        Path file = csv("small.csv", content);

        try (BatchSource source = open(file, Map.of())) {
            assertThat(source.fingerprint()).isEqualTo(HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8))));
        }
    }

    @Test
    void refusesToScanAFileThatChangedSinceTheSourceWasOpened() throws IOException {
        Path file = csv("small.csv", "id,name\n1,a\n");

        try (BufferAllocator allocator = new RootAllocator(); BatchSource source = open(file, Map.of())) {
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
            assertThatThrownBy(() -> source.open(ScanSpec.of(List.of("id")), allocator))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_CHANGED))
                    .hasMessage("small.csv changed since the source was opened (fingerprint " + source.fingerprint()
                            + "); open the source again to serve the new version");
        }
    }

    @Test
    void returnsOnlyTheAskedColumnsInTheAskedOrder() throws IOException {
        Path file = csv("cols.csv", "a,b,c\n1,x,2.5\n2,y,3.5\n");

        try (BatchSource source = open(file, Map.of())) {
            assertThat(scan(source, ScanSpec.of(List.of("c", "a"))).rows())
                    .containsExactly(List.of(2.5, 1L), List.of(3.5, 2L));
            assertThatThrownBy(() -> scan(source, ScanSpec.of(List.of("d"))))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNKNOWN_COLUMN))
                    .hasMessage("unknown column 'd' in cols.csv; available columns: [a, b, c]");
        }
    }

    @ParameterizedTest(name = "{0} shards")
    @ValueSource(ints = {1, 2, 3, 5})
    void shardsAreDisjointCompleteAndDeterministic(int shards) throws IOException {
        StringBuilder content = new StringBuilder("id\n");
        int rows = CsvBatchSource.SHARD_BLOCK_RECORDS * 4 + 123;
        for (int i = 0; i < rows; i++) {
            content.append(i).append('\n');
        }
        Path file = csv("ids.csv", content.toString());

        Set<Object> seen = new HashSet<>();
        try (BatchSource source = open(file, Map.of())) {
            for (int shard = 0; shard < shards; shard++) {
                ScanSpec spec = new ScanSpec(List.of("id"), 10_000).withShard(shard, shards);
                List<List<Object>> first = scan(source, spec).rows();
                assertThat(scan(source, spec).rows()).isEqualTo(first);
                for (List<Object> row : first) {
                    assertThat(seen.add(row.getFirst())).as("row %s in one shard only", row).isTrue();
                }
            }
        }
        assertThat(seen).hasSize(rows);
    }

    @Test
    void readsAFileLargerThanItsBufferWithFieldsAcrossBufferBoundaries() throws IOException {
        Random random = new Random(3);
        StringBuilder content = new StringBuilder("id,text,value\n");
        List<List<Object>> expected = new ArrayList<>();
        int rows = 40_000;
        for (int i = 0; i < rows; i++) {
            int length = random.nextInt(120);
            StringBuilder text = new StringBuilder();
            for (int c = 0; c < length; c++) {
                String alphabet = "abc,\" \nxyzé€";
                char ch = alphabet.charAt(random.nextInt(alphabet.length()));
                text.append(ch);
            }
            String value = text.toString();
            boolean quote = value.contains(",") || value.contains("\"") || value.contains("\n") || value.isEmpty();
            content.append(i).append(',')
                    .append(quote ? "\"" + value.replace("\"", "\"\"") + "\"" : value).append(',')
                    .append(i * 0.5).append('\n');
            expected.add(Arrays.asList((long) i, value, i * 0.5));
        }
        Path file = csv("big.csv", content.toString());
        assertThat(Files.size(file)).isGreaterThan(2L * 1024 * 1024);

        try (BatchSource source = open(file, Map.of("types", "text:utf8"))) {
            assertThat(scan(source, new ScanSpec(List.of("id", "text", "value"), 7_000)).rows()).isEqualTo(expected);
        }
    }

    @Test
    void stopsAtTheMemoryBound() throws IOException {
        String text = "y".repeat(1_000);
        StringBuilder content = new StringBuilder("id,text\n");
        for (int i = 0; i < 2_000; i++) {
            content.append(i).append(',').append(text).append('\n');
        }
        Path file = csv("wide.csv", content.toString());

        try (BatchSource source = open(file, Map.of("maxBatchBytes", "262144"))) {
            assertThatThrownBy(() -> scanAll(source))
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED))
                    .hasMessageStartingWith("the scan of wide.csv needs more memory than its bound of 262144 bytes");
        }
    }

    @Test
    void rejectsAFileWithoutRecords() throws IOException {
        Path file = csv("empty.csv", "\n\n");

        assertThatThrownBy(() -> open(file, Map.of()))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                .hasMessage("empty.csv holds no records");
    }
}
