package io.sluice.connectors.parquet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.Type;

/**
 * Writes real Parquet files with parquet-java's example writer and knows, for every cell, the
 * value it wrote, so that tests can compare what the reader returns cell by cell.
 */
final class ParquetTestFiles {
    private ParquetTestFiles() {}

    /** Every type the reader supports, each optional and required where it matters. */
    static final MessageType ALL_TYPES = MessageTypeParser.parseMessageType("""
            message all_types {
              required int32 req_int32;
              optional int32 opt_int32;
              optional int32 opt_int8 (INTEGER(8,true));
              required int32 req_int16 (INTEGER(16,true));
              optional int32 opt_uint8 (INTEGER(8,false));
              optional int32 opt_uint16 (INTEGER(16,false));
              optional int32 opt_uint32 (INTEGER(32,false));
              optional int32 opt_date (DATE);
              required int64 req_int64;
              optional int64 opt_int64;
              optional int64 opt_uint64 (INTEGER(64,false));
              optional int64 ts_millis_utc (TIMESTAMP(MILLIS,true));
              optional int64 ts_micros_local (TIMESTAMP(MICROS,false));
              required int64 ts_nanos_utc (TIMESTAMP(NANOS,true));
              required float req_float;
              optional float opt_float;
              required double req_double;
              optional double opt_double;
              required boolean req_bool;
              optional boolean opt_bool;
              required binary req_string (STRING);
              optional binary opt_string (STRING);
              required binary req_binary;
              optional binary opt_binary;
            }
            """);

    /** How to write one file. */
    record Layout(CompressionCodecName codec, boolean dictionary, int rowGroupRows, WriterVersion version) {
        static Layout of(CompressionCodecName codec, boolean dictionary, int rowGroupRows) {
            return new Layout(codec, dictionary, rowGroupRows, WriterVersion.PARQUET_1_0);
        }
    }

    /**
     * The value of {@code column} in {@code row} as the tests compare it: Integer (int32 kinds, raw
     * bits for unsigned), Long, Float, Double, Boolean, String, ByteBuffer (binary), or null.
     */
    static Object value(String column, int row) {
        Type type = ALL_TYPES.getType(column);
        if (type.isRepetition(Type.Repetition.OPTIONAL) && Math.floorMod(row * 31 + column.length() * 7, 6) == 0) {
            return null;
        }
        return switch (column) {
            case "req_int32" -> row == 0 ? Integer.MIN_VALUE : row == 1 ? Integer.MAX_VALUE : row * 7919 - 500_000;
            case "opt_int32" -> -row;
            case "opt_int8" -> (row % 256) - 128;
            case "req_int16" -> (row * 37 % 65_536) - 32_768;
            case "opt_uint8" -> row % 256;
            case "opt_uint16" -> row * 131 % 65_536;
            case "opt_uint32" -> row == 2 ? -1 : row * 1_000_003; // unsigned: raw bits
            case "opt_date" -> 19_000 + row - 30_000 * (row % 2);
            case "req_int64" -> row == 0 ? Long.MIN_VALUE : row == 1 ? Long.MAX_VALUE : row * 1_000_000_007L;
            case "opt_int64" -> -row * 3L;
            case "opt_uint64" -> row == 3 ? -1L : row * 77L;
            case "ts_millis_utc" -> 1_764_115_200_000L + row * 1_000L;
            case "ts_micros_local" -> 1_764_115_200_000_000L - row * 17L;
            case "ts_nanos_utc" -> 1_764_115_200_000_000_000L + row;
            case "req_float" -> row == 0 ? Float.NaN : row == 1 ? -0.0f : row / 3.0f;
            case "opt_float" -> row == 4 ? Float.NEGATIVE_INFINITY : -row * 1.5f;
            case "req_double" -> row == 0 ? Double.NaN : row == 1 ? Double.MIN_VALUE : row / 7.0;
            case "opt_double" -> row * -1e300 / 1e3;
            case "req_bool" -> row % 3 == 0;
            case "opt_bool" -> row % 2 == 1;
            case "req_string" -> row % 10 == 0 ? "" : "row " + row + " ζ€\uD83D\uDE00";
            case "opt_string" -> "s" + (row % 13); // few distinct values: dictionary-friendly
            case "req_binary" -> ByteBuffer.wrap(bytes(row, row % 9));
            case "opt_binary" -> ByteBuffer.wrap(bytes(row * 5, 1 + row % 40));
            default -> throw new IllegalArgumentException("no column " + column);
        };
    }

