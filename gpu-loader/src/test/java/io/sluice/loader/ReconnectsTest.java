package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class ReconnectsTest {

    private static final RetryPolicy TWO = new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2));
    private static final Checkpoint START = new Checkpoint(1, 3, 8, OptionalLong.of(7), 10);

    @Test
    void retriesADroppedConnectionUntilTheRetriesAreUsedUpThenNamesTheCheckpoint() {
        LoaderException dropped = new LoaderException(LoaderErrorCode.BROKER_UNREACHABLE, "connection refused", null);

        assertThat(Reconnects.giveUp(dropped, 1, TWO, "g-1", START, 14)).isNull();
        assertThat(Reconnects.giveUp(dropped, 2, TWO, "g-1", START, 14)).isNull();
        LoaderException exhausted = Reconnects.giveUp(dropped, 3, TWO, "g-1", START, 14);

        assertThat(exhausted.error()).isEqualTo("retries_exhausted");
        assertThat(exhausted).hasMessageContaining("before batch 14")
                .hasMessageContaining("resume later from checkpoint " + START.advance(4).token())
                .hasMessageContaining("Last failure: connection refused");
    }

    @Test
    void failsAtOnceOnWhatAnotherConnectionWouldNotChange() {
        LoaderException device = new LoaderException(LoaderErrorCode.DEVICE_FAILED, "cuMemAlloc_v2 failed", null);
        LoaderException overloaded = new LoaderException(LoaderErrorCode.UNEXPECTED_RESPONSE, 503, "busy", null);

        assertThat(Reconnects.giveUp(device, 1, TWO, "g-1", START, 10)).isSameAs(device);
        assertThat(Reconnects.retryable(device)).isFalse();
        assertThat(Reconnects.retryable(overloaded)).isTrue();
    }
}
