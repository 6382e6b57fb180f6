package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.JsonStringArrayList;
import org.apache.arrow.vector.util.Text;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Decimals, legacy INT96, times, fixed-length binaries, lists and structs, value by value. */
class ParquetNestedAndLogicalTypesTest {
    private static final int ROWS = 700;

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message types {
              required int32 id;
              optional int32 dec32 (DECIMAL(9,2));
              optional int64 dec64 (DECIMAL(18,4));
              optional fixed_len_byte_array(9) decfixed (DECIMAL(20,3));
              optional binary decbin (DECIMAL(30,5));
              optional fixed_len_byte_array(20) decwide (DECIMAL(45,2));
              optional int96 legacy_ts;
              optional int32 t_millis (TIME(MILLIS,true));
              optional int64 t_micros (TIME(MICROS,false));
              optional fixed_len_byte_array(16) uuid (UUID);
              optional fixed_len_byte_array(3) fixed3;
              optional binary doc (JSON);
              optional binary kind (ENUM);
              optional fixed_len_byte_array(2) half (FLOAT16);
              optional group tags (LIST) { repeated group list { optional int32 element; } }
              required group names (LIST) { repeated group list { required binary element (STRING); } }
              optional group legacy (LIST) { repeated int64 item; }
              repeated int32 bare;
              optional group address {
                required binary city (STRING);
                optional int32 zip;
                optional group geo { optional double lat; optional double lon; }
              }
            }
            """);

    @TempDir
    Path dir;

    @Test
    void mapsLogicalAndNestedTypesToArrow() throws IOException {
        Path file = dir.resolve("types.parquet");
        ParquetTestFiles.writeGroups(file, SCHEMA, 3, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                ParquetNestedAndLogicalTypesTest::fill);

        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            Schema schema = source.schema();
            assertThat(schema.findField("dec32").getType()).isEqualTo(new ArrowType.Decimal(9, 2, 128));
            assertThat(schema.findField("dec64").getType()).isEqualTo(new ArrowType.Decimal(18, 4, 128));
            assertThat(schema.findField("decfixed").getType()).isEqualTo(new ArrowType.Decimal(20, 3, 128));
            assertThat(schema.findField("decbin").getType()).isEqualTo(new ArrowType.Decimal(30, 5, 128));
            assertThat(schema.findField("decwide").getType()).isEqualTo(new ArrowType.Decimal(45, 2, 256));
            assertThat(schema.findField("legacy_ts").getType()).isEqualTo(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null));
            assertThat(schema.findField("t_millis").getType()).isEqualTo(new ArrowType.Time(TimeUnit.MILLISECOND, 32));
            assertThat(schema.findField("t_micros").getType()).isEqualTo(new ArrowType.Time(TimeUnit.MICROSECOND, 64));
            assertThat(schema.findField("uuid").getType()).isEqualTo(new ArrowType.FixedSizeBinary(16));
            assertThat(schema.findField("fixed3").getType()).isEqualTo(new ArrowType.FixedSizeBinary(3));
            assertThat(schema.findField("doc").getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
            assertThat(schema.findField("kind").getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
            assertThat(schema.findField("half").getType())
                    .isEqualTo(new ArrowType.FloatingPoint(FloatingPointPrecision.HALF));
            assertThat(schema.findField("tags")).isEqualTo(new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE),
                    List.of(new Field("element", FieldType.nullable(new ArrowType.Int(32, true)), null))));
            assertThat(schema.findField("names")).isEqualTo(new Field("names",
                    FieldType.notNullable(ArrowType.List.INSTANCE),
                    List.of(new Field("element", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null))));
            assertThat(schema.findField("legacy")).isEqualTo(new Field("legacy",
                    FieldType.nullable(ArrowType.List.INSTANCE),
                    List.of(new Field("item", FieldType.notNullable(new ArrowType.Int(64, true)), null))));
            assertThat(schema.findField("bare")).isEqualTo(new Field("bare", FieldType.notNullable(ArrowType.List.INSTANCE),
                    List.of(new Field("bare", FieldType.notNullable(new ArrowType.Int(32, true)), null))));
            assertThat(schema.findField("address")).isEqualTo(new Field("address",
                    FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                            new Field("city", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                            new Field("zip", FieldType.nullable(new ArrowType.Int(32, true)), null),
                            new Field("geo", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                                    new Field("lat", FieldType.nullable(
                                            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
                                    new Field("lon", FieldType.nullable(
                                            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null))))));
            assertThat(schema.findField("id").getType()).isNotEqualTo(new ArrowType.Date(DateUnit.DAY));
        }
    }

    @ParameterizedTest(name = "{0}, dictionary {1}, {2}, batches of {3}")
    @CsvSource({
        "UNCOMPRESSED, false, PARQUET_1_0, 1000",
        "SNAPPY, true, PARQUET_1_0, 64",
        "ZSTD, true, PARQUET_2_0, 100",
        "GZIP, false, PARQUET_2_0, 33",
    })
    void returnsEveryNestedAndLogicalValueExactly(CompressionCodecName codec, boolean dictionary,
            WriterVersion version, int batchRows) throws IOException {
        Path file = dir.resolve("types.parquet");
        ParquetTestFiles.writeGroups(file, SCHEMA, ROWS, new Layout(codec, dictionary, 250, version),
                ParquetNestedAndLogicalTypesTest::fill);
        List<String> columns = SCHEMA.getFields().stream().map(org.apache.parquet.schema.Type::getName).toList();

        List<Map<String, Object>> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(columns, batchRows), allocator)) {
            while (reader.loadNextBatch()) {
                for (int row = 0; row < reader.root().getRowCount(); row++) {
                    Map<String, Object> cells = new LinkedHashMap<>();
                    for (FieldVector vector : reader.root().getFieldVectors()) {
                        cells.put(vector.getName(), cell(vector, row));
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

    /** Timestamps and times as their raw numbers, everything else as {@link #normalize}d getObject. */
    static Object cell(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        return switch (vector) {
            case TimeStampVector v -> v.get(row);
            case TimeMilliVector v -> v.get(row);
            default -> normalize(vector.getObject(row));
        };
    }

    /** Arrow's getObject forms made comparable: Text to String, byte[] to hex, maps without null entries. */
    static Object normalize(Object value) {
        return switch (value) {
            case null -> null;
            case Text text -> text.toString();
            case byte[] bytes -> HexFormat.of().formatHex(bytes);
            case JsonStringArrayList<?> list -> list.stream().map(ParquetNestedAndLogicalTypesTest::normalize).toList();
            case List<?> list -> list.stream().map(ParquetNestedAndLogicalTypesTest::normalize).toList();
            case Map<?, ?> map -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                map.forEach((k, v) -> {
                    if (v != null) {
                        copy.put(k.toString(), normalize(v));
                    }
                });
                yield copy;
            }
            default -> value;
        };
    }

    private static void fill(int r, Group group) {
        group.add("id", r);
        if (r % 7 != 0) {
            group.add("dec32", r * 123 - 5000);
        }
        if (r % 8 != 1) {
            group.add("dec64", r * 1_000_000_007L * (r % 2 == 0 ? 1 : -1));
        }
        group.add("decfixed", Binary.fromConstantByteArray(ParquetTestFiles.twosComplement(decfixed(r), 9)));
        if (r % 3 != 0) {
            group.add("decbin", Binary.fromConstantByteArray(decbin(r).toByteArray()));
        }
        group.add("decwide", Binary.fromConstantByteArray(ParquetTestFiles.twosComplement(decwide(r), 20)));
        if (r % 10 != 3) {
            ByteBuffer int96 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(0, nanosOfDay(r)).putInt(8, julianDay(r));
            group.add("legacy_ts", Binary.fromConstantByteArray(int96.array()));
        }
        group.add("t_millis", r * 1000 % 86_400_000);
        group.add("t_micros", r * 1_000_003L);
        group.add("uuid", Binary.fromConstantByteArray(bytes(r, 16)));
        if (r % 2 == 0) {
            group.add("fixed3", Binary.fromConstantByteArray(bytes(r * 7, 3)));
        }
        group.add("doc", "{\"r\":" + r + "}");
        group.add("kind", "K" + (r % 3));
        group.add("half", Binary.fromConstantByteArray(new byte[] {(byte) r, 0x3E}));
        if (r % 5 != 0) {
            Group tags = group.addGroup("tags");
            for (int i = 0; i < tagCount(r); i++) {
                Group entry = tags.addGroup("list");
                if ((r + i) % 3 != 0) {
                    entry.add("element", r * 10 + i);
                }
            }
        }
        Group names = group.addGroup("names");
        for (int i = 0; i < r % 3; i++) {
            names.addGroup("list").add("element", "n" + r + "_" + i);
        }
        if (r % 4 != 0) {
            Group legacy = group.addGroup("legacy");
            for (int i = 0; i < r % 3; i++) {
                legacy.add("item", (long) r + i);
            }
        }
        for (int i = 0; i < r % 3; i++) {
            group.add("bare", r - i);
        }
        if (r % 6 != 0) {
            Group address = group.addGroup("address");
            address.add("city", "c" + r);
            if (r % 4 != 0) {
                address.add("zip", 10_000 + r);
            }
            if (r % 5 != 0) {
                Group geo = address.addGroup("geo");
                geo.add("lat", r / 10.0);
                if (r % 2 != 0) {
                    geo.add("lon", -r / 10.0);
                }
            }
        }
    }

    private static Map<String, Object> expected(int r) {
        Map<String, Object> cells = new LinkedHashMap<>();
        cells.put("id", r);
        cells.put("dec32", r % 7 == 0 ? null : BigDecimal.valueOf(r * 123 - 5000, 2));
        cells.put("dec64", r % 8 == 1 ? null : BigDecimal.valueOf(r * 1_000_000_007L * (r % 2 == 0 ? 1 : -1), 4));
        cells.put("decfixed", new BigDecimal(decfixed(r), 3));
        cells.put("decbin", r % 3 == 0 ? null : new BigDecimal(decbin(r), 5));
        cells.put("decwide", new BigDecimal(decwide(r), 2));
        cells.put("legacy_ts", r % 10 == 3 ? null
                : (julianDay(r) - 2_440_588L) * 86_400_000_000L + nanosOfDay(r) / 1_000);
        cells.put("t_millis", r * 1000 % 86_400_000);
        cells.put("t_micros", r * 1_000_003L);
        cells.put("uuid", HexFormat.of().formatHex(bytes(r, 16)));
        cells.put("fixed3", r % 2 == 0 ? HexFormat.of().formatHex(bytes(r * 7, 3)) : null);
        cells.put("doc", "{\"r\":" + r + "}");
        cells.put("kind", "K" + (r % 3));
        cells.put("half", (short) (((0x3E) << 8) | (r & 0xFF)));
        if (r % 5 == 0) {
            cells.put("tags", null);
        } else {
            List<Integer> tags = new ArrayList<>();
            for (int i = 0; i < tagCount(r); i++) {
                tags.add((r + i) % 3 != 0 ? r * 10 + i : null);
            }
            cells.put("tags", tags);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < r % 3; i++) {
            names.add("n" + r + "_" + i);
        }
        cells.put("names", names);
        if (r % 4 == 0) {
            cells.put("legacy", null);
        } else {
            List<Long> legacy = new ArrayList<>();
            for (int i = 0; i < r % 3; i++) {
                legacy.add((long) r + i);
            }
            cells.put("legacy", legacy);
        }
        List<Integer> bare = new ArrayList<>();
        for (int i = 0; i < r % 3; i++) {
            bare.add(r - i);
        }
        cells.put("bare", bare);
        if (r % 6 == 0) {
            cells.put("address", null);
        } else {
            Map<String, Object> address = new LinkedHashMap<>();
            address.put("city", "c" + r);
            if (r % 4 != 0) {
                address.put("zip", 10_000 + r);
            }
            if (r % 5 != 0) {
                Map<String, Object> geo = new LinkedHashMap<>();
                geo.put("lat", r / 10.0);
                if (r % 2 != 0) {
                    geo.put("lon", -r / 10.0);
                }
                address.put("geo", geo);
            }
            cells.put("address", address);
        }
        return cells;
    }

    private static int tagCount(int r) {
        return r % 5 == 1 ? 0 : r % 4 + 1;
    }

    private static BigInteger decfixed(int r) {
        BigInteger value = BigInteger.valueOf(r).pow(3).multiply(BigInteger.valueOf(1_000_003));
        return r % 2 == 0 ? value : value.negate();
    }

    private static BigInteger decbin(int r) {
        BigInteger value = BigInteger.TEN.pow(25).add(BigInteger.valueOf(r));
        return r % 2 == 0 ? value : value.negate();
    }

    private static BigInteger decwide(int r) {
        BigInteger value = BigInteger.TEN.pow(40).multiply(BigInteger.valueOf(r + 1));
        return r % 3 == 0 ? value.negate() : value;
    }

    private static long nanosOfDay(int r) {
        return r * 1_000_000_123L % 86_400_000_000_000L;
    }

    private static int julianDay(int r) {
        return 2_440_588 + 19_000 + r - 40_000 * (r % 2);
    }

    /** {@code value} as a big-endian two's complement integer of exactly {@code length} bytes. */
    private static byte[] bytes(int seed, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 17);
        }
        return bytes;
    }
}
