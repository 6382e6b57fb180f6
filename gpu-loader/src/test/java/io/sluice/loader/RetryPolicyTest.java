package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void defaultsToThreeRetriesFromAQuarterSecond() {
        RetryPolicy policy = RetryPolicy.defaults();

        assertThat(policy).isEqualTo(new RetryPolicy(3, Duration.ofMillis(250), Duration.ofSeconds(4)));
        assertThat(policy.backoff(1)).isEqualTo(Duration.ofMillis(250));
        assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(1));
        assertThat(RetryPolicy.none().maxRetries()).isZero();
    }

    @Test
    void doublesTheBackoffUpToTheMaximum() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(500));

        assertThat(policy.backoff(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(policy.backoff(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.backoff(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(policy.backoff(4)).isEqualTo(Duration.ofMillis(500));
        assertThat(policy.backoff(60)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void statesTheRuleThatWasBroken() {
        assertThatThrownBy(() -> new RetryPolicy(-1, Duration.ZERO, Duration.ZERO))
                .hasMessage("maxRetries must be >= 0, was -1");
        assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("maxBackoff must be >= initialBackoff (PT2S), was PT1S");
        assertThatThrownBy(() -> RetryPolicy.defaults().backoff(0)).hasMessage("retry must be >= 1, was 0");
    }
}
