package io.sluice.policy.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.FieldPath;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;

/**
 * The gather over Arrow's layouts, fed malformed batches: each is refused with a message naming
 * the column, nothing malformed comes out, and nothing leaks (the allocator closes clean).
 */
class SelectionCopyTest {
    /** Rows 0 and 2 of 3: row 1, which is not read, is where the offsets go backwards. */
    private static Selection rowsZeroAndTwo() {
        Selection selection = new Selection();
        selection.of(new long[] {0b101L}, 3);
        return selection;
    }

    @Test
    void refusesListRowsWhoseElementsOverlapInsteadOfCountingElementsTwice() {
        // Offsets 0,3,1,4: row 0 holds elements 0..3, row 2 holds 1..4; copied, the output's offsets
        // would count 6 elements where only 4 exist.
        try (BufferAllocator allocator = new RootAllocator()) {
            try (ListVector in = listOfInts(allocator, new long[] {0, 3, 1, 4});
                    FieldVector out = in.getField().createVector(allocator)) {
                assertThatThrownBy(() -> SelectionCopy.copy(in, rowsZeroAndTwo(), out))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("list 'l' row 2 holds elements 1..4, which overlap an earlier row's (up to 3) or"
                                + " lie outside its elements 0..4; offsets must never decrease");
            }
            try (LargeListVector in = largeListOfInts(allocator, new long[] {0, 3, 1, 4});
                    FieldVector out = in.getField().createVector(allocator)) {
                assertThatThrownBy(() -> SelectionCopy.copy(in, rowsZeroAndTwo(), out))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("large list 'l' row 2 holds elements 1..4, which overlap an earlier row's (up to 3)"
                                + " or lie outside its elements 0..4; offsets must never decrease");
            }
        }
    }

    @Test
    void refusesListOffsetsThatStartBelowZero() {
        try (BufferAllocator allocator = new RootAllocator();
                ListVector in = listOfInts(allocator, new long[] {-2, 1, 2, 4});
                FieldVector out = in.getField().createVector(allocator)) {
            assertThatThrownBy(() -> SelectionCopy.copy(in, rowsZeroAndTwo(), out))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("list 'l' has offsets -2..4 for its 3 rows; offsets must start at 0 or later and never"
                            + " decrease");
        }
    }

    @Test
    void copiesTheSelectedListRowsWhenTheOffsetsAreWellFormed() {
        try (BufferAllocator allocator = new RootAllocator();
                ListVector in = listOfInts(allocator, new long[] {0, 3, 3, 4});
                ListVector out = (ListVector) in.getField().createVector(allocator)) {
            SelectionCopy.copy(in, rowsZeroAndTwo(), out);

            assertThat(out.getValueCount()).isEqualTo(2);
            assertThat(out.getObject(0)).isEqualTo(List.of(0, 10, 20));
            assertThat(out.getObject(1)).isEqualTo(List.of(30));
            assertThat(out.getDataVector().getValueCount()).isEqualTo(4);
        }
    }

    @Test
    void refusesUtf8ValuesThatOverlapRatherThanOverrunTheOutputBuffer() {
        // Rows 0 and 2 both claim all 100 bytes: copied, 200 bytes would go into a buffer sized for 100.
        try (BufferAllocator allocator = new RootAllocator();
                VarCharVector in = strings(allocator, "x".repeat(100), new int[] {0, 100, 0, 100});
                FieldVector out = in.getField().createVector(allocator)) {
            assertThatThrownBy(() -> SelectionCopy.copy(in, rowsZeroAndTwo(), out))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("column 's' row 2 holds bytes 0..100, which run backwards or overlap an earlier value"
                            + " (up to byte 100); offsets must never decrease");
        }
    }

    @Test
    void refusesUtf8OffsetsThatDecreaseWhenEveryRowIsSelected() {
        try (BufferAllocator allocator = new RootAllocator();
                VarCharVector in = strings(allocator, "abcd", new int[] {0, 3, 1, 4});
                FieldVector out = in.getField().createVector(allocator)) {
            Selection all = new Selection();
            all.all(3);
            assertThatThrownBy(() -> SelectionCopy.copy(in, all, out))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("column 's' row 1 holds bytes 3..1, which run backwards or overlap an earlier value"
                            + " (up to byte 3); offsets must never decrease");
        }
    }

    @Test
    void refusesABatchNestedDeeperThanTheLimitInsteadOfRecursingOn() {
        Field field = new Field("leaf", FieldType.nullable(new ArrowType.Int(32, true)), null);
        for (int level = 0; level < FieldPath.MAX_DEPTH + 5; level++) {
            field = new Field("s" + level, FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(field));
        }
        Selection one = new Selection();
        one.all(1);
        try (BufferAllocator allocator = new RootAllocator();
                FieldVector in = field.createVector(allocator);
                FieldVector out = field.createVector(allocator)) {
            in.allocateNew();
            in.setValueCount(1);
            assertThatThrownBy(() -> SelectionCopy.copy(in, one, out))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("field 's4' lies more than 64 levels deep in the batch; the broker copies at most 64");
        }
    }

    /** A list of int32 named {@code l} with 3 valid rows over the elements 0, 10, 20, 30 and these offsets. */
    private static ListVector listOfInts(BufferAllocator allocator, long[] offsets) {
        ListVector list = ListVector.empty("l", allocator);
        list.addOrGetVector(FieldType.nullable(new ArrowType.Int(32, true)));
        list.allocateNew();
        fillElements((IntVector) list.getDataVector());
        for (int i = 0; i < offsets.length; i++) {
            list.getOffsetBuffer().setInt(4L * i, (int) offsets[i]);
        }
        finish(list);
        return list;
    }

    private static LargeListVector largeListOfInts(BufferAllocator allocator, long[] offsets) {
        LargeListVector list = LargeListVector.empty("l", allocator);
        list.addOrGetVector(FieldType.nullable(new ArrowType.Int(32, true)));
        list.allocateNew();
        fillElements((IntVector) list.getDataVector());
        for (int i = 0; i < offsets.length; i++) {
            list.getOffsetBuffer().setLong(8L * i, offsets[i]);
        }
        finish(list);
        return list;
    }

    private static void fillElements(IntVector elements) {
        for (int i = 0; i < 4; i++) {
            elements.setSafe(i, i * 10);
        }
        elements.setValueCount(4);
    }

    /** Marks 3 rows valid and sets the count without Arrow rewriting the hand-written offsets. */
    private static void finish(FieldVector list) {
        for (int row = 0; row < 3; row++) {
            BitVectorHelper.setBit(list.getValidityBuffer(), row);
        }
        switch (list) {
            case ListVector l -> l.setLastSet(2);
            case LargeListVector l -> l.setLastSet(2);
            default -> throw new IllegalArgumentException(list.toString());
        }
        list.setValueCount(3);
    }

    /** A utf8 vector named {@code s} over {@code data} with 3 valid rows and these offsets. */
    private static VarCharVector strings(BufferAllocator allocator, String data, int[] offsets) {
        VarCharVector strings = new VarCharVector("s", allocator);
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        strings.allocateNew(bytes.length, 3);
        strings.getDataBuffer().setBytes(0, bytes);
        for (int i = 0; i < offsets.length; i++) {
            strings.getOffsetBuffer().setInt(4L * i, offsets[i]);
        }
        for (int row = 0; row < 3; row++) {
            BitVectorHelper.setBit(strings.getValidityBuffer(), row);
        }
        strings.setLastSet(2);
        strings.setValueCount(3);
        return strings;
    }
}
