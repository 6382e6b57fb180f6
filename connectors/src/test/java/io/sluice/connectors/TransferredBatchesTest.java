package io.sluice.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.Text;
import org.apache.arrow.vector.util.TransferPair;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A consumer may transfer the vectors of a reader's batch out instead of copying them (the
 * {@link BatchReader} contract; the enforcement pipeline does so for columns it passes through).
 * The reader reuses its root, so each source must then allocate the emptied vectors again on the
 * next {@link BatchReader#loadNextBatch()} and never write into the buffers it gave away. Each
 * test reads a source of several batches once plainly and once transferring vectors out into
 * roots of a separate allocator, keeps every transferred batch until the scan has ended, and
 * compares the two cell by cell; every allocator must end at zero.
 */
class TransferredBatchesTest {
    /** Which vectors a consumer moves out. */
    enum Transfers {
        /** every vector of every batch */
        EVERY_VECTOR,
        /** every vector of every other batch; the others are read in place */
        EVERY_OTHER_BATCH,
        /** every other vector of each batch, as a pipeline that transforms some columns does */
        EVERY_OTHER_VECTOR;

        boolean moves(int batch, int vector) {
            return switch (this) {
                case EVERY_VECTOR -> true;
                case EVERY_OTHER_BATCH -> batch % 2 == 0;
                case EVERY_OTHER_VECTOR -> vector % 2 == 0;
            };
        }
    }

    @TempDir
    Path dir;

    // ---- Parquet ---------------------------------------------------------------------------------

    static final MessageType PATIENTS = MessageTypeParser.parseMessageType("""
            message patients {
              required int64 id;
              optional int32 small;
              optional double score;
              optional boolean flag;
              optional binary name (STRING);
              optional binary ward (STRING);
              optional binary blob;
              optional int32 born (DATE);
              optional int64 seen (TIMESTAMP(MICROS,true));
              optional int64 amount (DECIMAL(18,2));
              optional group tags (LIST) { repeated group list { optional int32 element; } }
              optional group address { required binary city (STRING); optional int32 zip; }
            }
            """);

    @ParameterizedTest
    @EnumSource(Transfers.class)
    void parquetBatchesStayCorrectWhenTheirVectorsAreTransferredOut(Transfers transfers) throws IOException {
        Path file = dir.resolve("patients.parquet");
        writeParquet(file, 0, 2_600, 1_000);
        try (BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", file))) {
            // Row groups of 1,000, 1,000 and 600 rows read 384 at a time: 384, 384, 232, 384, 384, 232, 384, 216.
            checkTransferred(source, new ScanSpec(columns(source), 384), transfers, 8);
        }
    }

    @ParameterizedTest
    @EnumSource(Transfers.class)
    void parquetPartitionColumnsStayCorrectWhenTransferredOut(Transfers transfers) throws IOException {
        Path root = dir.resolve("visits");
        writeParquet(root.resolve("year=2024/region=eu/part-0.parquet"), 0, 700, 300);
        writeParquet(root.resolve("year=2025/region=__HIVE_DEFAULT_PARTITION__/part-0.parquet"), 700, 500, 300);
        try (BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", root))) {
            assertThat(columns(source)).endsWith("year", "region");
            // Row groups of 300, 300, 100 and 300, 200 rows read 256 at a time.
            checkTransferred(source, new ScanSpec(List.of("region", "id", "year", "name", "tags"), 256), transfers, 8);
        }
    }

    /** Rows {@code first..first+rows-1}; strings grow along the file, so later batches need bigger buffers. */
    private static void writeParquet(Path file, int first, int rows, int rowGroupRows) throws IOException {
        Files.createDirectories(file.getParent());
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(PATIENTS)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withDictionaryEncoding(true)
                .withRowGroupRowCountLimit(rowGroupRows)
                .withPageRowCountLimit(97)
                .build()) {
            for (int r = first; r < first + rows; r++) {
                Group group = new SimpleGroup(PATIENTS);
                group.add("id", (long) r);
                if (r % 7 != 0) {
                    group.add("small", r * 31 - 5_000);
                }
                if (r % 5 != 1) {
                    group.add("score", r / 3.0);
                }
                if (r % 4 != 2) {
                    group.add("flag", r % 3 == 0);
                }
                if (r % 6 != 3) {
                    group.add("name", "patient " + r + " é".repeat(r / 100));
                }
                if (r % 9 != 4) {
                    group.add("ward", "ward-" + r % 5);
                }
                if (r % 8 != 5) {
                    group.add("blob", Binary.fromConstantByteArray(bytes(r, r % 23)));
                }
                if (r % 10 != 6) {
                    group.add("born", 3_000 + r);
                }
                if (r % 11 != 7) {
                    group.add("seen", 1_764_115_200_000_000L + r * 1_000_003L);
                }
                if (r % 12 != 8) {
                    group.add("amount", r * 10_007L - 1_000_000L);
                }
                if (r % 5 != 0) {
                    Group tags = group.addGroup("tags");
                    for (int i = 0; i < r % 4; i++) {
                        Group entry = tags.addGroup("list");
                        if ((r + i) % 3 != 0) {
                            entry.add("element", r * 10 + i);
                        }
                    }
                }
                if (r % 6 != 0) {
                    Group address = group.addGroup("address");
                    address.add("city", "city " + r % 17);
                    if (r % 4 != 0) {
                        address.add("zip", 10_000 + r);
                    }
                }
                writer.write(group);
            }
        }
    }

    // ---- CSV -------------------------------------------------------------------------------------

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    @ParameterizedTest
    @EnumSource(Transfers.class)
    void csvBatchesStayCorrectWhenTheirVectorsAreTransferredOut(Transfers transfers) throws IOException {
        StringBuilder csv = new StringBuilder("id,score,flag,born,seen_at,seen_utc,name,note\n");
        for (int r = 0; r < 3_000; r++) {
            csv.append(r % 13 == 0 ? "" : Long.toString(r * 1_000_003L)).append(',')
                    .append(r % 7 == 1 ? "" : Double.toString(r / 8.0)).append(',')
                    .append(r % 5 == 2 ? "" : r % 2 == 0 ? "true" : "false").append(',')
                    .append(r % 9 == 3 ? "" : LocalDate.of(1950, 1, 1).plusDays(r * 3L)).append(',')
                    .append(r % 11 == 4 ? "" : SECONDS.format(LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(r * 61L)))
                    .append(',')
                    .append(r % 12 == 5 ? "" : SECONDS.format(LocalDateTime.of(2024, 6, 1, 0, 0).plusSeconds(r * 7L)) + "Z")
                    .append(',')
                    .append(r % 6 == 0 ? "" : "\"name " + r + ", \"\"q\"\" " + "x".repeat(r / 60) + "\"").append(',')
                    .append(r % 4 == 0 ? "\"\"" : "note-" + r % 10).append('\n');
        }
        Path file = Files.writeString(dir.resolve("patients.csv"), csv, StandardCharsets.UTF_8);
        try (BatchSource source = Connectors.discover().open(SourceConfig.ofFile("csv", file, Map.of()))) {
            assertThat(source.schema().getFields()).extracting(field -> field.getType().getTypeID().name())
                    .containsExactly("Int", "FloatingPoint", "Bool", "Date", "Timestamp", "Timestamp", "Utf8", "Utf8");
            checkTransferred(source, new ScanSpec(columns(source), 700), transfers, 5);
        }
    }

    // ---- JDBC ------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Transfers.class)
    void jdbcBatchesStayCorrectWhenTheirVectorsAreTransferredOut(Transfers transfers) throws SQLException {
        String url = "jdbc:h2:mem:transfers_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection setup = DriverManager.getConnection(url + ";DB_CLOSE_DELAY=-1", "sa", "pw-transfers")) {
            try (Statement statement = setup.createStatement()) {
                statement.execute("""
                        CREATE TABLE patients (
                          "id" BIGINT PRIMARY KEY, "small" SMALLINT, "n" INTEGER, "d" DOUBLE PRECISION,
                          "amount" DECIMAL(12, 2), "ok" BOOLEAN, "name" VARCHAR(200), "born" DATE,
                          "at" TIMESTAMP, "bin" VARBINARY(32), "updated" BIGINT NOT NULL)
                        """);
            }
            try (PreparedStatement insert = setup.prepareStatement(
                    "INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")) {
                for (int r = 0; r < 2_300; r++) {
                    insert.setLong(1, r);
                    insert.setObject(2, r % 7 == 0 ? null : (short) (r - 1_000));
                    insert.setObject(3, r % 5 == 0 ? null : r * 31);
                    insert.setObject(4, r % 9 == 0 ? null : -r / 3.0);
                    insert.setObject(5, r % 4 == 1 ? null : new BigDecimal(r * 101L).movePointLeft(2));
                    insert.setObject(6, r % 4 == 0 ? null : r % 2 == 0);
                    insert.setObject(7, r % 6 == 0 ? null : "name " + r + " é" + "x".repeat(r / 20));
                    insert.setObject(8, r % 10 == 0 ? null : LocalDate.of(1950, 1, 1).plusDays(r * 7L));
                    insert.setObject(9, LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(r * 3_601L));
                    insert.setObject(10, r % 12 == 0 ? null : bytes(r, r % 29));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            Map<String, String> options = new HashMap<>();
            options.put("url", url);
            options.put("table", "patients");
            options.put("user", "sa");
            options.put("password", "pw-transfers");
            options.put("versionColumn", "updated");
            options.put("fetchSize", "100");
            options.put("allowedHosts", "h2:mem");
            try (BatchSource source = Connectors.discover().open(SourceConfig.of("jdbc", options))) {
                List<String> columns = columns(source).stream().filter(c -> !c.equals("updated")).toList();
                // The first batch starts with a null in most columns (row 0).
                checkTransferred(source, new ScanSpec(columns, 300), transfers, 8);
            } finally {
                try (Statement statement = setup.createStatement()) {
                    statement.execute("SHUTDOWN");
                }
            }
        }
    }

    // ---- the check -------------------------------------------------------------------------------

    /**
     * Scans {@code source} plainly and with {@code transfers}, and asserts that both give the same
     * cells in {@code batches} batches, that each transferred vector left the reader's root empty,
     * and that no allocator holds memory at the end (closing a root allocator with memory
     * outstanding throws, failing the test).
     */
    private static void checkTransferred(BatchSource source, ScanSpec spec, Transfers transfers, int batches) {
        List<List<Object>> plain = new ArrayList<>();
        int plainBatches = 0;
        try (BufferAllocator allocator = new RootAllocator(); BatchReader reader = source.open(spec, allocator)) {
            while (reader.loadNextBatch()) {
                plain.addAll(rows(reader.root()));
                plainBatches++;
            }
        }
        assertThat(plainBatches).isEqualTo(batches);

        List<List<Object>> transferred = new ArrayList<>();
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator scan = root.newChildAllocator("scan", 0, Long.MAX_VALUE);
                BufferAllocator consumer = root.newChildAllocator("consumer", 0, Long.MAX_VALUE)) {
            // Each batch: what was read in place (null where the batch was moved) and what was moved.
            List<List<List<Object>>> inPlace = new ArrayList<>();
            List<VectorSchemaRoot> moved = new ArrayList<>();
            try {
                try (BatchReader reader = source.open(spec, scan)) {
                    int batch = 0;
                    while (reader.loadNextBatch()) {
                        VectorSchemaRoot loaded = reader.root();
                        int rows = loaded.getRowCount();
                        List<FieldVector> vectors = loaded.getFieldVectors();
                        // Read the cells left in place first, then move the others out.
                        List<List<Object>> cells = new ArrayList<>();
                        for (int r = 0; r < rows; r++) {
                            List<Object> row = new ArrayList<>();
                            for (int v = 0; v < vectors.size(); v++) {
                                row.add(transfers.moves(batch, v) ? null : cell(vectors.get(v), r));
                            }
                            cells.add(row);
                        }
                        List<FieldVector> out = new ArrayList<>();
                        for (int v = 0; v < vectors.size(); v++) {
                            if (transfers.moves(batch, v)) {
                                TransferPair pair = vectors.get(v).getTransferPair(consumer);
                                pair.transfer();
                                out.add((FieldVector) pair.getTo());
                                assertThat(vectors.get(v).getValueCount()).isZero();
                                assertThat(vectors.get(v).getBufferSize()).isZero();
                            }
                        }
                        inPlace.add(cells);
                        moved.add(new VectorSchemaRoot(out));
                        batch++;
                    }
                }
                assertThat(scan.getAllocatedMemory()).as("the reader released all it kept").isZero();
                // Only now, with the scan over, read what was moved: a reader that wrote into buffers
                // it had given away would show here.
                for (int b = 0; b < moved.size(); b++) {
                    VectorSchemaRoot out = moved.get(b);
                    List<List<Object>> cells = inPlace.get(b);
                    for (int r = 0; r < cells.size(); r++) {
                        List<Object> row = cells.get(r);
                        for (int v = 0, m = 0; v < row.size(); v++) {
                            if (transfers.moves(b, v)) {
                                row.set(v, cell(out.getVector(m++), r));
                            }
                        }
                        transferred.add(row);
                    }
                }
                assertThat(consumer.getAllocatedMemory() > 0).isEqualTo(!moved.isEmpty());
            } finally {
                moved.forEach(VectorSchemaRoot::close);
            }
            assertThat(consumer.getAllocatedMemory()).isZero();
        }
        assertThat(transferred).hasSameSizeAs(plain);
        for (int r = 0; r < plain.size(); r++) {
            assertThat(transferred.get(r)).as("row %d", r).isEqualTo(plain.get(r));
        }
    }

    private static List<List<Object>> rows(VectorSchemaRoot root) {
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < root.getRowCount(); r++) {
            List<Object> row = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                row.add(cell(vector, r));
            }
            rows.add(row);
        }
        return rows;
    }

    /** A cell as a comparable Java value: Text as String, byte[] as ByteBuffer, nested values likewise. */
    private static Object cell(FieldVector vector, int row) {
        return comparable(vector.getObject(row));
    }

    private static Object comparable(Object value) {
        return switch (value) {
            case null -> null;
            case Text text -> text.toString();
            case byte[] bytes -> ByteBuffer.wrap(bytes);
            case List<?> list -> list.stream().map(TransferredBatchesTest::comparable).toList();
            case Map<?, ?> map -> {
                Map<Object, Object> copy = new LinkedHashMap<>();
                map.forEach((k, v) -> copy.put(k, comparable(v)));
                yield copy;
            }
            default -> value;
        };
    }

    private static List<String> columns(BatchSource source) {
        return source.schema().getFields().stream().map(Field::getName).toList();
    }

    private static byte[] bytes(int seed, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 17);
        }
        return bytes;
    }
}
