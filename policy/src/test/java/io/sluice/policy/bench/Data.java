package io.sluice.policy.bench;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** A synthetic batch of patient rows for the benchmarks: ids, ages, weights, consent, a short diagnosis. */
final class Data {
    static final int ROWS = 1_000_000;
    static final Schema SCHEMA = new Schema(List.of(
            new Field("patient_id", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("age", FieldType.nullable(new ArrowType.Int(32, true)), null),
            new Field("weight", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("consent", FieldType.nullable(ArrowType.Bool.INSTANCE), null),
            new Field("diagnosis", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
    private static final byte[][] DIAGNOSES = {
        "flu".getBytes(StandardCharsets.UTF_8), "asthma".getBytes(StandardCharsets.UTF_8),
        "diabetes".getBytes(StandardCharsets.UTF_8), "none".getBytes(StandardCharsets.UTF_8)};

    private Data() {}

    /** {@code rows} rows, 1% nulls in each column but the id; the caller closes the batch. */
    static VectorSchemaRoot batch(BufferAllocator allocator, int rows) {
        SplittableRandom random = new SplittableRandom(42);
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        BigIntVector id = (BigIntVector) root.getVector("patient_id");
        IntVector age = (IntVector) root.getVector("age");
        Float8Vector weight = (Float8Vector) root.getVector("weight");
        BitVector consent = (BitVector) root.getVector("consent");
        VarCharVector diagnosis = (VarCharVector) root.getVector("diagnosis");
        id.allocateNew(rows);
        age.allocateNew(rows);
        weight.allocateNew(rows);
        consent.allocateNew(rows);
        diagnosis.allocateNew(8L * rows, rows);
        for (int i = 0; i < rows; i++) {
            id.set(i, 1_000_000_000L + i);
            if (random.nextInt(100) == 0) {
                age.setNull(i);
            } else {
                age.set(i, random.nextInt(100));
            }
            if (random.nextInt(100) == 0) {
                weight.setNull(i);
            } else {
                weight.set(i, 40 + random.nextDouble() * 80);
            }
            if (random.nextInt(100) == 0) {
                consent.setNull(i);
            } else {
                consent.set(i, random.nextInt(10) < 7 ? 1 : 0);
            }
            if (random.nextInt(100) == 0) {
                diagnosis.setNull(i);
            } else {
                diagnosis.setSafe(i, DIAGNOSES[random.nextInt(DIAGNOSES.length)]);
            }
        }
        for (FieldVector vector : root.getFieldVectors()) {
            vector.setValueCount(rows);
        }
        root.setRowCount(rows);
        return root;
    }

    /** The bytes of the named columns' buffers: what a pass over them reads. */
    static long bytes(VectorSchemaRoot root, List<String> columns) {
        long bytes = 0;
        for (String column : columns) {
            bytes += root.getVector(column).getBufferSize();
        }
        return bytes;
    }
}
