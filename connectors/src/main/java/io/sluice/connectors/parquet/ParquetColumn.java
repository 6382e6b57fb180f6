package io.sluice.connectors.parquet;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.Type;

/**
 * One top-level Parquet column, the Arrow field it is read into, and how its leaves assemble.
 *
 * @param parquetType the column's type in the file schema
 * @param field the Arrow field: same name, nullable exactly when the column is optional
 * @param node how the column's leaf columns become the Arrow vector
 */
record ParquetColumn(Type parquetType, Field field, Node node) {
    ParquetColumn {
        requireNonNull(parquetType, "parquetType is null");
        requireNonNull(field, "field is null");
        requireNonNull(node, "node is null");
    }

    String name() {
        return field.getName();
    }

    /** The assembly tree of a column. */
    sealed interface Node permits Leaf, Struct, ListOf {
        /** The first leaf at or below this node: its levels give the node's validity (and offsets). */
        Leaf firstLeaf();

        /** Whether a list lies at or below this node, so that its leaves carry repetition levels. */
        boolean repeated();
    }

    /**
     * A primitive Parquet column read into one Arrow vector.
     *
     * @param descriptor path, physical type and levels, as they appear in the file
     * @param kind how physical values become Arrow values
     * @param outWidth bytes per Arrow value for fixed-width kinds (16 or 32 for decimals, the
     *     length for fixed-size binary), 0 for bits and variable width
     */
    record Leaf(ColumnDescriptor descriptor, LeafKind kind, int outWidth) implements Node {
        Leaf {
            requireNonNull(descriptor, "descriptor is null");
            requireNonNull(kind, "kind is null");
        }

        int maxDefinitionLevel() {
            return descriptor.getMaxDefinitionLevel();
        }

        int maxRepetitionLevel() {
            return descriptor.getMaxRepetitionLevel();
        }

        @Override
        public Leaf firstLeaf() {
            return this;
        }

        @Override
        public boolean repeated() {
            return maxRepetitionLevel() > 0;
        }
    }

    /**
     * A group without annotation: an Arrow struct whose children are read row by row.
     *
     * @param definitionLevel a leaf's definition level at or above which the struct is present
     */
    record Struct(int definitionLevel, List<Node> children) implements Node {
        Struct {
            children = List.copyOf(children);
            if (children.isEmpty()) {
                throw new IllegalArgumentException("a struct needs at least one child");
            }
        }

        @Override
        public Leaf firstLeaf() {
            return children.getFirst().firstLeaf();
        }

        @Override
        public boolean repeated() {
            return children.stream().anyMatch(Node::repeated);
        }
    }

    /**
     * A repeated field: a LIST-annotated group (three-level or legacy), a MAP (an Arrow map is a
     * list of non-null key/value structs, so its element is that struct), or a bare repeated field.
     * The element may be any node, so lists nest in lists, structs and maps (up to the 64 levels
     * {@code ParquetFeatures} allows).
     *
     * @param definitionLevel definition level at or above which the list is present (not null)
     * @param slotDefinitionLevel definition level at or above which an entry is an element slot
     *     (below it, the list is empty or null); the repeated field's own level
     * @param element how the elements assemble
     */
    record ListOf(int definitionLevel, int slotDefinitionLevel, Node element) implements Node {
        ListOf {
            requireNonNull(element, "element is null");
            if (slotDefinitionLevel <= definitionLevel) {
                throw new IllegalArgumentException("an element slot needs a definition level above the list's, was "
                        + slotDefinitionLevel + " <= " + definitionLevel);
            }
        }

        @Override
        public Leaf firstLeaf() {
            return element.firstLeaf();
        }

        @Override
        public boolean repeated() {
            return true;
        }
    }

    /** How the physical values of a leaf become Arrow values. */
    enum LeafKind {
        /** BOOLEAN into Bool. */
        BOOLEAN,
        /** INT32 into a 4-byte vector (Int(32), UInt(32), Date(DAY), Time(MILLI)). */
        INT32,
        /** INT32 into Int(8)/UInt(8). */
        INT32_TO_INT8,
        /** INT32 into Int(16)/UInt(16). */
        INT32_TO_INT16,
        /** INT64 into an 8-byte vector (Int(64), timestamps, Time(MICRO|NANO)). */
        INT64,
        FLOAT,
        DOUBLE,
        /** Legacy INT96 (nanoseconds of day, Julian day) into Timestamp(MICRO), exactly or not at all. */
        INT96_TO_MICROS,
        /** INT32 DECIMAL into Decimal(128|256). */
        INT32_TO_DECIMAL,
        /** INT64 DECIMAL into Decimal(128|256). */
        INT64_TO_DECIMAL,
        /** FIXED_LEN_BYTE_ARRAY into FixedSizeBinary (also UUID, FLOAT16 into HALF). */
        FIXED_BINARY,
        /** FIXED_LEN_BYTE_ARRAY DECIMAL (big-endian two's complement) into Decimal(128|256). */
        FIXED_TO_DECIMAL,
        /** BYTE_ARRAY into Utf8 or Binary. */
        BINARY,
        /** BYTE_ARRAY DECIMAL (big-endian two's complement) into Decimal(128|256). */
        BINARY_TO_DECIMAL;

        /** Whether the Arrow vector is a fixed-width vector with {@code outWidth} bytes per value. */
        boolean fixedWidth() {
            return this != BOOLEAN && this != BINARY;
        }
    }
}
