package io.sluice.policy.bench;

import io.sluice.policy.Duty;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.enforce.OptOuts;
import io.sluice.policy.enforce.PseudonymKey;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
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
 * Pseudonymising 1M int64 ids through the pipeline; baselines: copying the same column through the
 * pipeline, and the bare Bouncy Castle HMAC-SHA256 of 1M 9-byte inputs (the cryptographic floor);
 * for reference, the JDK's HmacSHA256 on the same inputs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PseudonymiseBenchmark {
    BufferAllocator allocator;
    VectorSchemaRoot batch;
    EnforcementPipeline pseudonymise;
    EnforcementPipeline copy;
    HMac mac;
    javax.crypto.Mac jdkMac;
    final byte[] input = new byte[9];
    final byte[] output = new byte[32];

    @Setup(Level.Trial)
    public void setUp() {
        allocator = new RootAllocator();
        batch = Data.batch(allocator, Data.ROWS);
        PseudonymKey key = PseudonymKey.derive(new byte[32], "bench", "project");
        pseudonymise = EnforcementPipeline.compile(new PolicyDecision.Permit(List.of("patient_id"), List.of(),
                List.of(new Duty.Pseudonymise(List.of("patient_id"))), OptionalLong.empty(), Optional.empty()),
                Data.SCHEMA, key, OptOuts.none());
        copy = EnforcementPipeline.compile(new PolicyDecision.Permit(List.of("patient_id"), List.of()),
                Data.SCHEMA, key, OptOuts.none());
        mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(new byte[32]));
        try {
            jdkMac = javax.crypto.Mac.getInstance("HmacSHA256");
            jdkMac.init(new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256"));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        batch.close();
        allocator.close();
    }

    @Benchmark
    public int pseudonymise() {
        try (VectorSchemaRoot out = pseudonymise.apply(batch, allocator)) {
            return out.getRowCount();
        }
    }

    @Benchmark
    public int baselineCopy() {
        try (VectorSchemaRoot out = copy.apply(batch, allocator)) {
            return out.getRowCount();
        }
    }

    /** For comparison only: the JDK's HmacSHA256 (SHA-256 intrinsics), which gives the same bytes. */
    @Benchmark
    public int referenceJdkHmac() throws javax.crypto.ShortBufferException {
        int sum = 0;
        for (long id = 0; id < Data.ROWS; id++) {
            for (int i = 0; i < 8; i++) {
                input[1 + i] = (byte) (id >>> (56 - 8 * i));
            }
            jdkMac.update(input, 0, input.length);
            jdkMac.doFinal(output, 0);
            sum += output[0];
        }
        return sum;
    }

    @Benchmark
    public int baselineBareHmac() {
        int sum = 0;
        for (long id = 0; id < Data.ROWS; id++) {
            for (int i = 0; i < 8; i++) {
                input[1 + i] = (byte) (id >>> (56 - 8 * i));
            }
            mac.update(input, 0, input.length);
            mac.doFinal(output, 0);
            sum += output[0];
        }
        return sum;
    }
}
