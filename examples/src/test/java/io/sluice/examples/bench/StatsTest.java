package io.sluice.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void takesTheMiddleValueOfAnOddCountAndTheMeanOfTheTwoMiddleOnesOfAnEvenCount() {
        assertThat(Stats.of(List.of(3.0, 1.0, 2.0)).orElseThrow()).isEqualTo(new Stats(2.0, 1.0, 3.0, 3));
        assertThat(Stats.of(List.of(4.0, 1.0, 3.0, 2.0)).orElseThrow()).isEqualTo(new Stats(2.5, 1.0, 4.0, 4));
    }

    @Test
    void leavesOutValuesThatAreNotNumbers() {
        assertThat(Stats.of(List.of(Double.NaN, 5.0)).orElseThrow().median()).isEqualTo(5.0);
        assertThat(Stats.of(List.of(Double.NaN))).isEmpty();
        assertThat(Stats.median(List.of())).isEmpty();
    }
}