    private static byte[] bytes(int seed, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 17);
        }
        return bytes;
    }

    /** Writes {@code rows} rows of {@link #ALL_TYPES} with {@link #value}. */
    static void writeAllTypes(Path file, int rows, Layout layout) throws IOException {
        write(file, ALL_TYPES, rows, layout, ParquetTestFiles::value);
    }

    /** Writes {@code rows} rows of {@code schema}, each cell from {@code cells} (null: not written). */
    static void write(Path file, MessageType schema, int rows, Layout layout,
            BiFunction<String, Integer, Object> cells) throws IOException {
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(schema)
                .withCompressionCodec(layout.codec())
                .withDictionaryEncoding(layout.dictionary())
                .withRowGroupRowCountLimit(layout.rowGroupRows())
                .withPageRowCountLimit(97)
                .withWriterVersion(layout.version())
                .build()) {
            for (int row = 0; row < rows; row++) {
                SimpleGroup group = new SimpleGroup(schema);
                for (Type field : schema.getFields()) {
                    Object cell = cells.apply(field.getName(), row);
                    switch (cell) {
                        case null -> { }
                        case Integer i -> group.add(field.getName(), i);
                        case Long l -> group.add(field.getName(), l);
                        case Float f -> group.add(field.getName(), f);
                        case Double d -> group.add(field.getName(), d);
                        case Boolean b -> group.add(field.getName(), b);
                        case String s -> group.add(field.getName(), s);
                        case ByteBuffer b -> group.add(field.getName(), Binary.fromConstantByteBuffer(b.duplicate()));
                        default -> throw new IllegalArgumentException("cannot write " + cell.getClass());
                    }
                }
                writer.write(group);
            }
        }
    }

    /** Writes {@code rows} rows of {@code schema}, each group filled by {@code filler} (for nested types). */
    static void writeGroups(Path file, MessageType schema, int rows, Layout layout,
            java.util.function.BiConsumer<Integer, Group> filler) throws IOException {
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(schema)
                .withCompressionCodec(layout.codec())
                .withDictionaryEncoding(layout.dictionary())
                .withRowGroupRowCountLimit(layout.rowGroupRows())
                .withPageRowCountLimit(97)
                .withWriterVersion(layout.version())
                .build()) {
            for (int row = 0; row < rows; row++) {
                SimpleGroup group = new SimpleGroup(schema);
                filler.accept(row, group);
                writer.write(group);
            }
        }
    }

    /** The cell of {@code vector} at {@code index} in the form {@link #value} uses. */
    static Object read(FieldVector vector, int index) {
        if (vector.isNull(index)) {
            return null;
        }
        return switch (vector) {
            case TinyIntVector v -> (int) v.get(index);
            case SmallIntVector v -> (int) v.get(index);
            case IntVector v -> v.get(index);
            case UInt1Vector v -> Byte.toUnsignedInt(v.get(index));
            case UInt2Vector v -> (int) v.get(index);
            case UInt4Vector v -> v.get(index);
            case DateDayVector v -> v.get(index);
            case BigIntVector v -> v.get(index);
            case UInt8Vector v -> v.get(index);
            case TimeStampVector v -> v.get(index);
            case Float4Vector v -> v.get(index);
            case Float8Vector v -> v.get(index);
            case BitVector v -> v.get(index) == 1;
            case VarCharVector v -> new String(v.get(index), StandardCharsets.UTF_8);
            case VarBinaryVector v -> ByteBuffer.wrap(v.get(index));
            default -> throw new IllegalArgumentException("unexpected vector " + vector.getClass());
        };
    }

    /** Every row of {@code root}, each as the list of its cells in column order. */
    static List<List<Object>> rows(VectorSchemaRoot root) {
        List<List<Object>> rows = new ArrayList<>(root.getRowCount());
        for (int row = 0; row < root.getRowCount(); row++) {
            List<Object> cells = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                cells.add(read(vector, row));
            }
            rows.add(cells);
        }
        return rows;
    }

    /** What {@link #rows} should return for rows {@code from} (inclusive) to {@code to}. */
    static List<List<Object>> expectedRows(List<String> columns, int from, int to) {
        List<List<Object>> rows = new ArrayList<>(to - from);
        for (int row = from; row < to; row++) {
            List<Object> cells = new ArrayList<>();
            for (String column : columns) {
                cells.add(value(column, row));
            }
            rows.add(cells);
        }
        return rows;
    }

    static List<String> allColumns() {
        return ALL_TYPES.getFields().stream().map(Type::getName).toList();
    }

    /** {@code value} as a big-endian two's-complement FIXED_LEN_BYTE_ARRAY of {@code length} bytes (a Parquet DECIMAL). */
    static byte[] twosComplement(java.math.BigInteger value, int length) {
        byte[] minimal = value.toByteArray();
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, value.signum() < 0 ? (byte) -1 : 0);
        System.arraycopy(minimal, 0, bytes, length - minimal.length, minimal.length);
        return bytes;
    }
}
