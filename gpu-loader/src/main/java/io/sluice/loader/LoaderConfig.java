package io.sluice.loader;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How a {@link GpuLoader} reaches its broker and how much pinned host memory it may hold.
 *
 * @param broker the broker's base URI, {@code http} or {@code https}, e.g.
 *     {@code https://broker.example:8443}; a path (reverse proxy prefix) is kept
 * @param pinnedLimitBytes the most page-locked host memory the loader holds at once, over all of
 *     its streams and undelivered batches; a batch that would exceed it fails its stream with
 *     {@code pinned_limit_exceeded}
 * @param connectTimeout how long to wait for the TCP (and TLS) connection to the broker
 */
public record LoaderConfig(URI broker, long pinnedLimitBytes, Duration connectTimeout) {

    /** The default {@link #pinnedLimitBytes()}: 1 GiB. */
    public static final long DEFAULT_PINNED_LIMIT_BYTES = 1L << 30;

    /** The default {@link #connectTimeout()}: 10 seconds. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public LoaderConfig {
        Objects.requireNonNull(broker, "broker is null");
        Objects.requireNonNull(connectTimeout, "connectTimeout is null");
        String scheme = broker.getScheme() == null ? "" : broker.getScheme().toLowerCase(Locale.ROOT);
        if (!broker.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || broker.getHost() == null) {
            throw new IllegalArgumentException("broker must be an absolute http or https URI with a host, was " + broker);
        }
        if (broker.getRawQuery() != null || broker.getRawFragment() != null) {
            throw new IllegalArgumentException("broker must not have a query or fragment, was " + broker);
        }
        if (pinnedLimitBytes <= 0) {
            throw new IllegalArgumentException("pinnedLimitBytes must be > 0, was " + pinnedLimitBytes);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be > 0, was " + connectTimeout);
        }
    }

    /** The broker at {@code broker} with a 1 GiB pinned limit and a 10 second connect timeout. */
    public static LoaderConfig of(URI broker) {
        return new LoaderConfig(broker, DEFAULT_PINNED_LIMIT_BYTES, DEFAULT_CONNECT_TIMEOUT);
    }
}
