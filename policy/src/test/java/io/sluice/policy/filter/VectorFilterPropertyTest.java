package io.sluice.policy.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.Duty;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.enforce.OptOuts;
import io.sluice.policy.enforce.PseudonymKey;
import io.sluice.policy.internal.filter.Bitmaps;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import io.sluice.policy.internal.filter.VectorFilter;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The vectorised evaluator selects exactly the rows a row-at-a-time reference does, on random
 * schemas, random data with nulls and random predicates (seeded, so a failure names its seed); and
 * every random predicate survives printing and parsing unchanged.
 */
class VectorFilterPropertyTest {
    private static final int SEEDS = 400;
    private static final int PREDICATES_PER_BATCH = 25;

    @Test
    void selectsWhatTheReferenceSelects() {
        long checkedRows = 0;
        long selectedRows = 0;
        try (BufferAllocator allocator = new RootAllocator()) {
            for (long seed = 1; seed <= SEEDS; seed++) {
                RandomBatches random = new RandomBatches(seed);
                Schema schema = random.schema();
                try (VectorSchemaRoot batch = random.batch(schema, allocator)) {
                    for (int p = 0; p < PREDICATES_PER_BATCH; p++) {
                        RowPredicate predicate = random.predicate(schema, 3);
                        VectorFilter filter = VectorFilter.compile(predicate, schema);

                        long[] selected = filter.select(batch);
                        boolean[] expected = ReferenceEvaluator.select(predicate, batch);

                        for (int row = 0; row < expected.length; row++) {
                            boolean actual = ((selected[row >>> 6] >>> row) & 1L) != 0;
                            if (actual != expected[row]) {
                                throw new AssertionError("seed " + seed + ", predicate " + predicate.sql() + ", row "
                                        + row + ": vectorised " + actual + ", reference " + expected[row] + "; batch:\n"
                                        + batch.contentToTSVString());
                            }
                        }
                        assertThat(Bitmaps.count(selected, batch.getRowCount())).isLessThanOrEqualTo(expected.length);
                        checkedRows += expected.length;
                        selectedRows += Bitmaps.count(selected, batch.getRowCount());
                    }
                }
            }
        }
        assertThat(checkedRows).isGreaterThan(100_000);
        // The random predicates are neither almost always true nor almost always false.
        assertThat((double) selectedRows / checkedRows).isBetween(0.15, 0.85);
    }

    @Test
    void pipelineKeepsExactlyTheSelectedRowsWithTheirValues() {
        PseudonymKey key = PseudonymKey.derive(new byte[32], "ds", "p");
        try (BufferAllocator allocator = new RootAllocator()) {
            for (long seed = 1; seed <= SEEDS / 2; seed++) {
                RandomBatches random = new RandomBatches(seed);
                Schema schema = random.schema();
                List<String> columns = schema.getFields().stream().map(Field::getName).toList();
                try (VectorSchemaRoot batch = random.batch(schema, allocator)) {
                    for (int p = 0; p < 5; p++) {
                        RowPredicate predicate = random.predicate(schema, 3);
                        PolicyDecision.Permit permit = new PolicyDecision.Permit(columns, List.of(),
                                List.of(new Duty.RowFilter(predicate.sql(), predicate)), OptionalLong.empty(),
                                Optional.empty());
                        boolean[] expected = ReferenceEvaluator.select(predicate, batch);
                        // A batch kept whole has its columns moved out: apply to a copy, compare with the batch.
                        try (VectorSchemaRoot in = copyOf(batch, allocator);
                                VectorSchemaRoot out = EnforcementPipeline.compile(permit, schema, key, OptOuts.none())
                                        .apply(in, allocator)) {
                            int k = 0;
                            for (int row = 0; row < expected.length; row++) {
                                if (!expected[row]) {
                                    continue;
                                }
                                for (String column : columns) {
                                    assertThat(out.getVector(column).getObject(k))
                                            .as("seed %d, %s, row %d, column %s", seed, predicate.sql(), row, column)
                                            .isEqualTo(batch.getVector(column).getObject(row));
                                }
                                k++;
                            }
                            assertThat(out.getRowCount()).as("seed %d", seed).isEqualTo(k);
                            for (String column : columns) {
                                assertThat(out.getVector(column).getNullCount()).as("seed %d null count", seed)
                                        .isEqualTo(nulls(out, column));
                            }
                        }
                    }
                }
            }
        }
    }

    /** A value-by-value copy of {@code batch}; the caller closes it. */
    private static VectorSchemaRoot copyOf(VectorSchemaRoot batch, BufferAllocator allocator) {
        VectorSchemaRoot copy = VectorSchemaRoot.create(batch.getSchema(), allocator);
        int rows = batch.getRowCount();
        for (int c = 0; c < batch.getFieldVectors().size(); c++) {
            FieldVector from = batch.getVector(c);
            FieldVector to = copy.getVector(c);
            to.setInitialCapacity(rows);
            to.allocateNew();
            for (int row = 0; row < rows; row++) {
                to.copyFromSafe(row, row, from);
            }
            to.setValueCount(rows);
        }
        copy.setRowCount(rows);
        return copy;
    }

    private static int nulls(VectorSchemaRoot root, String column) {
        int nulls = 0;
        for (int i = 0; i < root.getRowCount(); i++) {
            nulls += root.getVector(column).isNull(i) ? 1 : 0;
        }
        return nulls;
    }

    @Test
    void printsEveryPredicateSoThatItParsesBack() {
        for (long seed = 1; seed <= SEEDS; seed++) {
            RandomBatches random = new RandomBatches(seed);
            Schema schema = random.schema();
            for (int p = 0; p < 10; p++) {
                RowPredicate predicate = random.predicate(schema, 3);
                assertThat(RowFilters.parse(predicate.sql(), schema)).as("seed %d: %s", seed, predicate.sql())
                        .isEqualTo(predicate);
            }
        }
    }
}
