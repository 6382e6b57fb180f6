package io.sluice.connectors.parquet;

import io.sluice.connectors.internal.ArrowSink;
import io.sluice.connectors.parquet.ParquetColumn.Leaf;
import io.sluice.connectors.parquet.ParquetColumn.ListOf;
import io.sluice.connectors.parquet.ParquetColumn.Node;
import io.sluice.connectors.parquet.ParquetColumn.Struct;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;

/**
 * Fills a column with lists or maps at any depth (lists of structs, structs of lists, lists of
 * lists, maps of anything) by record assembly, the Dremel shredding run backwards.
 *
 * <p>Each leaf is read first, record by record ({@link LeafReader#readRecords}): its values go
 * into its vector and its repetition and definition levels stay in the reader. Then every list
 * and struct above the leaves is assembled from the levels of its first leaf, in one pass over
 * the level arrays each, writing validity bits and offsets straight into the Arrow buffers.
 *
 * <p>A node at list depth {@code R} below a repeated field of definition level {@code A} has one
 * value for every level entry with repetition {@code <= R} and definition {@code >= A} (entries
 * below {@code A} only mark an empty or null list further up). The value is valid when the
 * definition reaches the node's own level. A list's elements are the entries, among its values'
 * entries and those repeating at {@code R + 1}, whose definition reaches the repeated field's
 * level; its offsets count them. Every node checks that its children hold exactly as many values
 * as it needs, so leaves that disagree (a damaged file) fail the batch instead of producing
 * vectors that point past their children.
 *
 * <p>Buffers: leaves below lists start at the size of the last batch and grow (their own buffers)
 * while they are read. A list or struct counts its values from its first leaf's levels, then
 * grows only its own validity and offset buffers to fit them: never through
 * {@code reAlloc}, which would double every vector below it as well, so a batch much wider than
 * the one before would multiply the memory of the leaves already read. Not thread-safe.
 */
final class NestedColumnFill implements ColumnFill {
    private final Part root;
    private final List<LeafPart> leaves;

    private NestedColumnFill(Part root, List<LeafPart> leaves) {
        this.root = root;
        this.leaves = List.copyOf(leaves);
    }

    /** The fill of {@code node} into {@code vector}; {@code readers} makes each leaf's reader. */
    static NestedColumnFill of(Node node, FieldVector vector, Function<Leaf, LeafReader> readers) {
        List<LeafPart> leaves = new ArrayList<>();
        Part root = part(node, vector, readers, new int[] {0}, leaves);
        return new NestedColumnFill(root, leaves);
    }

    /**
     * @param repeatedLevels the definition levels of the repeated fields above {@code node}, by
     *     repetition level (index 0 unused): its list depth is {@code length - 1}
     */
    private static Part part(Node node, FieldVector vector, Function<Leaf, LeafReader> readers, int[] repeatedLevels,
            List<LeafPart> leaves) {
        int depth = repeatedLevels.length - 1;
        int ancestorLevel = repeatedLevels[depth];
        return switch (node) {
            case Leaf leaf -> {
                LeafPart part = new LeafPart(readers.apply(leaf), ArrowSink.of(vector), repeatedLevels);
                leaves.add(part);
                yield part;
            }
            case Struct struct -> {
                StructVector structVector = (StructVector) vector;
                List<Part> children = new ArrayList<>();
                for (int i = 0; i < struct.children().size(); i++) {
                    children.add(part(struct.children().get(i), (FieldVector) structVector.getChildByOrdinal(i),
                            readers, repeatedLevels, leaves));
                }
                yield new StructPart(structVector, struct.definitionLevel(), depth, ancestorLevel, children);
            }
            case ListOf list -> {
                ListVector listVector = (ListVector) vector;
                int[] below = Arrays.copyOf(repeatedLevels, depth + 2);
                below[depth + 1] = list.slotDefinitionLevel();
                Part element = part(list.element(), listVector.getDataVector(), readers, below, leaves);
                yield new ListPart(listVector, list, depth, ancestorLevel, element);
            }
        };
    }

    @Override
    public void prepare(int rows) {
        root.prepare(rows);
    }

    @Override
    public void fill(int rows) throws IOException {
        for (LeafPart leaf : leaves) {
            leaf.read(rows);
        }
        int values = root.assemble();
        if (values != rows) {
            throw new IllegalStateException("the column's levels hold " + values + " records, not " + rows);
        }
    }

