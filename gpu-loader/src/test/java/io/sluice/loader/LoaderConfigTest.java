package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class LoaderConfigTest {

    @Test
    void defaultsToOneGibibyteAndTenSeconds() {
        LoaderConfig config = LoaderConfig.of(URI.create("https://broker.example:8443"));

        assertThat(config.broker()).isEqualTo(URI.create("https://broker.example:8443"));
        assertThat(config.pinnedLimitBytes()).isEqualTo(1L << 30);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.slabBytes()).isEqualTo(64L << 20);
        assertThat(config.slabs()).isEqualTo(16);
        assertThat(config.prefetchDepth()).isEqualTo(2);
        assertThat(config.retry()).isEqualTo(RetryPolicy.defaults());
        assertThat(config.deviceOrdinal()).isZero();
        assertThat(config.digestBodies()).isTrue();
    }

    @Test
    void mapsEveryExplicitSetting() {
        RetryPolicy retry = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofSeconds(1));
        LoaderConfig config = LoaderConfig.of(URI.create("http://b:1")).withPinnedLimitBytes(100L << 20)
                .withSlabBytes(32L << 20).withPrefetchDepth(4).withRetry(retry).withDeviceOrdinal(3).withDigestBodies(false);

        assertThat(config).isEqualTo(new LoaderConfig(URI.create("http://b:1"), 100L << 20, Duration.ofSeconds(10),
                32L << 20, 4, retry, 3, false, java.util.Optional.empty()));
        assertThat(config.slabs()).isEqualTo(4); // 100 MiB rounded up to whole 32 MiB slabs
        assertThat(config.withPinnedLimitBytes(1 << 20).effectiveSlabBytes()).isEqualTo(1 << 20);
        assertThat(config.withPinnedLimitBytes(1 << 20).slabs()).isEqualTo(1);
    }

    @Test
    void carriesTheReadTimeoutAndTheHugePageAdviceThroughEveryWither() {
        LoaderConfig config = LoaderConfig.of(URI.create("http://b:1"));
        assertThat(config.readTimeout()).isEqualTo(LoaderConfig.DEFAULT_READ_TIMEOUT).isLessThanOrEqualTo(Duration.ofMinutes(2));
        assertThat(config.transparentHugePages()).isFalse();

        LoaderConfig tuned = config.withReadTimeout(Duration.ofSeconds(30)).withTransparentHugePages(true)
                .withPrefetchDepth(3).withBrokers(java.util.List.of(URI.create("http://b:1"), URI.create("http://c:1")));
        assertThat(tuned.readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(tuned.transparentHugePages()).isTrue();
        assertThatThrownBy(() -> config.withReadTimeout(Duration.ZERO)).hasMessage("readTimeout must be > 0, was PT0S");
    }

    @Test
    void carriesTheNumaPlacementThroughEveryWitherAndDefaultsToFirstTouch() {
        LoaderConfig config = LoaderConfig.of(URI.create("http://b:1"));
        assertThat(config.numaPlacement()).isEqualTo(NumaPlacement.none()).isInstanceOf(NumaPlacement.FirstTouch.class);

        LoaderConfig placed = config.withNumaPlacement(NumaPlacement.node(1)).withTransparentHugePages(true)
                .withReadTimeout(Duration.ofSeconds(5)).withPinnedLimitBytes(8L << 20).withSlabBytes(1L << 20)
                .withPrefetchDepth(3).withRetry(RetryPolicy.defaults()).withDeviceOrdinal(0).withDigestBodies(false)
                .withBrokers(List.of(URI.create("http://b:1"), URI.create("http://c:1")));
        assertThat(placed.numaPlacement()).isEqualTo(new NumaPlacement.Node(1));
        assertThat(placed.withNumaPlacement(NumaPlacement.auto()).numaPlacement()).isInstanceOf(NumaPlacement.DeviceNode.class);
        assertThatThrownBy(() -> config.withNumaPlacement(null)).hasMessage("numaPlacement is null");
    }

    @Test
    void rejectsANonPositiveSlabDepthOrOrdinal() {
        LoaderConfig config = LoaderConfig.of(URI.create("http://b"));
        assertThatThrownBy(() -> config.withSlabBytes(0)).hasMessage("slabBytes must be > 0, was 0");
        assertThatThrownBy(() -> config.withPrefetchDepth(0)).hasMessage("prefetchDepth must be >= 1, was 0");
        assertThatThrownBy(() -> config.withDeviceOrdinal(-1)).hasMessage("deviceOrdinal must be >= 0, was -1");
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
    void takesSeveralBrokersInOrder() {
        List<URI> brokers = List.of(URI.create("http://a:1"), URI.create("http://b:1"), URI.create("https://c:1/sluice"));

        LoaderConfig config = LoaderConfig.of(URI.create("http://a:1")).withPinnedLimitBytes(1 << 20).withBrokers(brokers);

        assertThat(config.brokers()).isEqualTo(brokers);
        assertThat(config.broker()).isEqualTo(URI.create("http://a:1"));
        assertThat(config.pinnedLimitBytes()).isEqualTo(1 << 20);
        assertThat(LoaderConfig.of(URI.create("http://a:1")).brokers()).containsExactly(URI.create("http://a:1"));
    }

    @Test
    void rejectsNoBrokersADuplicateOrABadOne() {
        LoaderConfig config = LoaderConfig.of(URI.create("http://a:1"));
        assertThatThrownBy(() -> config.withBrokers(List.of())).hasMessage("brokers must name at least one broker");
        assertThatThrownBy(() -> config.withBrokers(List.of(URI.create("http://a:1"), URI.create("http://a:1"))))
                .hasMessage("brokers must be distinct, was [http://a:1, http://a:1]");
        assertThatThrownBy(() -> config.withBrokers(List.of(URI.create("http://a:1"), URI.create("ftp://b"))))
                .hasMessage("broker must be an absolute http or https URI with a host, was ftp://b");
    }

    @Test
    void rejectsNulls() {
        assertThatThrownBy(() -> LoaderConfig.of(null)).isInstanceOf(NullPointerException.class).hasMessage("broker is null");
    }
}
