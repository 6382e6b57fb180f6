package io.sluice.policy.bench;

import io.sluice.policy.PolicyDecision;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.enforce.OptOuts;
import io.sluice.policy.enforce.PseudonymKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link EnforcementPipeline#apply} on a batch of 1M rows of the five {@link Data} columns when
 * the grant only drops one of them ({@code consent}): no row filter, no duty, so the four columns
 * that leave are plain pass-throughs. {@code apply} may empty the vectors it passes through, so
 * every invocation gets a fresh copy of the batch, made outside the measured time. As in
 * {@link FilterBenchmark#filterAndProject}, closing the result (releasing its buffers) is measured
 * too.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ProjectionBenchmark {
    BufferAllocator allocator;
    VectorSchemaRoot source;
    VectorSchemaRoot batch;
    EnforcementPipeline projectionOnly;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = new RootAllocator();
        source = Data.batch(allocator, Data.ROWS);
        PolicyDecision.Permit permit = new PolicyDecision.Permit(
                List.of("patient_id", "age", "weight", "diagnosis"), List.of());
        projectionOnly = EnforcementPipeline.compile(permit, Data.SCHEMA,
                PseudonymKey.derive(new byte[32], "bench", "bench"), OptOuts.none());
    }

    @Setup(Level.Invocation)
    public void freshBatch() {
        batch = copyOf(source, allocator);
    }

    @TearDown(Level.Invocation)
    public void closeBatch() {
        batch.close();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        source.close();
        allocator.close();
    }

    @Benchmark
    public int projectionOnly() {
        try (VectorSchemaRoot out = projectionOnly.apply(batch, allocator)) {
            return out.getRowCount();
        }
    }

    /** A buffer-by-buffer copy of {@code from} (as {@link FilterBenchmark#baselineCopy}); the caller closes it. */
    static VectorSchemaRoot copyOf(VectorSchemaRoot from, BufferAllocator allocator) {
        List<FieldVector> vectors = new ArrayList<>();
        try {
            for (FieldVector vector : from.getFieldVectors()) {
                FieldVector to = vector.getField().createVector(allocator);
                vectors.add(to);
                List<ArrowBuf> copies = new ArrayList<>();
                try {
                    for (ArrowBuf buffer : vector.getFieldBuffers()) {
                        long length = buffer.readableBytes();
                        ArrowBuf copy = allocator.buffer(length);
                        copies.add(copy);
                        MemoryUtil.copyMemory(buffer.memoryAddress(), copy.memoryAddress(), length);
                        copy.writerIndex(length);
                    }
                    to.loadFieldBuffers(new ArrowFieldNode(vector.getValueCount(), vector.getNullCount()), copies);
                } finally {
                    copies.forEach(ArrowBuf::close);
                }
            }
            return new VectorSchemaRoot(from.getSchema(), vectors, from.getRowCount());
        } catch (RuntimeException | Error e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
    }
}
