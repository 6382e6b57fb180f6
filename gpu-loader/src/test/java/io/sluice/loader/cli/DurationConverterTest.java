package io.sluice.loader.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {

    private final LoaderCommand.DurationConverter converter = new LoaderCommand.DurationConverter();

    @Test
    void readsIso8601AndSeconds() {
        assertThat(converter.convert("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThat(converter.convert("pt30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(converter.convert("90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(converter.convert("0.25")).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void refusesWhatIsNotADuration() {
        assertThatThrownBy(() -> converter.convert("2 minutes")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("PT30S");
        assertThatThrownBy(() -> converter.convert("PTX")).isInstanceOf(CommandLine.TypeConversionException.class);
    }
}
