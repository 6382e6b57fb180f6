package io.sluice.policy.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.Policies;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.Transform;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** The DESIGN.md policy end to end: decide, announce, enforce on batches; and who owns what. */
class PipelineTest {
    static final Schema RECORDS = new Schema(List.of(
            field("patient_id", new ArrowType.Int(64, true)),
            field("name", ArrowType.Utf8.INSTANCE),
            field("address", ArrowType.Utf8.INSTANCE),
            field("birth_date", new ArrowType.Date(DateUnit.DAY)),
            field("diagnosis", ArrowType.Utf8.INSTANCE),
            field("age", new ArrowType.Int(32, true)),
            field("consent", ArrowType.Bool.INSTANCE)));

    static final String POLICY = """
            {"@type": "Set", "permission": [{
               "action": "use",
               "constraint": [
                 {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                 {"leftOperand": "count", "operator": "lteq", "rightOperand": 20}],
               "duty": [
                 {"action": "sluice:pseudonymise", "target": "patient_id"},
                 {"action": "sluice:drop", "target": ["name", "address"]},
                 {"action": "sluice:generalise", "target": "birth_date", "to": "year"},
                 {"action": "sluice:rowFilter", "expression": "consent = true AND age >= 18"}]}]}
            """;

    static final Object[][] ROWS = {
        // patient_id, name, address, birth_date, diagnosis, age, consent
        {1L, "Ann", "1 Road", day("1990-05-17"), "flu", 34, true},      // kept
        {2L, "Ben", "2 Road", day("2008-01-02"), "cold", 17, true},     // under 18
        {3L, "Cat", "3 Road", day("1985-12-31"), "flu", 40, null},      // consent unknown: not kept
        {null, "Dan", null, day("1970-07-07"), null, 50, true},         // kept, no id
        {5L, "Eve", "5 Road", day("1999-03-03"), "asthma", null, true}, // age unknown: not kept
        {6L, "Fay", "6 Road", null, "flu", 18, true},                   // kept unless opted out
        {7L, "Gus", "7 Road", day("2001-01-01"), "flu", 70, false},     // no consent
    };

    static final byte[] MASTER = new byte[32];
    static final PseudonymKey KEY = PseudonymKey.derive(MASTER, "ds-patients", "ai-lab");

    @Test
    void permitsTheDesignPolicyWithItsTransforms() {
        PolicyDecision.Permit permit = permit();

        assertThat(permit.columns()).containsExactly("patient_id", "birth_date", "diagnosis", "age", "consent");
        assertThat(permit.transforms()).containsExactly(
                new Transform("drop", List.of("name", "address")),
                new Transform("pseudonymise", List.of("patient_id"), Map.of("output", "hmac-sha256-hex")),
                new Transform("generalise", List.of("birth_date"), Map.of("to", "year")),
                new Transform("rowFilter", List.of("consent", "age"),
                        Map.of("expression", "(consent = TRUE AND age >= 18)")));
        assertThat(permit.maxStreams()).hasValue(20);
        assertThat(permit.rowPredicate()).map(p -> p.sql()).contains("(consent = TRUE AND age >= 18)");
    }

    @Test
    void announcesTheOutputSchemaBeforeTheFirstBatch() {
        PolicyDecision.Permit permit = permit();
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, RECORDS, KEY, OptOuts.none());

