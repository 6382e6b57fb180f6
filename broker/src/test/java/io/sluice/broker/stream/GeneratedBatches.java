package io.sluice.broker.stream;

import io.sluice.policy.Duty;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.enforce.OptOuts;
import io.sluice.policy.enforce.PseudonymKey;
import io.sluice.policy.filter.RowFilters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A {@link ShareBatches} that generates its batches in memory: batch {@code b} has {@code rows}
 * rows with {@code id = b * rows + i}, {@code name = "n" + id} (null every 7th id) and {@code keep}
 * true for odd ids, except in the batches {@link #emptied} names, where every row has {@code keep}
 * false (so {@link #pipeline()}, which keeps {@code keep = true} rows, empties them).
 *
 * <p>Records which thread calls it, how often, and whether it was closed; can fail at a given
 * batch and can hold a call until the test lets it go. Its batches come from a child allocator
 * that {@link #close()} closes, so a batch that outlives the source fails the test.
 */
final class GeneratedBatches implements ShareBatches {
    static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("keep", FieldType.nullable(ArrowType.Bool.INSTANCE), null),
            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    private final BufferAllocator allocator;
    private final int batches;
    private final int rows;
    private final IntFunction<Boolean> emptied;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread caller;
    private volatile int failAt = -1;
    private volatile RuntimeException failure;
    private volatile int holdAt = -1;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    GeneratedBatches(BufferAllocator parent, int batches, int rows, IntFunction<Boolean> emptied) {
        this.allocator = parent.newChildAllocator("source", 0, Long.MAX_VALUE);
        this.batches = batches;
        this.rows = rows;
        this.emptied = emptied;
    }

    /** The {@code index}-th call throws {@code failure}. */
    GeneratedBatches failingAt(int index, RuntimeException failure) {
        this.failAt = index;
        this.failure = failure;
        return this;
    }

    /** The {@code index}-th call waits (after making its batch) until {@link #letGo()}. */
    GeneratedBatches holdingAt(int index) {
        this.holdAt = index;
        return this;
    }

    /** Keeps {@code keep = true} rows of {@code id} and {@code name}. */
    static EnforcementPipeline pipeline() {
        String filter = "keep = true";
        PolicyDecision.Permit permit = new PolicyDecision.Permit(List.of("id", "name"), List.of(),
                List.of(new Duty.RowFilter(filter, RowFilters.parse(filter, SCHEMA))), OptionalLong.empty(),
                Optional.empty());
        return EnforcementPipeline.compile(permit, SCHEMA, PseudonymKey.derive(new byte[32], "ds-test", "org/project"),
                OptOuts.none());
    }

    @Override
    public Optional<VectorSchemaRoot> next() {
        if (closed.get()) {
            throw new IllegalStateException("next() after close()");
        }
        caller = Thread.currentThread();
        int index = calls.getAndIncrement();
        if (index == failAt) {
            throw failure;
        }
        if (index >= batches) {
            return Optional.empty();
        }
        VectorSchemaRoot batch = batch(allocator, index, rows, emptied.apply(index));
        if (index == holdAt) {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return Optional.of(batch);
    }

    static VectorSchemaRoot batch(BufferAllocator allocator, int index, int rows, boolean emptied) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        root.allocateNew();
        BigIntVector id = (BigIntVector) root.getVector("id");
        BitVector keep = (BitVector) root.getVector("keep");
        VarCharVector name = (VarCharVector) root.getVector("name");
        for (int i = 0; i < rows; i++) {
            long value = (long) index * rows + i;
            id.setSafe(i, value);
            keep.setSafe(i, !emptied && value % 2 == 1 ? 1 : 0);
            if (value % 7 != 0) {
                name.setSafe(i, ("n" + value).getBytes(StandardCharsets.UTF_8));
            } else {
                name.setNull(i);
            }
        }
        root.setRowCount(rows);
        return root;
    }

    /** The {@code id} and {@code name} of the rows {@link #pipeline()} keeps, in order, as "id:name". */
    List<List<String>> expectedRows() {
        List<List<String>> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                long value = (long) b * rows + i;
                if (!emptied.apply(b) && value % 2 == 1) {
                    batch.add(value + ":" + (value % 7 != 0 ? "n" + value : null));
                }
            }
            out.add(batch);
        }
        return out;
    }

    int calls() {
        return calls.get();
    }

    Thread caller() {
        return caller;
    }

    boolean closed() {
        return closed.get();
    }

    void awaitHeld() throws InterruptedException {
        if (!held.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("the decoder did not reach the held batch within 30 s");
        }
    }

    void letGo() {
        release.countDown();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            allocator.close();
        }
    }
}
