package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamRequestTest {

    @Test
    void wholeIsTheOnlyShardOfEpochZero() {
        assertThat(StreamRequest.whole()).isEqualTo(new StreamRequest(0, 1, 0));
    }

    @Test
    void statesTheRuleThatWasBroken() {
        assertThatThrownBy(() -> new StreamRequest(0, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shards must be >= 1, was 0");
        assertThatThrownBy(() -> new StreamRequest(4, 4, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shard must be >= 0 and < shards (4), was 4");
        assertThatThrownBy(() -> new StreamRequest(-1, 4, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shard must be >= 0 and < shards (4), was -1");
        assertThatThrownBy(() -> new StreamRequest(0, 1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("epoch must be >= 0, was -1");
    }
}
