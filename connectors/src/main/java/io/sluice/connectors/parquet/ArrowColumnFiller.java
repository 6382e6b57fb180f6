package io.sluice.connectors.parquet;

import java.nio.ByteBuffer;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.io.api.Binary;

/**
 * Copies the next {@code rows} values of one Parquet column into one Arrow vector.
 *
 * <p>Each implementation owns one tight loop over {@link ColumnReader}: the definition level
 * says null or not, a non-null value is read with the typed getter, then the triplet is consumed.
 * Fixed-width values are written straight into the vector's data buffer, sized once per batch;
 * variable-width values use {@code setSafe}, pre-sized from the previous batch's average length.
 *
 * <p>The vector is reused from batch to batch: its buffers are kept (and zeroed) when they hold
 * enough rows, reallocated otherwise, so a caller that transferred the buffers away gets fresh
 * ones. Not thread-safe; one filler per column per reader.
 */
sealed interface ArrowColumnFiller {

    /**
     * Fills {@code vector} with the next {@code rows} values of {@code reader} and sets its value
     * count. The reader must hold at least {@code rows} more values.
     *
     * @param maxDefinitionLevel the column's maximum definition level: 0 for a required column,
     *     1 for an optional top-level one (a lower level is a null)
     */
    void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows);

    /** The filler for a column mapped by {@link ParquetArrowSchema}. */
    static ArrowColumnFiller forColumn(ParquetColumn column) {
        return switch (column.descriptor().getPrimitiveType().getPrimitiveTypeName()) {
            case BOOLEAN -> new BooleanFiller();
            case INT32 -> column.field().getType() instanceof ArrowType.Int i
                    ? new Int32Filler(i.getBitWidth() / Byte.SIZE)
                    : new Int32Filler(Integer.BYTES);
            case INT64 -> new Int64Filler();
            case FLOAT -> new FloatFiller();
            case DOUBLE -> new DoubleFiller();
            case BINARY -> new BinaryFiller();
            case INT96, FIXED_LEN_BYTE_ARRAY -> throw new IllegalArgumentException(
                    "no filler for column " + column.name() + " of type " + column.parquetType());
        };
    }

    /** INT32 into a 1-, 2- or 4-byte Arrow vector (Int(8|16|32), unsigned too, DateDay). */
    final class Int32Filler implements ArrowColumnFiller {
        private final int width;

        Int32Filler(int width) {
            if (width != 1 && width != 2 && width != 4) {
                throw new IllegalArgumentException("width must be 1, 2 or 4, was " + width);
            }
            this.width = width;
        }

        @Override
        public void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows) {
            BaseFixedWidthVector fixed = prepare(vector, rows);
            ArrowBuf data = fixed.getDataBuffer();
            ArrowBuf validity = fixed.getValidityBuffer();
            for (int i = 0; i < rows; i++) {
                if (reader.getCurrentDefinitionLevel() == maxDefinitionLevel) {
                    int value = reader.getInteger();
                    switch (width) {
                        case 4 -> data.setInt((long) i * 4, value);
                        case 2 -> data.setShort((long) i * 2, value);
                        default -> data.setByte(i, value);
                    }
                    BitVectorHelper.setBit(validity, i);
                }
                reader.consume();
            }
            fixed.setValueCount(rows);
        }
    }

    /** INT64 into an 8-byte Arrow vector (Int(64), unsigned too, timestamps). */
    final class Int64Filler implements ArrowColumnFiller {
        @Override
        public void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows) {
            BaseFixedWidthVector fixed = prepare(vector, rows);
            ArrowBuf data = fixed.getDataBuffer();
            ArrowBuf validity = fixed.getValidityBuffer();
            for (int i = 0; i < rows; i++) {
                if (reader.getCurrentDefinitionLevel() == maxDefinitionLevel) {
                    data.setLong((long) i * Long.BYTES, reader.getLong());
                    BitVectorHelper.setBit(validity, i);
                }
                reader.consume();
            }
            fixed.setValueCount(rows);
        }
    }

    /** FLOAT into FloatingPoint(SINGLE). */
    final class FloatFiller implements ArrowColumnFiller {
        @Override
        public void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows) {
            BaseFixedWidthVector fixed = prepare(vector, rows);
            ArrowBuf data = fixed.getDataBuffer();
            ArrowBuf validity = fixed.getValidityBuffer();
            for (int i = 0; i < rows; i++) {
                if (reader.getCurrentDefinitionLevel() == maxDefinitionLevel) {
                    data.setFloat((long) i * Float.BYTES, reader.getFloat());
                    BitVectorHelper.setBit(validity, i);
                }
                reader.consume();
            }
            fixed.setValueCount(rows);
        }
    }

    /** DOUBLE into FloatingPoint(DOUBLE). */
    final class DoubleFiller implements ArrowColumnFiller {
        @Override
        public void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows) {
            BaseFixedWidthVector fixed = prepare(vector, rows);
            ArrowBuf data = fixed.getDataBuffer();
            ArrowBuf validity = fixed.getValidityBuffer();
            for (int i = 0; i < rows; i++) {
                if (reader.getCurrentDefinitionLevel() == maxDefinitionLevel) {
                    data.setDouble((long) i * Double.BYTES, reader.getDouble());
                    BitVectorHelper.setBit(validity, i);
                }
                reader.consume();
            }
            fixed.setValueCount(rows);
        }
    }

    /** BOOLEAN into Bool (one bit per value; the zeroed buffer already holds every false). */
    final class BooleanFiller implements ArrowColumnFiller {
        @Override
        public void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows) {
            BaseFixedWidthVector fixed = prepare(vector, rows);
            ArrowBuf data = fixed.getDataBuffer();
            ArrowBuf validity = fixed.getValidityBuffer();
            for (int i = 0; i < rows; i++) {
                if (reader.getCurrentDefinitionLevel() == maxDefinitionLevel) {
                    if (reader.getBoolean()) {
                        BitVectorHelper.setBit(data, i);
                    }
                    BitVectorHelper.setBit(validity, i);
                }
                reader.consume();
            }
            fixed.setValueCount(rows);
        }
    }

    /** BINARY into Utf8 or Binary, copying each value once from the decoded page. */
    final class BinaryFiller implements ArrowColumnFiller {
        private static final long INITIAL_BYTES_PER_VALUE = 16;
        private long bytesPerValue = INITIAL_BYTES_PER_VALUE;

        @Override
        public void fill(ColumnReader reader, int maxDefinitionLevel, FieldVector vector, int rows) {
            BaseVariableWidthVector variable = (BaseVariableWidthVector) vector;
            if (variable.getValueCapacity() < rows) {
                variable.allocateNew(Math.max(1, bytesPerValue * rows), rows);
            } else {
                variable.reset();
            }
            long bytes = 0;
            for (int i = 0; i < rows; i++) {
                if (reader.getCurrentDefinitionLevel() == maxDefinitionLevel) {
                    Binary value = reader.getBinary();
                    ByteBuffer buffer = value.toByteBuffer();
                    int length = buffer.remaining();
                    variable.setSafe(i, buffer, buffer.position(), length);
                    bytes += length;
                }
                reader.consume();
            }
            variable.setValueCount(rows);
            // Next batch: room for this one's average plus a quarter, so that growth is rare.
            bytesPerValue = Math.max(1, bytes / rows + bytes / rows / 4);
        }
    }

    /** Zeroed buffers for {@code rows} values: kept when big enough, reallocated otherwise. */
    private static BaseFixedWidthVector prepare(FieldVector vector, int rows) {
        BaseFixedWidthVector fixed = (BaseFixedWidthVector) vector;
        if (fixed.getValueCapacity() < rows) {
            fixed.allocateNew(rows);
        } else {
            fixed.reset();
        }
        return fixed;
    }
}
