package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class CheckpointTest {

    @Test
    void roundTripsThroughItsToken() {
        Checkpoint shuffled = new Checkpoint(3, 1, 4, OptionalLong.of(42), 17);
        Checkpoint negative = new Checkpoint(0, 0, 1, OptionalLong.of(Long.MIN_VALUE), 0);
        Checkpoint natural = Checkpoint.start(2, 8, 5).advance(1_000_000_007L);

        assertThat(shuffled.token()).isEqualTo("v1.e3.s1of4.seed42.p17");
        assertThat(negative.token()).isEqualTo("v1.e0.s0of1.seed-9223372036854775808.p0");
        assertThat(natural.token()).isEqualTo("v1.e5.s2of8.noseed.p1000000007");
        for (Checkpoint checkpoint : new Checkpoint[] {shuffled, negative, natural}) {
            assertThat(Checkpoint.parse(checkpoint.token())).isEqualTo(checkpoint);
            assertThat(checkpoint).hasToString(checkpoint.token());
        }
    }

    @Test
    void startsEpochsAndAdvances() {
        Checkpoint start = Checkpoint.start(1, 4, 0, 7);

        assertThat(start).isEqualTo(new Checkpoint(0, 1, 4, OptionalLong.of(7), 0));
        assertThat(start.advance(5).nextEpoch()).isEqualTo(new Checkpoint(1, 1, 4, OptionalLong.of(7), 0));
        assertThat(start.request()).isEqualTo(new StreamRequest(1, 4, 0));
        assertThat(Checkpoint.start(StreamRequest.whole())).isEqualTo(new Checkpoint(0, 0, 1, OptionalLong.empty(), 0));
    }

    @Test
    void statesWhatIsWrongWithAToken() {
        assertThatThrownBy(() -> Checkpoint.parse("e3.s1of4.p17")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a checkpoint token (expected like v1.e3.s1of4.seed42.p17): e3.s1of4.p17");
        assertThatThrownBy(() -> Checkpoint.parse("v1.e3.s4of4.seed1.p0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint token v1.e3.s4of4.seed1.p0 is invalid: shard must be >= 0 and < shards (4), was 4");
        assertThatThrownBy(() -> Checkpoint.parse("v1.e9999999999.s0of1.seed1.p0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpoint token has a number out of range: v1.e9999999999.s0of1.seed1.p0");
        assertThatThrownBy(() -> Checkpoint.start(0, 1, 0).advance(-1)).hasMessage("batches must be >= 0, was -1");
        assertThatThrownBy(() -> new Checkpoint(0, 0, 1, OptionalLong.empty(), -3)).hasMessage("position must be >= 0, was -3");
    }
}
