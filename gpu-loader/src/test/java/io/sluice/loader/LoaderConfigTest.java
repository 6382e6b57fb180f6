package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class LoaderConfigTest {

    @Test
    void defaultsToOneGibibyteAndTenSeconds() {
        LoaderConfig config = LoaderConfig.of(URI.create("https://broker.example:8443"));

        assertThat(config.broker()).isEqualTo(URI.create("https://broker.example:8443"));
        assertThat(config.pinnedLimitBytes()).isEqualTo(1L << 30);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void keepsExplicitValues() {
        LoaderConfig config = new LoaderConfig(URI.create("http://10.0.0.7:8080/sluice/"), 4096, Duration.ofMillis(250));

        assertThat(config.broker()).isEqualTo(URI.create("http://10.0.0.7:8080/sluice/"));
        assertThat(config.pinnedLimitBytes()).isEqualTo(4096);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void rejectsANonPositiveLimit() {
        assertThatThrownBy(() -> new LoaderConfig(URI.create("http://b"), 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pinnedLimitBytes must be > 0, was 0");
    }

    @Test
    void rejectsANonPositiveConnectTimeout() {
        assertThatThrownBy(() -> new LoaderConfig(URI.create("http://b"), 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connectTimeout must be > 0, was PT0S");
    }

    @Test
    void rejectsABrokerThatIsNotHttp() {
        assertThatThrownBy(() -> LoaderConfig.of(URI.create("ftp://broker.example")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("broker must be an absolute http or https URI with a host, was ftp://broker.example");
        assertThatThrownBy(() -> LoaderConfig.of(URI.create("broker.example:8080")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoaderConfig.of(URI.create("http://broker.example/?x=1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("broker must not have a query or fragment, was http://broker.example/?x=1");
    }

    @Test
    void rejectsNulls() {
        assertThatThrownBy(() -> LoaderConfig.of(null)).isInstanceOf(NullPointerException.class).hasMessage("broker is null");
    }
}
