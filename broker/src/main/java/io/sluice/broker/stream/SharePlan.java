package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.ScanUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which units of a source one rank reads, in which order, and how many batches of the first it
 * skips: pure computation, so every broker that sees the same units and the same request makes
 * the same plan.
 *
 * <p>The epoch's order is a permutation of all units seeded by seed and epoch (source order
 * without a seed). The units are then dealt in that order, each to the rank with the fewest rows
 * so far (the lowest rank on a tie), so shares are balanced by rows, disjoint and together
 * complete. A resume ({@code from}) skips whole units by their known batch counts and only the rest
 * inside the unit it lands in.
 *
 * @param units this rank's units still to read, in order
 * @param skipInFirst batches of the first of them to skip
 */
record SharePlan(List<ScanUnit> units, long skipInFirst) {

    SharePlan {
        units = List.copyOf(requireNonNull(units, "units is null"));
    }

    /** Whether units can be dealt to {@code shards} ranks at all: each rank needs at least one. */
    static boolean dealable(List<ScanUnit> units, int shards) {
        return !units.isEmpty() && units.size() >= shards;
    }

    static SharePlan of(List<ScanUnit> units, ShardRequest request) {
        if (!dealable(units, request.shards())) {
            throw new IllegalArgumentException(units.size() + " units cannot be dealt to " + request.shards() + " ranks");
        }
        List<ScanUnit> order = new ArrayList<>(units);
        if (request.seed().isPresent()) {
            shuffle(order, new SplittableRandom(mix(request.seed().getAsLong(), request.epoch())));
        }
        List<ScanUnit> mine = deal(order, request.shards()).get(request.shard());
        long skip = request.from();
        int first = 0;
        while (first < mine.size() && skip >= mine.get(first).batches()) {
            skip -= mine.get(first).batches();
            first++;
        }
        return new SharePlan(mine.subList(first, mine.size()), first < mine.size() ? skip : 0);
    }

    /** The units of each rank: in order, each to the rank with the fewest rows so far. */
    static List<List<ScanUnit>> deal(List<ScanUnit> order, int shards) {
        List<List<ScanUnit>> shares = new ArrayList<>(shards);
        long[] rows = new long[shards];
        for (int r = 0; r < shards; r++) {
            shares.add(new ArrayList<>());
        }
        for (ScanUnit unit : order) {
            int least = 0;
            for (int r = 1; r < shards; r++) {
                if (rows[r] < rows[least]) {
                    least = r;
                }
            }
            shares.get(least).add(unit);
            rows[least] += unit.rows();
        }
        return shares;
    }

    /** The generator for the order of batches inside one unit: the same on every rank and broker. */
    static SplittableRandom unitRandom(long seed, int epoch, int unit) {
        return new SplittableRandom(mix(mix(seed, epoch), unit));
    }

    private static void shuffle(List<ScanUnit> units, SplittableRandom random) {
        for (int i = units.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            units.set(j, units.set(i, units.get(j)));
        }
    }

    /** A 64-bit mix (SplitMix64's finaliser) so that nearby seeds and epochs give unrelated orders. */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