    @Override
    public void finish(int rows) {
        root.finish();
    }

    @Override
    public LeafReader readerOf(Leaf leaf) {
        for (LeafPart part : leaves) {
            if (part.reader.leaf == leaf) {
                return part.reader;
            }
        }
        return null;
    }

    /** One vector of the column's tree. */
    private abstract static sealed class Part permits LeafPart, StructPart, ListPart {
        /** Entries with a repetition level at or below this start a value here. */
        final int depth;
        /** Entries with a definition level below this hold no value here (a list above is empty or null). */
        final int ancestorLevel;
        /** Values in the current batch (after {@link #assemble}); the last batch's before. */
        int count;

        Part(int depth, int ancestorLevel) {
            this.depth = depth;
            this.ancestorLevel = ancestorLevel;
        }

        /** Buffers for about {@code capacity} values, validity cleared. */
        abstract void prepare(int capacity);

        /** Validity and offsets of the batch from the leaves' levels; returns {@link #count}. */
        abstract int assemble();

        abstract void finish();

        abstract LeafReader firstReader();

        /** Values this part has in the batch: the first leaf's entries that start one here (one pass). */
        final int countValues(LeafReader first) {
            byte[] repetition = first.repetitionLevels();
            byte[] definition = first.definitionLevels;
            int entries = first.levelCount();
            int depth = this.depth;
            int ancestor = ancestorLevel;
            int values = 0;
            for (int i = 0; i < entries; i++) {
                if (repetition[i] <= depth && definition[i] >= ancestor) {
                    values++;
                }
            }
            return values;
        }

        /** Capacity to prepare a part below a list with: its last batch's size, or a first guess. */
        static int below(Part part, int guess) {
            return Math.max(1, part.count > 0 ? part.count : guess);
        }
    }

    private static final class LeafPart extends Part {
        final LeafReader reader;
        private final ArrowSink sink;
        private final int[] repeatedLevels;

        LeafPart(LeafReader reader, ArrowSink sink, int[] repeatedLevels) {
            super(repeatedLevels.length - 1, repeatedLevels[repeatedLevels.length - 1]);
            this.reader = reader;
            this.sink = sink;
            this.repeatedLevels = repeatedLevels;
        }

        void read(int rows) throws IOException {
            if (reader.leaf.maxRepetitionLevel() == 0) {
                reader.readFlat(sink, rows); // a struct's leaf beside a list: one value per row
                count = rows;
            } else {
                count = reader.readRecords(sink, repeatedLevels, rows);
            }
        }

        @Override
        void prepare(int capacity) {
            sink.prepare(capacity);
        }

        @Override
        int assemble() {
            return count;
        }

        @Override
        void finish() {
            sink.finish(count);
        }

        @Override
        LeafReader firstReader() {
            return reader;
        }
    }

    private static final class StructPart extends Part {
        private final StructVector vector;
        private final int definitionLevel;
        private final List<Part> children;

        StructPart(StructVector vector, int definitionLevel, int depth, int ancestorLevel, List<Part> children) {
            super(depth, ancestorLevel);
            this.vector = vector;
            this.definitionLevel = definitionLevel;
            this.children = List.copyOf(children);
        }

        @Override
        void prepare(int capacity) {
            // The struct's own validity is sized in assemble, once its value count is known.
            for (Part child : children) {
                child.prepare(capacity);
            }
        }

        @Override
        int assemble() {
            for (Part child : children) {
                child.assemble();
            }
            LeafReader first = firstReader();
            byte[] repetition = first.repetitionLevels();
            byte[] definition = first.definitionLevels;
            int entries = first.levelCount();
            int depth = this.depth;
            int ancestor = ancestorLevel;
            int defined = definitionLevel;
            ArrowBuf validity = validityFor(countValues(first));
            int values = 0;
            for (int i = 0; i < entries; i++) {
                int level = definition[i];
                if (repetition[i] > depth || level < ancestor) {
                    continue;
                }
                if (level >= defined) {
                    BitVectorHelper.setBit(validity, values);
                }
                values++;
            }
            for (Part child : children) {
                if (child.count != values) {
                    throw new IllegalStateException("a struct holds " + values + " values but its field "
                            + child.firstReader().leaf.descriptor() + " holds " + child.count);
                }
            }
            count = values;
            return values;
        }

