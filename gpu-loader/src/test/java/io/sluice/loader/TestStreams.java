package io.sluice.loader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC streams written with Arrow's own writer, with the values they hold. */
final class TestStreams {

    static final Schema SCHEMA = new Schema(List.of(
            new Field("patient_id", FieldType.nullable(new ArrowType.Int(32, true)), null),
            new Field("score", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("ward", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    /** One row: values or nulls. */
    record Row(Integer patientId, Double score, String ward) {
    }

    /**
     * The bytes of a stream and, for each batch, its rows and the offset in {@code bytes} where the
     * batch's message ends.
     */
    record Written(byte[] bytes, long schemaEnd, List<List<Row>> batches, long[] batchEnds) {
        /** The offset where the end-of-stream marker starts. */
        long lastBatchEnd() {
            return batchEnds[batchEnds.length - 1];
        }
    }

    private TestStreams() {
    }

    /** Four batches of 3, 1000, 0 and 2 rows, with nulls in every column, NaN and non-ASCII text. */
    static Written fourBatches() {
        List<List<Row>> batches = new ArrayList<>();
        batches.add(List.of(
                new Row(1, 0.5, "cardiology"),
                new Row(null, -2.25, null),
                new Row(3, null, "Ünfallchirurgie 🚑")));
        List<Row> large = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            large.add(new Row(i % 7 == 0 ? null : i * 31, i % 11 == 0 ? null : i / 3.0, i % 5 == 0 ? null : "ward-" + i));
        }
        batches.add(large);
        batches.add(List.of());
        batches.add(List.of(new Row(Integer.MIN_VALUE, Double.NaN, ""), new Row(Integer.MAX_VALUE, 1e300, "x")));
        return write(batches);
    }

    /** A loader config for tests: a 64 MiB arena of 16 MiB slabs, fast retries. */
    static LoaderConfig config(java.net.URI broker) {
        return LoaderConfig.of(broker).withPinnedLimitBytes(64L << 20).withSlabBytes(16L << 20)
                .withRetry(new RetryPolicy(3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(4)));
    }

    /**
     * {@code batches} batches of {@code rowsPerBatch} rows; row {@code i} (counting over all
     * batches) has patient id {@code i}, so every row is distinct. Every seventh row has nulls.
     */
    static List<List<Row>> dataset(int batches, int rowsPerBatch) {
        List<List<Row>> result = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < rowsPerBatch; r++) {
                int id = b * rowsPerBatch + r;
                rows.add(new Row(id, id % 7 == 3 ? null : id * 0.25, id % 7 == 5 ? null : "ward-" + (id % 13)));
            }
            result.add(List.copyOf(rows));
        }
        return List.copyOf(result);
    }

    static List<Row> flatten(List<List<Row>> batches) {
        return batches.stream().flatMap(List::stream).toList();
    }

    static Written write(List<List<Row>> batches) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] ends = new long[batches.size()];
        long schemaEnd;
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
                ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
            writer.start();
            schemaEnd = out.size();
            for (int b = 0; b < batches.size(); b++) {
                fill(root, batches.get(b));
                writer.writeBatch();
                ends[b] = out.size();
            }
            writer.end();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Written(out.toByteArray(), schemaEnd, List.copyOf(batches), ends);
    }

    private static void fill(VectorSchemaRoot root, List<Row> rows) {
        IntVector ids = (IntVector) root.getVector("patient_id");
        Float8Vector scores = (Float8Vector) root.getVector("score");
        VarCharVector wards = (VarCharVector) root.getVector("ward");
        root.allocateNew();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            if (row.patientId() == null) {
                ids.setNull(i);
            } else {
                ids.setSafe(i, row.patientId());
            }
            if (row.score() == null) {
                scores.setNull(i);
            } else {
                scores.setSafe(i, row.score());
            }
            if (row.ward() == null) {
                wards.setNull(i);
            } else {
                wards.setSafe(i, row.ward().getBytes(StandardCharsets.UTF_8));
            }
        }
        root.setRowCount(rows.size());
    }

    /** The rows of {@code root}, read back the same way. */
    static List<Row> rows(VectorSchemaRoot root) {
        IntVector ids = (IntVector) root.getVector("patient_id");
        Float8Vector scores = (Float8Vector) root.getVector("score");
        VarCharVector wards = (VarCharVector) root.getVector("ward");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < root.getRowCount(); i++) {
            rows.add(new Row(
                    ids.isNull(i) ? null : ids.get(i),
                    scores.isNull(i) ? null : scores.get(i),
                    wards.isNull(i) ? null : new String(wards.get(i), StandardCharsets.UTF_8)));
        }
        return rows;
    }

    static byte[] prefix(byte[] bytes, long length) {
        return Arrays.copyOf(bytes, Math.toIntExact(length));
    }
}
