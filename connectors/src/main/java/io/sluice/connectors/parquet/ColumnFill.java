package io.sluice.connectors.parquet;

import io.sluice.connectors.internal.ArrowSink;
import io.sluice.connectors.parquet.ParquetColumn.Leaf;
import io.sluice.connectors.parquet.ParquetColumn.ListOf;
import io.sluice.connectors.parquet.ParquetColumn.Node;
import io.sluice.connectors.parquet.ParquetColumn.Struct;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.StructVector;

/**
 * Fills one top-level Arrow vector of a batch: a leaf, a struct of leaves, a column with lists or
 * maps at any depth ({@link NestedColumnFill}), or a partition column's constant. Each batch runs
 * {@link #prepare}, {@link #fill} and {@link #finish} with the same row count. Not thread-safe.
 */
sealed interface ColumnFill permits ColumnFill.LeafFill, ColumnFill.StructFill, ColumnFill.PartitionFill,
        NestedColumnFill {

    /** Buffers for {@code rows} rows, validity cleared. */
    void prepare(int rows);

    /** Writes the next {@code rows} rows. */
    void fill(int rows) throws IOException;

    /** Sets the value counts. */
    void finish(int rows);

    /**
     * The fill of {@code node} into {@code vector}; {@code readers} makes the leaf reader of a
     * leaf (the caller keeps them to start each row group).
     */
    static ColumnFill of(Node node, FieldVector vector, Function<Leaf, LeafReader> readers) {
        if (node.repeated()) {
            return NestedColumnFill.of(node, vector, readers);
        }
        return switch (node) {
            case Leaf leaf -> new LeafFill(readers.apply(leaf), ArrowSink.of(vector));
            case Struct struct -> {
                StructVector structVector = (StructVector) vector;
                List<ColumnFill> children = new ArrayList<>();
                LeafReader first = null;
                for (int i = 0; i < struct.children().size(); i++) {
                    ColumnFill child = of(struct.children().get(i), (FieldVector) structVector.getChildByOrdinal(i),
                            readers);
                    children.add(child);
                }
                Leaf firstLeaf = struct.firstLeaf();
                for (ColumnFill child : children) {
                    first = first != null ? first : child.readerOf(firstLeaf);
                }
                yield new StructFill(structVector, struct.definitionLevel(), first, children);
            }
            case ListOf list -> throw new IllegalStateException("a list is always repeated");
        };
    }

    /** The reader of {@code leaf} inside this fill, or null. */
    default LeafReader readerOf(Leaf leaf) {
        return null;
    }

    /** A primitive column. */
    final class LeafFill implements ColumnFill {
        private final LeafReader reader;
        private final ArrowSink sink;

        LeafFill(LeafReader reader, ArrowSink sink) {
            this.reader = reader;
            this.sink = sink;
        }

        @Override
        public void prepare(int rows) {
            sink.prepare(rows);
        }

        @Override
        public void fill(int rows) throws IOException {
            reader.readFlat(sink, rows);
        }

        @Override
        public void finish(int rows) {
            sink.finish(rows);
        }

        @Override
        public LeafReader readerOf(Leaf leaf) {
            return reader.leaf == leaf ? reader : null;
        }
    }

    /** A struct: children row by row, validity from the first leaf's definition levels. */
    final class StructFill implements ColumnFill {
        private final StructVector vector;
        private final int level;
        private final LeafReader first;
        private final List<ColumnFill> children;

        StructFill(StructVector vector, int level, LeafReader first, List<ColumnFill> children) {
            this.vector = vector;
            this.level = level;
            this.first = first;
            this.children = List.copyOf(children);
        }

        @Override
        public void prepare(int rows) {
            if (vector.getValueCapacity() < rows) {
                vector.setInitialCapacity(rows);
                vector.allocateNew();
            } else {
                vector.getValidityBuffer().setZero(0, vector.getValidityBuffer().capacity());
            }
            children.forEach(child -> child.prepare(rows));
        }

        @Override
        public void fill(int rows) throws IOException {
            for (ColumnFill child : children) {
                child.fill(rows);
            }
            ArrowBuf validity = vector.getValidityBuffer();
            if (level == 0) {
                ArrowSink.setBits(validity, 0, rows);
                return;
            }
            byte[] levels = first.definitionLevels;
            for (int i = 0; i < rows; i++) {
                if (levels[i] >= level) {
                    BitVectorHelper.setBit(validity, i);
                }
            }
        }

        @Override
        public void finish(int rows) {
            children.forEach(child -> child.finish(rows));
            vector.setValueCount(rows);
        }

        @Override
        public LeafReader readerOf(Leaf leaf) {
            for (ColumnFill child : children) {
                LeafReader reader = child.readerOf(leaf);
                if (reader != null) {
                    return reader;
                }
            }
            return null;
        }
    }

    /** A partition column: one value (or null) for every row of a file. */
    final class PartitionFill implements ColumnFill {
        private final FieldVector vector;
        private final ArrowSink sink;
        private final Object value;
        private final byte[] utf8;

        PartitionFill(FieldVector vector, Object value) {
            this.vector = vector;
            this.sink = ArrowSink.of(vector);
            this.value = value;
            this.utf8 = value instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : null;
        }

        @Override
        public void prepare(int rows) {
            sink.prepare(rows);
        }

        @Override
        public void fill(int rows) {
            if (value == null) {
                if (sink instanceof ArrowSink.Variable variable) {
                    variable.lengths(rows);
                    variable.place(0, rows, new byte[rows], 0, 1);
                }
                return;
            }
            switch (vector) {
                case BigIntVector v -> {
                    MemorySegment data = ((ArrowSink.Fixed) sink).data();
                    long constant = (Long) value;
                    for (int i = 0; i < rows; i++) {
                        data.set(PlainValues.LONG, 8L * i, constant);
                    }
                }
                case DateDayVector v -> {
                    MemorySegment data = ((ArrowSink.Fixed) sink).data();
                    int constant = (Integer) value;
                    for (int i = 0; i < rows; i++) {
                        data.set(PlainValues.INT, 4L * i, constant);
                    }
                }
                case BitVector v -> {
                    if ((Boolean) value) {
                        ArrowSink.setBits(v.getDataBuffer(), 0, rows);
                    }
                }
                case VarCharVector v -> {
                    ArrowSink.Variable variable = (ArrowSink.Variable) sink;
                    variable.reserve((long) utf8.length * rows);
                    MemorySegment source = MemorySegment.ofArray(utf8);
                    int[] lengths = variable.lengths(rows);
                    for (int i = 0; i < rows; i++) {
                        MemorySegment.copy(source, 0, variable.data(), variable.dataEnd(), utf8.length);
                        variable.advance(utf8.length);
                        lengths[i] = utf8.length;
                    }
                    variable.place(0, rows, null, 0, 0);
                }
                default -> throw new IllegalStateException("no partition fill for " + vector.getClass().getSimpleName());
            }
            sink.setValid(0, rows);
        }

        @Override
        public void finish(int rows) {
            sink.finish(rows);
        }
    }
}