        /**
         * The struct's validity buffer with room for {@code values} bits, cleared. Only this
         * buffer grows: {@code StructVector.reAlloc} would double every child too, leaves that
         * already hold the batch included.
         */
        private ArrowBuf validityFor(int values) {
            if (vector.getValidityBuffer().capacity() * 8 < values) {
                vector.setNull(values - 1); // grows the validity buffer alone
            }
            ArrowBuf validity = vector.getValidityBuffer();
            validity.setZero(0, BitVectorHelper.getValidityBufferSizeFromCount(values));
            return validity;
        }

        @Override
        void finish() {
            for (Part child : children) {
                child.finish();
            }
            vector.setValueCount(count);
        }

        @Override
        LeafReader firstReader() {
            return children.getFirst().firstReader();
        }
    }

    private static final class ListPart extends Part {
        private final ListVector vector;
        private final int definitionLevel;
        private final int slotLevel;
        private final Part element;

        ListPart(ListVector vector, ListOf node, int depth, int ancestorLevel, Part element) {
            super(depth, ancestorLevel);
            this.vector = vector;
            this.definitionLevel = node.definitionLevel();
            this.slotLevel = node.slotDefinitionLevel();
            this.element = element;
        }

        @Override
        void prepare(int capacity) {
            // The list's own buffers are sized in assemble, once its value count is known.
            element.prepare(below(element, capacity));
        }

        /** Lists the validity and offset buffers have room for. */
        private long ownCapacity() {
            return Math.min(vector.getValidityBuffer().capacity() * 8,
                    vector.getOffsetBuffer().capacity() / ListVector.OFFSET_WIDTH - 1);
        }

        @Override
        int assemble() {
            element.assemble();
            LeafReader first = firstReader();
            byte[] repetition = first.repetitionLevels();
            byte[] definition = first.definitionLevels;
            int entries = first.levelCount();
            int depth = this.depth;
            int ancestor = ancestorLevel;
            int defined = definitionLevel;
            int slot = slotLevel;
            reserve(countValues(first));
            ArrowBuf validity = vector.getValidityBuffer();
            ArrowBuf offsets = vector.getOffsetBuffer();
            // Both count level entries, of which a batch holds at most LeafReader.MAX_BATCH_LEVELS: no overflow.
            int values = 0;
            int elements = 0;
            for (int i = 0; i < entries; i++) {
                int repeat = repetition[i];
                int level = definition[i];
                if (repeat <= depth) {
                    if (level < ancestor) {
                        continue;
                    }
                    offsets.setInt((long) values * ListVector.OFFSET_WIDTH, elements);
                    if (level >= defined) {
                        BitVectorHelper.setBit(validity, values);
                    }
                    values++;
                    if (level >= slot) {
                        elements++;
                    }
                } else if (repeat == depth + 1) {
                    if (level < slot) {
                        throw new IllegalStateException("a repeated entry of " + first.leaf.descriptor()
                                + " has definition level " + level + ", below its list's " + slot);
                    }
                    elements++;
                }
            }
            // The offset buffer always has room for one offset past the last list.
            offsets.setInt((long) values * ListVector.OFFSET_WIDTH, elements);
            if (elements != element.count) {
                throw new IllegalStateException("lists of " + first.leaf.descriptor() + " hold " + elements
                        + " elements but their element column holds " + element.count);
            }
            count = values;
            return values;
        }

        /**
         * Room for {@code values} lists (validity bits and {@code values + 1} offsets), validity
         * cleared. Only these two buffers grow: {@code ListVector.reAlloc} would double the
         * element vector too, already filled and sized for the batch.
         */
        private void reserve(int values) {
            if (ownCapacity() < Math.max(values, 1)) {
                int last = Math.max(values - 1, 0);
                vector.setLastSet(last - 1); // so that setNull below writes one offset, not all before it
                vector.setNull(last); // grows the validity and offset buffers alone
            }
            vector.getValidityBuffer().setZero(0, BitVectorHelper.getValidityBufferSizeFromCount(values));
        }

        @Override
        void finish() {
            element.finish();
            vector.setLastSet(count - 1);
            vector.setValueCount(count);
        }

        @Override
        LeafReader firstReader() {
            return element.firstReader();
        }
    }
}
