package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Shapes pyarrow does not write, written with parquet-java: legacy MAP_KEY_VALUE maps, maps with
 * misnamed key and value, key-only maps, the legacy list rules of LogicalTypes.md (two-level
 * lists, repeated groups as elements, {@code array} and {@code _tuple} names) and repeated fields
 * without annotation, at the top and inside a struct. Read as pyarrow reads them: the fields are
 * written out below, the values checked against what was written, and against pyarrow's own
 * reading when pyarrow is there.
 */
class ParquetLegacyNestedTest {
    private static final int ROWS = 450;

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message legacy {
              required int64 id;
              optional group mymap (MAP) { repeated group map (MAP_KEY_VALUE) { required binary str (STRING); optional int32 num; } }
              optional group kv (MAP_KEY_VALUE) { repeated group map { required binary key (STRING); optional int64 value; } }
              optional group keys (MAP) { repeated group key_value { required binary key (STRING); } }
              optional group pairs (LIST) { repeated group element { required binary str (STRING); required int32 num; } }
              optional group matrix (LIST) { repeated group array (LIST) { repeated int32 array; } }
              optional group single (LIST) { repeated group array { required binary str (STRING); } }
              optional group tuples (LIST) { repeated group tuples_tuple { required binary str (STRING); } }
              optional group nullable (LIST) { repeated group element { optional binary str (STRING); } }
              repeated group bare { required int32 num; optional binary str (STRING); }
              optional group s { repeated int32 nums; repeated group pts { required double x; optional double y; } }
            }
            """);

    @TempDir
    Path dir;

    @Test
    void mapsLegacyShapesToTheFieldsPyarrowGives() throws IOException {
        Path file = write(Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100));
        Field string = notNull("str", ArrowType.Utf8.INSTANCE);
        Field int32 = new Field("num", FieldType.nullable(new ArrowType.Int(32, true)), null);
        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            assertThat(source.schema().getFields()).containsExactly(
                    notNull("id", new ArrowType.Int(64, true)),
                    map("mymap", string, int32),
                    map("kv", notNull("key", ArrowType.Utf8.INSTANCE),
                            new Field("value", FieldType.nullable(new ArrowType.Int(64, true)), null)),
                    list("keys", true, notNull("key", ArrowType.Utf8.INSTANCE)),
                    list("pairs", true, struct("element", false, string, notNull("num", new ArrowType.Int(32, true)))),
                    list("matrix", true, list("array", false, notNull("array", new ArrowType.Int(32, true)))),
                    list("single", true, struct("array", false, string)),
                    list("tuples", true, struct("tuples_tuple", false, string)),
                    list("nullable", true, new Field("str", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)),
                    list("bare", false, struct("bare", false, notNull("num", new ArrowType.Int(32, true)),
                            new Field("str", FieldType.nullable(ArrowType.Utf8.INSTANCE), null))),
                    struct("s", true,
                            list("nums", false, notNull("nums", new ArrowType.Int(32, true))),
                            list("pts", false, struct("pts", false,
                                    notNull("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                                    new Field("y", FieldType.nullable(
                                            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)))));
        }
    }

    @ParameterizedTest(name = "{0}, dictionary {1}, {2}, batches of {3}")
    @CsvSource({
        "UNCOMPRESSED, false, PARQUET_1_0, 1000",
        "SNAPPY, true, PARQUET_1_0, 33",
        "ZSTD, true, PARQUET_2_0, 1",
        "GZIP, false, PARQUET_2_0, 128",
    })
    void readsEveryValueThatWasWritten(CompressionCodecName codec, boolean dictionary, WriterVersion version,
            int batchRows) throws IOException {
        Path file = write(new Layout(codec, dictionary, 100, version));
        List<String> columns = SCHEMA.getFields().stream().map(Type::getName).toList();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(columns, batchRows), allocator)) {
            while (reader.loadNextBatch()) {
                for (int row = 0; row < reader.root().getRowCount(); row++) {
                    Map<String, Object> cells = new LinkedHashMap<>();
                    for (FieldVector vector : reader.root().getFieldVectors()) {
                        cells.put(vector.getName(), ParquetNestedAndLogicalTypesTest.cell(vector, row));
                    }
                    rows.add(cells);
                }
            }
        }
        assertThat(rows).hasSize(ROWS);
        for (int row = 0; row < ROWS; row++) {
            assertThat(rows.get(row)).as("row %d", row).isEqualTo(expected(row));
        }
    }

    @Test
    void readsLegacyShapesAsPyarrowDoes() throws Exception {
        PyarrowReference.assumePyarrow();
        Path file = write(new Layout(CompressionCodecName.SNAPPY, true, 100, WriterVersion.PARQUET_2_0));
        PyarrowReference.runScript(PyarrowReference.NESTED_SCRIPT, "--read", file.toString());
        List<String> columns = SCHEMA.getFields().stream().map(Type::getName).toList();
        try (BufferAllocator allocator = new RootAllocator()) {
            assertThat(PyarrowReference.assertScanMatchesPyarrow(file, new ScanSpec(columns, 64), allocator))
                    .isEqualTo(ROWS);
        }
    }

    private Path write(Layout layout) throws IOException {
        Path file = dir.resolve("legacy.parquet");
        ParquetTestFiles.writeGroups(file, SCHEMA, ROWS, layout, ParquetLegacyNestedTest::fill);
        return file;
    }

    private static void fill(int r, Group group) {
        int n = r % 4;
        group.add("id", (long) r);
        if (r % 5 != 1) {
            Group map = group.addGroup("mymap");
            for (int i = 0; i < n; i++) {
                Group entry = map.addGroup("map").append("str", "k" + i);
                if (i % 2 == 0) {
                    entry.add("num", r + i);
                }
            }
        }
        if (r % 5 != 2) {
            Group map = group.addGroup("kv");
            for (int i = 0; i < n; i++) {
                map.addGroup("map").append("key", "k" + i).append("value", (long) r * i);
            }
        }
        if (r % 5 != 3) {
            Group keys = group.addGroup("keys");
            for (int i = 0; i < n; i++) {
                keys.addGroup("key_value").append("key", "x" + r + "_" + i);
            }
        }
        if (r % 5 != 4) {
            Group pairs = group.addGroup("pairs");
            for (int i = 0; i < n; i++) {
                pairs.addGroup("element").append("str", "p" + i).append("num", i);
            }
        }
        if (r % 5 != 0) {
            Group matrix = group.addGroup("matrix");
            for (int i = 0; i < n; i++) {
                Group inner = matrix.addGroup("array");
                for (int j = 0; j < i % 3; j++) {
                    inner.add("array", r + j);
                }
            }
        }
        if (r % 3 != 0) {
            Group single = group.addGroup("single");
            for (int i = 0; i < n; i++) {
                single.addGroup("array").append("str", "s" + i);
            }
        }
        if (r % 3 != 1) {
            Group tuples = group.addGroup("tuples");
            for (int i = 0; i < n; i++) {
                tuples.addGroup("tuples_tuple").append("str", "t" + i);
            }
        }
        if (r % 3 != 2) {
            Group nullable = group.addGroup("nullable");
            for (int i = 0; i < n; i++) {
                Group element = nullable.addGroup("element");
                if (i % 2 == 0) {
                    element.add("str", "n" + i);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Group bare = group.addGroup("bare").append("num", i);
            if (i % 2 == 0) {
                bare.add("str", "b" + r);
            }
        }
        if (r % 7 != 0) {
            Group s = group.addGroup("s");
            for (int i = 0; i < n; i++) {
                s.add("nums", i - r);
            }
            for (int i = 0; i < (r + 1) % 3; i++) {
                Group point = s.addGroup("pts").append("x", i + 0.5);
                if (i % 2 == 1) {
                    point.add("y", -i - 0.25);
                }
            }
        }
    }

    /** Row {@code r} in the form {@link ParquetNestedAndLogicalTypesTest#normalize} gives: null struct fields left out. */
    private static Map<String, Object> expected(int r) {
        int n = r % 4;
        Map<String, Object> cells = new LinkedHashMap<>();
        cells.put("id", (long) r);
        cells.put("mymap", r % 5 == 1 ? null : entries(n, i -> i % 2 == 0 ? entry("str", "k" + i, "num", r + i)
                : entry("str", "k" + i, null, null)));
        cells.put("kv", r % 5 == 2 ? null : entries(n, i -> entry("key", "k" + i, "value", (long) r * i)));
        cells.put("keys", r % 5 == 3 ? null : entries(n, i -> "x" + r + "_" + i));
        cells.put("pairs", r % 5 == 4 ? null : entries(n, i -> entry("str", "p" + i, "num", i)));
        cells.put("matrix", r % 5 == 0 ? null : entries(n, i -> entries(i % 3, j -> r + j)));
        cells.put("single", r % 3 == 0 ? null : entries(n, i -> entry("str", "s" + i, null, null)));
        cells.put("tuples", r % 3 == 1 ? null : entries(n, i -> entry("str", "t" + i, null, null)));
        cells.put("nullable", r % 3 == 2 ? null : entries(n, i -> i % 2 == 0 ? "n" + i : null));
        cells.put("bare", entries(n, i -> i % 2 == 0 ? entry("num", i, "str", "b" + r) : entry("num", i, null, null)));
        if (r % 7 == 0) {
            cells.put("s", null);
        } else {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("nums", entries(n, i -> i - r));
            s.put("pts", entries((r + 1) % 3, i -> i % 2 == 1 ? entry("x", i + 0.5, "y", -i - 0.25)
                    : entry("x", i + 0.5, null, null)));
            cells.put("s", s);
        }
        return cells;
    }

    private static List<Object> entries(int count, java.util.function.IntFunction<Object> element) {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(element.apply(i));
        }
        return list;
    }

    private static Map<String, Object> entry(String name, Object value, String otherName, Object other) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put(name, value);
        if (otherName != null) {
            entry.put(otherName, other);
        }
        return entry;
    }

    private static Field notNull(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    private static Field struct(String name, boolean nullable, Field... children) {
        return new Field(name, new FieldType(nullable, ArrowType.Struct.INSTANCE, null), List.of(children));
    }

    private static Field list(String name, boolean nullable, Field element) {
        return new Field(name, new FieldType(nullable, ArrowType.List.INSTANCE, null), List.of(element));
    }

    /** A nullable map as pyarrow reads it: the entries struct named after the map, keys not sorted. */
    private static Field map(String name, Field key, Field value) {
        return new Field(name, FieldType.nullable(new ArrowType.Map(false)), List.of(struct(name, false, key, value)));
    }
}
