package io.sluice.policy.enforce;

import static io.sluice.policy.enforce.PipelineTest.KEY;
import static io.sluice.policy.enforce.PipelineTest.RECORDS;
import static java.util.Collections.nCopies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.Duty;
import io.sluice.policy.Generalisation;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowFilters;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Test;

/**
 * A batch that keeps every row has its pass-through columns moved (Arrow transfer) into the
 * result, not copied; everything else is computed as before. Every test closes its allocators, so
 * a leaked or doubly released buffer fails it.
 */
class MovedColumnsTest {
    /** Columns of {@link PipelineTest#RECORDS}, by position in its rows. */
    static final int ID = 0, BIRTH = 3, DIAGNOSIS = 4, AGE = 5, CONSENT = 6;
    static final String ADULTS_WITH_CONSENT = "consent = true AND age >= 18";

    @Test
    void movesPassThroughColumnsWhenNoRowFilterApplies() {
        List<String> columns = List.of("patient_id", "birth_date", "diagnosis", "age", "consent");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(columns), RECORDS, KEY, OptOuts.none());
        Object[][] rows = PipelineTest.many(1_000);
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator reader = root.newChildAllocator("reader", 0, Long.MAX_VALUE);
                BufferAllocator stream = root.newChildAllocator("stream", 0, Long.MAX_VALUE)) {
            try (VectorSchemaRoot in = Batches.of(RECORDS, reader, rows)) {
                Map<String, List<Long>> addresses = addresses(in, columns);
                long inputBytes = reader.getAllocatedMemory();
                long nameBytes = in.getVector("name").getBufferSize();

                try (VectorSchemaRoot out = pipeline.apply(in, stream)) {
                    assertThat(out.getSchema()).isEqualTo(pipeline.outputSchema());
                    assertThat(out.getRowCount()).isEqualTo(1_000);
                    for (String column : columns) {
                        assertThat(Batches.column(out, column)).as(column).isEqualTo(expected(rows, column));
                        assertThat(addresses(out, List.of(column))).as(column + " moved, not copied")
                                .isEqualTo(Map.of(column, addresses.get(column)));
                        FieldVector emptied = in.getVector(column);
                        assertThat(emptied.getValueCount()).as(column).isZero();
                        assertThat(emptied.getBufferSize()).as(column).isZero();
                        assertThat(emptied.getDataBuffer().capacity()).as(column).isZero();
                    }
                    // The column that does not leave stays where it was; the row count is the caller's.
                    assertThat(in.getRowCount()).isEqualTo(1_000);
                    assertThat(in.getVector("name").getBufferSize()).isEqualTo(nameBytes);
                    assertThat(Batches.column(in, "name")).isEqualTo(expected(rows, "name"));
                    // The moved buffers count against the stream's allocator now, not the reader's.
                    assertThat(stream.getAllocatedMemory()).isPositive();
                    assertThat(reader.getAllocatedMemory() + stream.getAllocatedMemory()).isEqualTo(inputBytes);
                }
                assertThat(stream.getAllocatedMemory()).isZero();
                assertThat(pipeline.rowsIn()).isEqualTo(1_000);
                assertThat(pipeline.rowsOut()).isEqualTo(1_000);
                assertThat(pipeline.batches()).isEqualTo(1);
            }
            assertThat(reader.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void copiesWhenTheRowFilterDropsRowsAndLeavesTheInputAsItWas() {
        List<String> columns = List.of("patient_id", "diagnosis", "age");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(columns, rowFilter(ADULTS_WITH_CONSENT)),
                RECORDS, KEY, OptOuts.none());
        Object[][] rows = PipelineTest.many(1_000);
        Object[][] kept = adultsWithConsent(rows);
        assertThat(kept.length).isBetween(1, 999);
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator reader = root.newChildAllocator("reader", 0, Long.MAX_VALUE);
                BufferAllocator stream = root.newChildAllocator("stream", 0, Long.MAX_VALUE);
                VectorSchemaRoot in = Batches.of(RECORDS, reader, rows)) {
            Map<String, List<Long>> addresses = addresses(in, columns);
            long inputBytes = reader.getAllocatedMemory();

            try (VectorSchemaRoot out = pipeline.apply(in, stream)) {
                assertThat(out.getSchema()).isEqualTo(pipeline.outputSchema());
                assertThat(out.getRowCount()).isEqualTo(kept.length);
                for (String column : columns) {
                    assertThat(Batches.column(out, column)).as(column).isEqualTo(expected(kept, column));
                    assertThat(addresses(out, List.of(column)).get(column)).as(column)
                            .doesNotContainAnyElementsOf(addresses.get(column));
                }
            }
            assertThat(addresses(in, columns)).isEqualTo(addresses);
            for (String column : RECORDS.getFields().stream().map(Field::getName).toList()) {
                assertThat(Batches.column(in, column)).as(column).isEqualTo(expected(rows, column));
            }
            assertThat(reader.getAllocatedMemory()).isEqualTo(inputBytes);
            assertThat(stream.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void movesPassThroughColumnsOfEachBatchThatTheRowFilterAndOptOutsKeepWhole() {
        List<String> columns = List.of("patient_id", "diagnosis", "age");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(columns, rowFilter(ADULTS_WITH_CONSENT)),
                RECORDS, KEY, OptOuts.of("patient_id", List.of("10000", "-1")));
        Object[][] whole = adultsWithConsent(PipelineTest.many(700));
        // Subjects 10000.. in the second batch; 10000 (row 0, an adult with consent) opted out.
        Object[][] mixed = PipelineTest.many(300);
        for (Object[] row : mixed) {
            row[ID] = row[ID] == null ? null : (Long) row[ID] + 10_000;
        }
        Object[][] mixedKept = Arrays.stream(adultsWithConsent(mixed))
                .filter(row -> !Long.valueOf(10_000).equals(row[ID])).toArray(Object[][]::new);
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator reader = root.newChildAllocator("reader", 0, Long.MAX_VALUE);
                BufferAllocator stream = root.newChildAllocator("stream", 0, Long.MAX_VALUE)) {
            // Batch 1: the filter and the opt-outs keep every row (subjects 0..699, none opted out).
            try (VectorSchemaRoot in = Batches.of(RECORDS, reader, whole)) {
                Map<String, List<Long>> addresses = addresses(in, columns);
                try (VectorSchemaRoot out = pipeline.apply(in, stream)) {
                    assertThat(out.getRowCount()).isEqualTo(whole.length);
                    for (String column : columns) {
                        assertThat(Batches.column(out, column)).as(column).isEqualTo(expected(whole, column));
                        assertThat(addresses(out, List.of(column))).isEqualTo(Map.of(column, addresses.get(column)));
                        assertThat(in.getVector(column).getValueCount()).as(column).isZero();
                    }
                    // Read by the filter but not sent: not moved.
                    assertThat(Batches.column(in, "consent")).isEqualTo(expected(whole, "consent"));
                }
            }
            // Batch 2: the same pipeline, rows dropped: copied.
            try (VectorSchemaRoot in = Batches.of(RECORDS, reader, mixed)) {
                Map<String, List<Long>> addresses = addresses(in, columns);
                try (VectorSchemaRoot out = pipeline.apply(in, stream)) {
                    assertThat(out.getRowCount()).isEqualTo(mixedKept.length);
                    for (String column : columns) {
                        assertThat(Batches.column(out, column)).as(column).isEqualTo(expected(mixedKept, column));
                    }
                }
                assertThat(addresses(in, columns)).isEqualTo(addresses);
                assertThat(Batches.column(in, "age")).isEqualTo(expected(mixed, "age"));
            }
            assertThat(pipeline.rowsIn()).isEqualTo(whole.length + 300L);
            assertThat(pipeline.rowsOut()).isEqualTo((long) whole.length + mixedKept.length);
            assertThat(pipeline.batches()).isEqualTo(2);
            assertThat(reader.getAllocatedMemory()).isZero();
            assertThat(stream.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void transformsColumnsAlikeWhetherThePassThroughsAreMovedOrCopied() {
        List<String> columns = List.of("patient_id", "birth_date", "diagnosis", "age", "consent");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(columns,
                new Duty.Pseudonymise(List.of("patient_id")),
                new Duty.Generalise(List.of("birth_date"), new Generalisation.Truncate(Generalisation.CalendarUnit.YEAR)),
                new Duty.Mask(List.of("diagnosis"), Optional.of(new Literal.Text("redacted"))),
                new Duty.Mask(List.of("consent"), Optional.empty()),
                rowFilter(ADULTS_WITH_CONSENT)), RECORDS, KEY, OptOuts.none());
        List<String> transformed = List.of("patient_id", "birth_date", "diagnosis", "consent");
        Object[][] whole = adultsWithConsent(PipelineTest.many(500));
        Object[][] mixed = PipelineTest.many(500);
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator reader = root.newChildAllocator("reader", 0, Long.MAX_VALUE);
                BufferAllocator stream = root.newChildAllocator("stream", 0, Long.MAX_VALUE)) {
            for (Object[][] rows : List.of(whole, mixed)) {
                Object[][] kept = adultsWithConsent(rows);
                try (VectorSchemaRoot in = Batches.of(RECORDS, reader, rows)) {
                    Map<String, List<Long>> addresses = addresses(in, List.of("age"));
                    try (VectorSchemaRoot out = pipeline.apply(in, stream)) {
                        assertThat(out.getSchema()).isEqualTo(pipeline.outputSchema());
                        assertThat(out.getRowCount()).isEqualTo(kept.length);
                        assertThat(Batches.column(out, "patient_id")).isEqualTo(column(kept, ID,
                                id -> KEY.pseudonym((Long) id)));
                        assertThat(Batches.column(out, "birth_date")).isEqualTo(column(kept, BIRTH,
                                day -> (int) LocalDate.ofEpochDay((Integer) day).withDayOfYear(1).toEpochDay()));
                        assertThat(Batches.column(out, "diagnosis")).isEqualTo(nCopies(kept.length, "redacted"));
                        assertThat(Batches.column(out, "consent")).containsOnlyNulls().hasSize(kept.length);
                        assertThat(Batches.column(out, "age")).isEqualTo(expected(kept, "age"));
                        boolean moved = rows == whole;
                        assertThat(addresses(out, List.of("age")).equals(addresses)).as("age moved").isEqualTo(moved);
                        assertThat(in.getVector("age").getValueCount()).isEqualTo(moved ? 0 : rows.length);
                    }
                    // Transformed columns are read, never moved.
                    for (String column : transformed) {
                        assertThat(Batches.column(in, column)).as(column).isEqualTo(expected(rows, column));
                    }
                }
            }
            assertThat(reader.getAllocatedMemory()).isZero();
            assertThat(stream.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void movesNothingWhenATransformFailsToAllocate() {
        List<String> columns = List.of("patient_id", "diagnosis", "age");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(
                permit(columns, new Duty.Pseudonymise(List.of("patient_id"))), RECORDS, KEY, OptOuts.none());
        Object[][] rows = PipelineTest.many(1_000);
        try (BufferAllocator root = new RootAllocator();
                BufferAllocator reader = root.newChildAllocator("reader", 0, Long.MAX_VALUE);
                VectorSchemaRoot in = Batches.of(RECORDS, reader, rows)) {
            Map<String, List<Long>> addresses = addresses(in, columns);
            long inputBytes = reader.getAllocatedMemory();
            try (BufferAllocator stream = root.newChildAllocator("stream", new PipelineTest.FailingAt(1), 0,
                    Long.MAX_VALUE)) {
                assertThatThrownBy(() -> pipeline.apply(in, stream))
                        .isInstanceOf(OutOfMemoryException.class)
                        .hasMessage("injected failure of allocation 1");
                assertThat(stream.getAllocatedMemory()).isZero();
            }
            assertThat(addresses(in, columns)).isEqualTo(addresses);
            assertThat(reader.getAllocatedMemory()).isEqualTo(inputBytes);
            for (String column : columns) {
                assertThat(Batches.column(in, column)).as(column).isEqualTo(expected(rows, column));
            }
            assertThat(pipeline.batches()).isZero();
        }
    }

    @Test
    void copiesIntoAnAllocatorOfAnotherRoot() {
        List<String> columns = List.of("diagnosis", "age");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(columns), RECORDS, KEY, OptOuts.none());
        Object[][] rows = PipelineTest.many(100);
        try (BufferAllocator one = new RootAllocator();
                BufferAllocator other = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, one, rows)) {
            Map<String, List<Long>> addresses = addresses(in, columns);
            try (VectorSchemaRoot out = pipeline.apply(in, other)) {
                for (String column : columns) {
                    assertThat(Batches.column(out, column)).as(column).isEqualTo(expected(rows, column));
                }
                assertThat(other.getAllocatedMemory()).isPositive();
            }
            assertThat(addresses(in, columns)).isEqualTo(addresses);
            assertThat(Batches.column(in, "age")).isEqualTo(expected(rows, "age"));
        }
    }

    @Test
    void copiesAColumnThatTwoOutputColumnsRead() {
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(List.of("age", "diagnosis", "age")),
                RECORDS, KEY, OptOuts.none());
        Object[][] rows = PipelineTest.many(100);
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, allocator, rows);
                VectorSchemaRoot out = pipeline.apply(in, allocator)) {
            List<Object> ages = expected(rows, "age");
            assertThat(values(out.getVector(0))).isEqualTo(ages);
            assertThat(values(out.getVector(2))).isEqualTo(ages);
            assertThat(Batches.column(in, "age")).isEqualTo(ages);
            // The column read once is moved.
            assertThat(in.getVector("diagnosis").getValueCount()).isZero();
            assertThat(values(out.getVector(1))).isEqualTo(expected(rows, "diagnosis"));
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static PolicyDecision.Permit permit(List<String> columns, Duty... duties) {
        return new PolicyDecision.Permit(columns, List.of(), List.of(duties), OptionalLong.empty(), Optional.empty());
    }

    private static Duty.RowFilter rowFilter(String expression) {
        return new Duty.RowFilter(expression, RowFilters.parse(expression, RECORDS));
    }

    /** The rows the reference reading of {@link #ADULTS_WITH_CONSENT} keeps. */
    private static Object[][] adultsWithConsent(Object[][] rows) {
        return Arrays.stream(rows)
                .filter(row -> Boolean.TRUE.equals(row[CONSENT]) && row[AGE] != null && (Integer) row[AGE] >= 18)
                .toArray(Object[][]::new);
    }

    /** The column's values as {@link Batches#column} reads them. */
    private static List<Object> expected(Object[][] rows, String column) {
        int position = RECORDS.getFields().indexOf(RECORDS.findField(column));
        return column(rows, position, value -> value);
    }

    private static List<Object> column(Object[][] rows, int position, Function<Object, Object> map) {
        List<Object> values = new ArrayList<>();
        for (Object[] row : rows) {
            values.add(row[position] == null ? null : map.apply(row[position]));
        }
        return values;
    }

    private static List<Object> values(FieldVector vector) {
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < vector.getValueCount(); i++) {
            Object value = vector.getObject(i);
            values.add(value instanceof Text text ? text.toString() : value);
        }
        return values;
    }

    /** The memory address of each buffer of each named column. */
    private static Map<String, List<Long>> addresses(VectorSchemaRoot root, List<String> columns) {
        Map<String, List<Long>> addresses = new HashMap<>();
        for (String column : columns) {
            addresses.put(column, root.getVector(column).getFieldBuffers().stream().map(ArrowBuf::memoryAddress).toList());
        }
        return addresses;
    }
}
