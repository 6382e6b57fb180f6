package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SinceOptionTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @Test
    void takesTimesBackFromNow() {
        assertThat(SinceOption.parse("7d", NOW)).isEqualTo(Instant.parse("2026-11-19T12:00:00Z"));
        assertThat(SinceOption.parse("12h", NOW)).isEqualTo(Instant.parse("2026-11-26T00:00:00Z"));
        assertThat(SinceOption.parse("30m", NOW)).isEqualTo(Instant.parse("2026-11-26T11:30:00Z"));
        assertThat(SinceOption.parse("P2D", NOW)).isEqualTo(Instant.parse("2026-11-24T12:00:00Z"));
        assertThat(SinceOption.parse("PT1H30M", NOW)).isEqualTo(Instant.parse("2026-11-26T10:30:00Z"));
    }

    @Test
    void takesADateAsItsStartInUtcAndATimeWithItsOffset() {
        assertThat(SinceOption.parse("2026-11-01", NOW)).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(SinceOption.parse("2026-11-01T10:00:00Z", NOW)).isEqualTo(Instant.parse("2026-11-01T10:00:00Z"));
        assertThat(SinceOption.parse("2026-11-01T10:00:00+01:00", NOW)).isEqualTo(Instant.parse("2026-11-01T09:00:00Z"));
    }

    @Test
    void refusesAnythingElseSayingWhatItTakes() {
        assertThatThrownBy(() -> SinceOption.parse("last week", NOW)).isInstanceOf(CliException.class)
                .hasMessage("--since must be a time (2026-11-26T10:00:00Z), a date (2026-11-26) or a time back from now"
                        + " (7d, 12h, 30m, P7D), was 'last week'");
        assertThatThrownBy(() -> SinceOption.parse("7w", NOW)).isInstanceOf(CliException.class);
    }
}
