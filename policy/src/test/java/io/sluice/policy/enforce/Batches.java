package io.sluice.policy.enforce;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** Builds small batches from rows of Java values (null = null) and reads them back, for tests. */
final class Batches {
    private Batches() {}

    /** A batch of {@code schema} holding {@code rows}; values: Long/Integer, Double, String, Boolean, or null. */
    static VectorSchemaRoot of(Schema schema, BufferAllocator allocator, Object[]... rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            root.allocateNew();
            for (int c = 0; c < schema.getFields().size(); c++) {
                FieldVector vector = root.getVector(c);
                for (int r = 0; r < rows.length; r++) {
                    Object value = rows[r][c];
                    if (value == null) {
                        vector.setNull(r);
                        continue;
                    }
                    switch (vector) {
                        case VarCharVector v -> v.setSafe(r, ((String) value).getBytes(StandardCharsets.UTF_8));
                        case BitVector v -> v.setSafe(r, (Boolean) value ? 1 : 0);
                        case Float4Vector v -> v.setSafe(r, ((Number) value).floatValue());
                        case Float8Vector v -> v.setSafe(r, ((Number) value).doubleValue());
                        case DateDayVector v -> v.setSafe(r, ((Number) value).intValue());
                        case DateMilliVector v -> v.setSafe(r, ((Number) value).longValue());
                        case TimeStampVector v -> v.setSafe(r, ((Number) value).longValue());
                        case BaseIntVector v -> {
                            vector.setValueCount(Math.max(vector.getValueCount(), r + 1));
                            while (vector.getValueCapacity() <= r) {
                                vector.reAlloc();
                            }
                            v.setWithPossibleTruncate(r, ((Number) value).longValue());
                        }
                        default -> throw new IllegalArgumentException("no setter for " + vector.getField());
                    }
                }
                vector.setValueCount(rows.length);
            }
            root.setRowCount(rows.length);
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** The values of one column, as {@link FieldVector#getObject} gives them (strings as String). */
    static List<Object> column(VectorSchemaRoot root, String name) {
        FieldVector vector = root.getVector(name);
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < root.getRowCount(); i++) {
            Object value = vector.getObject(i);
            values.add(value instanceof org.apache.arrow.vector.util.Text text ? text.toString() : value);
        }
        return values;
    }
}
