package io.sluice.policy.bench;

import java.util.Collection;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the policy module's benchmarks and prints the figures docs/PERFORMANCE.md asks for, each
 * with its baseline from the same run. Not a test (surefire runs *Test and *IT only). Arguments
 * are JMH's own (e.g. a benchmark regex, {@code -wi 2 -i 3 -f 1}); defaults keep the run short:
 *
 * <pre>
 * mvn -q -o -pl policy test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
 * java --add-opens=java.base/java.nio=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *   -cp policy/target/test-classes:policy/target/classes:$(cat policy/target/bench.cp) \
 *   io.sluice.policy.bench.PolicyBenchmarks
 * </pre>
 */
public final class PolicyBenchmarks {
    private PolicyBenchmarks() {}

    public static void main(String[] args) throws RunnerException, Exception {
        DecisionBenchmark.check();
        CommandLineOptions command = new CommandLineOptions(args);
        Options options = new OptionsBuilder()
                .parent(command)
                .include(command.getIncludes().isEmpty() ? "io\\.sluice\\.policy\\.bench\\..*" : command.getIncludes().getFirst())
                .warmupIterations(command.getWarmupIterations().orElse(2))
                .warmupTime(command.getWarmupTime().orElse(TimeValue.seconds(1)))
                .measurementIterations(command.getMeasurementIterations().orElse(3))
                .measurementTime(command.getMeasurementTime().orElse(TimeValue.seconds(1)))
                .forks(command.getForkCount().orElse(1))
                .threads(1)
                .jvmArgsAppend("--add-opens=java.base/java.nio=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                        "-Xmx2g")
                .build();
        Collection<RunResult> results = new Runner(options).run();

        long inputBytes;
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot batch = Data.batch(allocator, Data.ROWS)) {
            inputBytes = Data.bytes(batch, FilterBenchmark.READ);
        }
        System.out.println();
        System.out.println("== Sluice policy benchmarks (one thread, one core; ratios against the same run's baseline)");
        Double sixP50 = null, sixP99 = null, noneP50 = null, noneP99 = null, filter = null, copy = null, projection = null;
        Double pseudo = null, pseudoCopy = null, bareHmac = null, jdkHmac = null;
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            var statistics = result.getPrimaryResult().getStatistics();
            double score = result.getPrimaryResult().getScore();
            switch (name.substring(name.lastIndexOf('.') + 1) + "@" + name.contains("Decision") + name.contains("Filter")) {
                case "sixConstraints@truefalse" -> { sixP50 = statistics.getPercentile(50); sixP99 = statistics.getPercentile(99); }
                case "baselineNoConstraints@truefalse" -> { noneP50 = statistics.getPercentile(50); noneP99 = statistics.getPercentile(99); }
                case "filterAndProject@falsetrue" -> filter = score;
                case "baselineCopy@falsetrue" -> copy = score;
                case "projectionOnly@falsefalse" -> projection = score;
                case "pseudonymise@falsefalse" -> pseudo = score;
                case "baselineCopy@falsefalse" -> pseudoCopy = score;
                case "baselineBareHmac@falsefalse" -> bareHmac = score;
                case "referenceJdkHmac@falsefalse" -> jdkHmac = score;
                default -> { }
            }
        }
        if (sixP50 != null && noneP50 != null) {
            System.out.printf(Locale.ROOT, "decision, six constraints: p50 %.0f ns, p99 %.0f ns (goal p50 <= 2000 ns)%n",
                    sixP50, sixP99);
            System.out.printf(Locale.ROOT, "  baseline, no constraints: p50 %.0f ns, p99 %.0f ns; ratio p50 %.2f, p99 %.2f%n",
                    noneP50, noneP99, sixP50 / noneP50, sixP99 / noneP99);
        }
        if (filter != null && copy != null) {
            System.out.printf(Locale.ROOT, "filter + projection, 1M rows (%.1f MB in): %.2f ms/batch = %.2f GB/s (goal >= 2)%n",
                    inputBytes / 1e6, filter, inputBytes / (filter / 1e3) / 1e9);
            System.out.printf(Locale.ROOT, "  baseline, copying the same vectors: %.2f ms = %.2f GB/s; ratio %.2f of the copy's speed%n",
                    copy, inputBytes / (copy / 1e3) / 1e9, copy / filter);
        }
        if (projection != null) {
            System.out.printf(Locale.ROOT, "projection only (drop 1 of 5 columns, no filter), 1M rows: %.3f ms/batch%n",
                    projection);
            if (copy != null) {
                System.out.printf(Locale.ROOT, "  baseline, copying all 5 vectors: %.2f ms; projection / copy %.2f%n",
                        copy, projection / copy);
            }
        }
        if (pseudo != null) {
            System.out.printf(Locale.ROOT, "pseudonymisation, 1M int64 ids: %.1f ms = %.2f M ids/s (goal >= 3)%n",
                    pseudo, Data.ROWS / (pseudo / 1e3) / 1e6);
            if (pseudoCopy != null && bareHmac != null) {
                System.out.printf(Locale.ROOT, "  baselines: copying the column %.2f ms (ratio %.1f); bare BC HMAC-SHA256 %.1f ms = "
                        + "%.2f M/s (pipeline at %.2f of it)%n", pseudoCopy, pseudo / pseudoCopy, bareHmac,
                        Data.ROWS / (bareHmac / 1e3) / 1e6, bareHmac / pseudo);
            }
            if (jdkHmac != null) {
                System.out.printf(Locale.ROOT, "  reference, JDK HmacSHA256 (not used): %.1f ms = %.2f M/s%n", jdkHmac,
                        Data.ROWS / (jdkHmac / 1e3) / 1e6);
            }
        }
    }
}
