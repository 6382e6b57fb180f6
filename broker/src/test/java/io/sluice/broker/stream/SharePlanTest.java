package io.sluice.broker.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.ScanUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SharePlanTest {

    /** 40 units of 1..10,000 rows, read in batches of 1,024 rows. */
    private static List<ScanUnit> units() {
        Random random = new Random(42);
        List<ScanUnit> units = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            units.add(ScanUnit.of(i, 1 + random.nextInt(10_000), 1_024));
        }
        return units;
    }

    private static ShardRequest rank(int shard, int shards, int epoch, long seed, long from) {
        return new ShardRequest(shard, shards, epoch, OptionalLong.of(seed), from);
    }

    @Test
    void ranksAreDisjointCompleteAndBalancedByRows() {
        List<ScanUnit> units = units();
        long largest = units.stream().mapToLong(ScanUnit::rows).max().orElseThrow();
        for (int shards = 1; shards <= 7; shards++) {
            Set<Integer> seen = new HashSet<>();
            long least = Long.MAX_VALUE;
            long most = 0;
            for (int shard = 0; shard < shards; shard++) {
                SharePlan plan = SharePlan.of(units, rank(shard, shards, 3, 9, 0));
                long rows = 0;
                for (ScanUnit unit : plan.units()) {
                    assertThat(seen.add(unit.index())).as("unit %s dealt twice", unit.index()).isTrue();
                    rows += unit.rows();
                }
                least = Math.min(least, rows);
                most = Math.max(most, rows);
            }
            assertThat(seen).hasSize(units.size());
            assertThat(most - least).as("imbalance with %s ranks", shards).isLessThanOrEqualTo(largest);
        }
    }

    @Test
    void theSameSeedEpochAndWorldSizeGiveTheSamePlanAndAnotherEpochAnother() {
        List<ScanUnit> units = units();
        SharePlan first = SharePlan.of(units, rank(1, 4, 2, 77, 0));
        assertThat(SharePlan.of(List.copyOf(units), rank(1, 4, 2, 77, 0))).isEqualTo(first);
        assertThat(SharePlan.of(units, rank(1, 4, 3, 77, 0)).units()).isNotEqualTo(first.units());
        assertThat(SharePlan.of(units, rank(1, 4, 2, 78, 0)).units()).isNotEqualTo(first.units());
    }

    @Test
    void withoutASeedTheUnitsKeepSourceOrder() {
        SharePlan plan = SharePlan.of(units(), new ShardRequest(0, 3, 5));
        List<Integer> indexes = plan.units().stream().map(ScanUnit::index).toList();
        assertThat(indexes).isSorted();
        assertThat(SharePlan.of(units(), new ShardRequest(0, 3, 6))).isEqualTo(plan);
    }

    @Test
    void aResumeSkipsWholeUnitsAndOnlyTheRestInsideTheUnitItLandsIn() {
        List<ScanUnit> units = units();
        SharePlan whole = SharePlan.of(units, rank(2, 3, 1, 5, 0));
        List<String> positions = new ArrayList<>();
        for (ScanUnit unit : whole.units()) {
            for (long b = 0; b < unit.batches(); b++) {
                positions.add(unit.index() + "/" + b);
            }
        }
        for (int from = 0; from <= positions.size() + 2; from++) {
            SharePlan resumed = SharePlan.of(units, rank(2, 3, 1, 5, from));
            List<String> rest = new ArrayList<>();
            for (int u = 0; u < resumed.units().size(); u++) {
                ScanUnit unit = resumed.units().get(u);
                for (long b = u == 0 ? resumed.skipInFirst() : 0; b < unit.batches(); b++) {
                    rest.add(unit.index() + "/" + b);
                }
            }
            assertThat(rest).as("from=%s", from).isEqualTo(positions.subList(Math.min(from, positions.size()),
                    positions.size()));
            if (!resumed.units().isEmpty()) {
                assertThat(resumed.skipInFirst()).isLessThan(resumed.units().getFirst().batches());
            }
        }
    }

    @Test
    void fewerUnitsThanRanksCannotBeDealt() {
        List<ScanUnit> two = List.of(ScanUnit.of(0, 10, 4), ScanUnit.of(1, 10, 4));
        assertThat(SharePlan.dealable(two, 2)).isTrue();
        assertThat(SharePlan.dealable(two, 3)).isFalse();
        assertThat(SharePlan.dealable(List.of(), 1)).isFalse();
        assertThatThrownBy(() -> SharePlan.of(two, new ShardRequest(0, 3, 0)))
                .hasMessage("2 units cannot be dealt to 3 ranks");
    }
}