        assertThat(Policies.outputSchema(permit, RECORDS)).isEqualTo(pipeline.outputSchema());
        assertThat(pipeline.outputSchema()).isEqualTo(new Schema(List.of(
                field("patient_id", ArrowType.Utf8.INSTANCE),
                field("birth_date", new ArrowType.Date(DateUnit.DAY)),
                field("diagnosis", ArrowType.Utf8.INSTANCE),
                field("age", new ArrowType.Int(32, true)),
                field("consent", ArrowType.Bool.INSTANCE))));
        assertThat(pipeline.inputColumns()).containsExactly("patient_id", "birth_date", "diagnosis", "age", "consent");
    }

    @Test
    void enforcesEveryDutyValueByValue() {
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, allocator, ROWS)) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(), RECORDS, KEY, OptOuts.none());

            try (VectorSchemaRoot out = pipeline.apply(in, allocator)) {
                assertThat(out.getRowCount()).isEqualTo(3);
                assertThat(Batches.column(out, "patient_id")).containsExactly(KEY.pseudonym(1), null, KEY.pseudonym(6));
                assertThat(Batches.column(out, "birth_date")).containsExactly(day("1990-01-01"), day("1970-01-01"), null);
                assertThat(Batches.column(out, "diagnosis")).containsExactly("flu", null, "flu");
                assertThat(Batches.column(out, "age")).containsExactly(34, 50, 18);
                assertThat(Batches.column(out, "consent")).containsExactly(true, true, true);
            }
            assertThat(pipeline.rowsIn()).isEqualTo(7);
            assertThat(pipeline.rowsOut()).isEqualTo(3);
            assertThat(pipeline.batches()).isEqualTo(1);
            // The input is untouched and still the caller's.
            assertThat(Batches.column(in, "name")).first().isEqualTo("Ann");
        }
    }

    @Test
    void leavesOutOptedOutSubjectsComparedAsTheColumnsType() {
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, allocator, ROWS)) {
            OptOuts optOuts = OptOuts.of("patient_id", List.of("6", "not-a-number", "2"));
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(), RECORDS, KEY, optOuts);

            try (VectorSchemaRoot out = pipeline.apply(in, allocator)) {
                assertThat(Batches.column(out, "patient_id")).containsExactly(KEY.pseudonym(1), null);
            }
            assertThat(pipeline.rowsOut()).isEqualTo(2);
        }
    }

    @Test
    void leavesOutOptedOutSubjectsOfAStringColumnEvenWhenTheColumnDoesNotLeave() {
        Policy policy = Policies.parse("""
                {"@type": "Set", "permission": [{"action": "use",
                  "duty": [{"action": "sluice:drop", "target": ["name", "patient_id"]}]}]}
                """, RECORDS);
        PolicyDecision.Permit permit = (PolicyDecision.Permit) Policies.decide(policy, RECORDS,
                request().withColumns(List.of("diagnosis")));
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, allocator, ROWS)) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, RECORDS, KEY,
                    OptOuts.of("name", List.of("Ann", "Cat", "Zed")));

            assertThat(pipeline.inputColumns()).containsExactly("name", "diagnosis");
            try (VectorSchemaRoot out = pipeline.apply(in, allocator)) {
                assertThat(out.getSchema().getFields()).extracting(Field::getName).containsExactly("diagnosis");
                assertThat(Batches.column(out, "diagnosis")).containsExactly("cold", null, "asthma", "flu", "flu");
            }
        }
    }

    @Test
    void readsOnlyWhatItNeedsFromABatchWithOtherColumnsInAnotherOrder() {
        Schema scanned = new Schema(List.of(RECORDS.findField("consent"), RECORDS.findField("age"),
                RECORDS.findField("diagnosis"), RECORDS.findField("birth_date"), RECORDS.findField("patient_id")));
        Object[][] rows = Arrays.stream(ROWS).map(r -> new Object[] {r[6], r[5], r[4], r[3], r[0]})
                .toArray(Object[][]::new);
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(scanned, allocator, rows);
                VectorSchemaRoot out = EnforcementPipeline.compile(permit(), RECORDS, KEY, OptOuts.none())
                        .apply(in, allocator)) {
            assertThat(Batches.column(out, "age")).containsExactly(34, 50, 18);
        }
    }

    @Test
    void returnsAnEmptyBatchWhenNoRowSurvives() {
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, allocator, ROWS[1], ROWS[2]);
                VectorSchemaRoot out = EnforcementPipeline.compile(permit(), RECORDS, KEY, OptOuts.none())
                        .apply(in, allocator)) {
            assertThat(out.getRowCount()).isZero();
            assertThat(out.getSchema().getFields()).hasSize(5);
        }
    }

    @Test
    void releasesWhatItAllocatedWhenABatchFailsHalfWay() {
        try (BufferAllocator root = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, root, many(2_000))) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(), RECORDS, KEY, OptOuts.none());
            // Fails the 6th buffer: the pseudonyms (3 buffers) and birth dates (2) are written by then.
            FailingAt sixth = new FailingAt(6);
            try (BufferAllocator stream = root.newChildAllocator("stream-1", sixth, 0, Long.MAX_VALUE)) {
                assertThatThrownBy(() -> pipeline.apply(in, stream))
                        .isInstanceOf(OutOfMemoryException.class)
                        .hasMessage("injected failure of allocation 6");
                assertThat(stream.getPeakMemoryAllocation()).as("columns were written before the failure")
                        .isGreaterThan(64L * 800);
                assertThat(stream.getAllocatedMemory()).isZero();
            }
            assertThat(pipeline.batches()).isZero();
            // The same pipeline goes on with the next batch.
            try (VectorSchemaRoot out = pipeline.apply(in, root)) {
                assertThat(out.getRowCount()).isPositive();
            }
        }
    }

    /** Fails the n-th allocation, as a full allocator would. */
    static final class FailingAt implements AllocationListener {
        private final int n;
        private int seen;

        FailingAt(int n) {
            this.n = n;
        }

        @Override
        public void onPreAllocation(long size) {
            if (++seen == n) {
                throw new OutOfMemoryException("injected failure of allocation " + n);
            }
        }
    }

    @Test
    void refusesABatchWithoutANeededColumnAllocatingNothing() {
        Schema wrong = new Schema(List.of(field("age", new ArrowType.Int(64, true))));
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(wrong, allocator, new Object[] {1L});
                BufferAllocator stream = allocator.newChildAllocator("stream", 0, Long.MAX_VALUE)) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit(), RECORDS, KEY, OptOuts.none());

            assertThatThrownBy(() -> pipeline.apply(in, stream))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the batch has no column 'patient_id'; the pipeline reads "
                            + "[patient_id, birth_date, diagnosis, age, consent]");
            assertThat(stream.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void refusesAColumnOfAnotherType() {
        Schema wrong = new Schema(List.of(field("patient_id", ArrowType.Utf8.INSTANCE)));
        PolicyDecision.Permit permit = new PolicyDecision.Permit(List.of("patient_id"), List.of());
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(wrong, allocator, new Object[] {"x"})) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, RECORDS, KEY, OptOuts.none());

            assertThatThrownBy(() -> pipeline.apply(in, allocator))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("column 'patient_id' is utf8 in the batch, but int64 in the dataset's schema");
        }
    }

    @Test
    void refusesASubjectColumnThatCannotIdentifySubjects() {
        assertThatThrownBy(() -> EnforcementPipeline.compile(permit(), RECORDS, KEY,
                OptOuts.of("birth_date", List.of("1"))))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE))
                .hasMessage("subject column 'birth_date' is date32; a subject column is an integer or utf8");
        assertThatThrownBy(() -> OptOuts.checkSubjectColumn(RECORDS, "subject"))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith("subject column 'subject' is not in the dataset");
    }

    @Test
    void copiesLargeBatchesWithAndWithoutASelection() {
        PolicyDecision.Permit all = new PolicyDecision.Permit(
                RECORDS.getFields().stream().map(Field::getName).toList(), List.of());
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(RECORDS, allocator, many(1_000))) {
            // Every row kept: the columns are moved out of a copy of the batch (MovedColumnsTest).
            try (VectorSchemaRoot whole = Batches.of(RECORDS, allocator, many(1_000));
                    VectorSchemaRoot out = EnforcementPipeline.compile(all, RECORDS, KEY, OptOuts.none())
                            .apply(whole, allocator)) {
                assertThat(out.contentToTSVString()).isEqualTo(in.contentToTSVString());
            }
            try (VectorSchemaRoot out = EnforcementPipeline.compile(all, RECORDS, KEY,
                    OptOuts.of("patient_id", List.of("0", "7", "999"))).apply(in, allocator)) {
                assertThat(out.getRowCount()).isEqualTo(997);
                for (int row = 0, k = 0; row < 1_000; row++) {
                    if (row == 0 || row == 7 || row == 999) {
                        continue;
                    }
                    for (Field field : RECORDS.getFields()) {
                        assertThat(out.getVector(field.getName()).getObject(k))
                                .isEqualTo(in.getVector(field.getName()).getObject(row));
                    }
                    k++;
                }
            }
        }
    }

    static PolicyDecision.Permit permit() {
        Policy policy = Policies.parse(POLICY, RECORDS);
        return (PolicyDecision.Permit) Policies.decide(policy, RECORDS, request());
    }

    static AccessRequest request() {
        return new AccessRequest("ai-lab", Set.of("data-consumer"), "medical-research", Optional.empty(),
                Instant.parse("2026-06-01T12:00:00Z"));
    }

    /** {@code n} rows cycling through {@link #ROWS}, with patient ids 0..n-1 (every 11th null). */
    static Object[][] many(int n) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object[] row = ROWS[i % ROWS.length].clone();
            row[0] = i % 11 == 10 ? null : (long) i;
            rows.add(row);
        }
        return rows.toArray(Object[][]::new);
    }

    static Integer day(String date) {
        return (int) LocalDate.parse(date).toEpochDay();
    }

    static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }
}
