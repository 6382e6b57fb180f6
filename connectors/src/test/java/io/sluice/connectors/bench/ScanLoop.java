package io.sluice.connectors.bench;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * One Parquet scan, run many times in one JVM so that a profiler (JFR) gets enough samples: each
 * run opens the source and scans the columns, as ConnectorBench's Sluice side does; after it, the
 * same scan of one source opened once, alternating, so that the difference of each pair is what
 * opening the source costs inside a run of scans.
 *
 * <p>Usage: {@code ScanLoop FILE RUNS COLUMN[,COLUMN...]}; see docs/PERFORMANCE.md.
 */
public final class ScanLoop {
    private static final int BATCH_ROWS = 65_536;

    private ScanLoop() {}

    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: ScanLoop FILE RUNS COLUMN[,COLUMN...]");
        }
        Path file = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        List<String> columns = List.of(args[2].split(","));
        Connectors connectors = Connectors.discover();
        SourceConfig config = SourceConfig.ofFile("parquet", file);
        long[] openAndScan = new long[runs];
        long[] scanOnly = new long[runs];
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource opened = connectors.open(config)) {
            for (int r = 0; r < runs; r++) {
                long start = System.nanoTime();
                try (BatchSource source = connectors.open(config)) {
                    scan(source, columns, allocator);
                }
                openAndScan[r] = System.nanoTime() - start;
                start = System.nanoTime();
                scan(opened, columns, allocator);
                scanOnly[r] = System.nanoTime() - start;
            }
        }
        // The second half only: the first is the JIT's warm-up.
        int from = runs / 2;
        long[] open = new long[runs - from];
        for (int r = from; r < runs; r++) {
            open[r - from] = openAndScan[r] - scanOnly[r];
        }
        System.out.printf(Locale.ROOT, "%s, last %d of %d runs: open+scan median %.2f ms, scan of an open source %.2f ms,"
                        + " opening (paired difference) %.2f ms%n", columns, runs - from, runs,
                median(Arrays.copyOfRange(openAndScan, from, runs)) / 1e6,
                median(Arrays.copyOfRange(scanOnly, from, runs)) / 1e6, median(open) / 1e6);
    }

    private static long scan(BatchSource source, List<String> columns, BufferAllocator allocator) {
        long rows = 0;
        try (BatchReader reader = source.open(new ScanSpec(columns, BATCH_ROWS), allocator)) {
            while (reader.loadNextBatch()) {
                rows += reader.root().getRowCount();
            }
        }
        return rows;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
