package io.sluice.connectors.parquet;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs the column fills of one batch, on one thread or spread over several.
 *
 * <p>The columns of a batch are independent: each fill has its own leaf readers, page buffers and
 * vector, and the file is read with positional reads, so fills may run side by side and the batch
 * is the same byte for byte. With {@code threads > 1} the fills are dealt into that many groups;
 * the calling thread runs the first, virtual threads the others, and {@link #run} returns once
 * every group is done. Groups are balanced by what each fill cost in the previous batch (longest
 * first, each to the least loaded group), so one wide text column does not leave the other
 * threads idle for long.
 *
 * <p>Errors: every group finishes (or fails) before {@link #run} returns or throws, so no thread
 * still writes into the batch when the reader releases it; the first failure, by group, is thrown
 * as itself. Threading: one caller at a time.
 */
final class BatchFills implements AutoCloseable {
    private final int threads;
    private final ExecutorService workers;
    private List<ColumnFill> fills = List.of();
    /** Nanoseconds each fill took in the last batch; the next batch's groups are dealt by it. */
    private long[] cost = new long[0];

    BatchFills(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
        this.workers = threads > 1 ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual()
                .name("parquet-decode-", 0).factory()) : null;
    }

    /** The fills of the file now open; costs start equal. */
    void use(List<ColumnFill> fills) {
        this.fills = List.copyOf(requireNonNull(fills, "fills is null"));
        this.cost = new long[fills.size()];
    }

    /** Prepares, fills and finishes every column for {@code rows} rows. */
    void run(int rows) throws IOException {
        int groups = Math.min(threads, fills.size());
        if (groups <= 1) {
            runGroup(allFills(), rows);
            return;
        }
        List<int[]> dealt = deal(cost, groups);
        List<Future<Void>> others = new ArrayList<>(groups - 1);
        Throwable failure = null;
        try {
            for (int g = 1; g < groups; g++) {
                int[] group = dealt.get(g);
                others.add(workers.submit(() -> {
                    runGroup(group, rows);
                    return null;
                }));
            }
            runGroup(dealt.get(0), rows);
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        }
        for (Future<Void> other : others) {
            Throwable thrown = awaitUninterruptibly(other);
            if (failure == null) {
                failure = thrown;
            }
        }
        if (failure != null) {
            throw rethrow(failure);
        }
    }

    private int[] allFills() {
        int[] all = new int[fills.size()];
        Arrays.setAll(all, i -> i);
        return all;
    }

    private void runGroup(int[] group, int rows) throws IOException {
        for (int index : group) {
            long start = System.nanoTime();
            ColumnFill fill = fills.get(index);
            fill.prepare(rows);
            fill.fill(rows);
            fill.finish(rows);
            // Each index belongs to one group, so one thread writes each slot; run's join publishes it.
            cost[index] = System.nanoTime() - start;
        }
    }

    /**
     * Deals fill indexes into {@code groups} groups, most costly first, each to the group with the
     * least cost so far (ties to the lower group). Equal costs deal round robin.
     */
    static List<int[]> deal(long[] cost, int groups) {
        Integer[] order = new Integer[cost.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> cost[a] != cost[b] ? Long.compare(cost[b], cost[a]) : Integer.compare(a, b));
        long[] load = new long[groups];
        List<List<Integer>> members = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            members.add(new ArrayList<>());
        }
        for (int index : order) {
            int least = 0;
            for (int g = 1; g < groups; g++) {
                if (load[g] < load[least] || (load[g] == load[least] && members.get(g).size() < members.get(least).size())) {
                    least = g;
                }
            }
            members.get(least).add(index);
            load[least] += cost[index];
        }
        return members.stream().map(m -> m.stream().mapToInt(Integer::intValue).sorted().toArray()).toList();
    }

    /** Waits for {@code future} even when interrupted (its thread writes into the batch); its failure or null. */
    private static Throwable awaitUninterruptibly(Future<Void> future) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    future.get();
                    return null;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return e.getCause();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static IOException rethrow(Throwable failure) {
        if (failure instanceof IOException io) {
            return io;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        throw new IllegalStateException("decoding a column failed", failure);
    }

    /** Ends the worker threads; none runs a fill any more once {@link #run} has returned. */
    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
    }
}
