package io.sluice.loader;

import java.net.URI;
import java.time.Duration;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.util.Objects;

/**
 * How a {@link GpuLoader} reaches its brokers, how much pinned host memory it holds, and how its
 * training streams prefetch and retry.
 *
 * @param brokers the base URIs of the brokers, {@code http} or {@code https}, e.g.
 *     {@code https://broker.example:8443}; a path (reverse proxy prefix) is kept. Over {@code http}
 *     batch bodies are read from the socket straight into pinned memory; {@code https} goes through
 *     {@code java.net.http} and costs one more copy. Several brokers must share one store (and so
 *     one token issuer): a stream of shard {@code r} starts on broker {@code r mod n}, and a
 *     {@link TrainingStream} whose broker stops answering resumes at its exact position on the next
 *     one, round robin (see {@link TrainingStream})
 * @param pinnedLimitBytes the most page-locked host memory the loader holds at once, over all of
 *     its streams and undelivered batches; a batch that would exceed it fails its stream with
 *     {@code pinned_limit_exceeded}. The pinned arena is this limit rounded up to whole slabs, made
 *     once when the loader is created
 * @param connectTimeout how long to wait for the TCP (and TLS) connection to the broker
 * @param slabBytes the size of one slab of the pinned arena (the unit that is pre-touched, locked
 *     and counted); a limit below it makes one slab of the limit's size
 * @param prefetchDepth how many batches a {@link TrainingStream} keeps ahead of the consumer: the
 *     device buffer sets it cycles through (2 = double buffering), or the host batches it holds
 * @param retry how a {@link TrainingStream} reconnects after a dropped connection
 * @param deviceOrdinal the CUDA device a loader uses when a driver is present
 * @param digestBodies whether to compute the SHA-256 of every stream body (on its own thread, behind
 *     the reader) so it can be compared with the broker's audit record; turning it off saves a core's
 *     worth of hashing at full speed, and {@link GrantStream#sha256Hex()} then refuses
 * @param tls for an {@code https} broker: the TLS context, which presents the node's certificate
 *     when the broker requires one (see {@link #withNodeCertificate}); empty = the JDK's defaults
 * @param readTimeout how long a read from the broker may wait for the next bytes (response head or
 *     body, over {@code http} and {@code https} alike, and for the receipt) before the connection is
 *     taken as dead: a half-open connection (the broker's host vanished without closing it) or a
 *     broker or TLS-terminating proxy that stalls mid-body fails the read with
 *     {@code broker_unreachable} (no answer) or {@code stream_broken} (a body cut off) or, inside a
 *     {@link TrainingStream}, a reconnect, instead of hanging the rank. It must exceed the longest
 *     pause the broker makes between batches (a slow connector, a shuffle's first batch)
 * @param transparentHugePages whether to advise the kernel to back the pinned arena with
 *     transparent huge pages ({@code madvise(MADV_HUGEPAGE)}, Linux): fewer page faults while the
 *     arena is made and fewer TLB misses; a hint the kernel may ignore. Off by default until it is
 *     measured on a GPU node ({@code gpu-loader/scripts/gpu-check.sh})
 * @param numaPlacement which NUMA node the pinned arena prefers: first touch (the default, as the
 *     kernel places memory without a policy), a given node, or {@code auto}, the node of the CUDA
 *     device. On a multi-socket node, pinned memory on the GPU's socket saves every host-to-device
 *     copy the trip over the inter-socket link. A preference ({@code mbind(MPOL_PREFERRED)}), not a
 *     binding: a full node gets pages elsewhere rather than an OOM kill while the arena is made. A
 *     given node must be online when the loader is created; {@link PinnedArenaInfo#numa()} says where
 *     the pages went. Not yet measured on a GPU node
 */
public record LoaderConfig(
        List<URI> brokers,
        long pinnedLimitBytes,
        Duration connectTimeout,
        long slabBytes,
        int prefetchDepth,
        RetryPolicy retry,
        int deviceOrdinal,
        boolean digestBodies,
        Optional<SSLContext> tls,
        Duration readTimeout,
        boolean transparentHugePages,
        NumaPlacement numaPlacement) {

    /** The default {@link #pinnedLimitBytes()}: 1 GiB. */
    public static final long DEFAULT_PINNED_LIMIT_BYTES = 1L << 30;

    /** The default {@link #connectTimeout()}: 10 seconds. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** The default {@link #readTimeout()}: 2 minutes. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofMinutes(2);

    /** The default {@link #slabBytes()}: 64 MiB. */
    public static final long DEFAULT_SLAB_BYTES = 64L << 20;

    /** The default {@link #prefetchDepth()}: 2 (double buffering). */
    public static final int DEFAULT_PREFETCH_DEPTH = 2;

    public LoaderConfig {
        Objects.requireNonNull(brokers, "brokers is null");
        brokers = List.copyOf(brokers);
        Objects.requireNonNull(connectTimeout, "connectTimeout is null");
        Objects.requireNonNull(retry, "retry is null");
        Objects.requireNonNull(tls, "tls is null");
        Objects.requireNonNull(readTimeout, "readTimeout is null");
        Objects.requireNonNull(numaPlacement, "numaPlacement is null");
        if (brokers.isEmpty()) {
            throw new IllegalArgumentException("brokers must name at least one broker");
        }
        brokers.forEach(LoaderConfig::checkBroker);
        if (new HashSet<>(brokers).size() != brokers.size()) {
            throw new IllegalArgumentException("brokers must be distinct, was " + brokers);
        }
        if (pinnedLimitBytes <= 0) {
            throw new IllegalArgumentException("pinnedLimitBytes must be > 0, was " + pinnedLimitBytes);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be > 0, was " + connectTimeout);
        }
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("readTimeout must be > 0, was " + readTimeout);
        }
        if (slabBytes <= 0) {
            throw new IllegalArgumentException("slabBytes must be > 0, was " + slabBytes);
        }
        if (prefetchDepth < 1) {
            throw new IllegalArgumentException("prefetchDepth must be >= 1, was " + prefetchDepth);
        }
        if (deviceOrdinal < 0) {
            throw new IllegalArgumentException("deviceOrdinal must be >= 0, was " + deviceOrdinal);
        }
    }

    /** One broker, and everything else as given. */
    public LoaderConfig(URI broker, long pinnedLimitBytes, Duration connectTimeout, long slabBytes, int prefetchDepth,
            RetryPolicy retry, int deviceOrdinal, boolean digestBodies, Optional<SSLContext> tls) {
        this(one(broker), pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal,
                digestBodies, tls, DEFAULT_READ_TIMEOUT, false, NumaPlacement.none());
    }

    /** The broker with the given limit and timeout, and defaults for everything else. */
    public LoaderConfig(URI broker, long pinnedLimitBytes, Duration connectTimeout) {
        this(one(broker), pinnedLimitBytes, connectTimeout, DEFAULT_SLAB_BYTES, DEFAULT_PREFETCH_DEPTH,
                RetryPolicy.defaults(), 0, true, Optional.empty(), DEFAULT_READ_TIMEOUT, false, NumaPlacement.none());
    }

    /** The broker at {@code broker} with a 1 GiB pinned limit, a 10 second connect timeout and defaults for the rest. */
    public static LoaderConfig of(URI broker) {
        return new LoaderConfig(broker, DEFAULT_PINNED_LIMIT_BYTES, DEFAULT_CONNECT_TIMEOUT);
    }

    /** The first broker: the only one, or the one shard 0 starts on. */
    public URI broker() {
        return brokers.getFirst();
    }

    /**
     * The same configuration with several brokers on one store, in the order streams take them:
     * shard {@code r} starts on {@code brokers.get(r % n)} and moves on to the next when that one
     * stops answering.
     */
    public LoaderConfig withBrokers(List<URI> list) {
        return new LoaderConfig(list, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal,
                digestBodies, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withPinnedLimitBytes(long bytes) {
        return new LoaderConfig(brokers, bytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal, digestBodies, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withSlabBytes(long bytes) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, bytes, prefetchDepth, retry, deviceOrdinal, digestBodies, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withPrefetchDepth(int depth) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, depth, retry, deviceOrdinal, digestBodies, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withRetry(RetryPolicy policy) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, policy, deviceOrdinal, digestBodies, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withDeviceOrdinal(int ordinal) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, ordinal, digestBodies, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withDigestBodies(boolean digest) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal, digest, tls, readTimeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withReadTimeout(Duration timeout) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal,
                digestBodies, tls, timeout, transparentHugePages, numaPlacement);
    }

    public LoaderConfig withTransparentHugePages(boolean hugePages) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal,
                digestBodies, tls, readTimeout, hugePages, numaPlacement);
    }

    /** The same configuration with the pinned arena preferring {@code placement}'s NUMA node (see {@link #numaPlacement()}). */
    public LoaderConfig withNumaPlacement(NumaPlacement placement) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal,
                digestBodies, tls, readTimeout, transparentHugePages, placement);
    }

    public LoaderConfig withTls(SSLContext context) {
        return new LoaderConfig(brokers, pinnedLimitBytes, connectTimeout, slabBytes, prefetchDepth, retry, deviceOrdinal,
                digestBodies, Optional.of(context), readTimeout, transparentHugePages, numaPlacement);
    }

    /**
     * Presents a training node's certificate to an {@code https} broker: the PKCS#12 key store that
     * {@code sluice ca issue-node} writes, which holds the node's key and chain and trusts the data
     * space CA (so it also verifies the broker's certificate).
     */
    public LoaderConfig withNodeCertificate(Path keyStore, char[] password) {
        try (InputStream in = Files.newInputStream(keyStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            return withTls(context);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use " + keyStore + " as a node certificate: " + e.getMessage(), e);
        }
    }

    private static List<URI> one(URI broker) {
        return List.of(Objects.requireNonNull(broker, "broker is null"));
    }

    private static void checkBroker(URI broker) {
        Objects.requireNonNull(broker, "broker is null");
        String scheme = broker.getScheme() == null ? "" : broker.getScheme().toLowerCase(Locale.ROOT);
        if (!broker.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || broker.getHost() == null) {
            throw new IllegalArgumentException("broker must be an absolute http or https URI with a host, was " + broker);
        }
        if (broker.getRawQuery() != null || broker.getRawFragment() != null) {
            throw new IllegalArgumentException("broker must not have a query or fragment, was " + broker);
        }
    }

    /** The slab size the arena uses: {@link #slabBytes()}, or the limit when that is smaller. */
    public long effectiveSlabBytes() {
        return Math.min(slabBytes, pinnedLimitBytes);
    }

    /** The number of slabs of the arena: the limit rounded up to whole slabs. */
    public int slabs() {
        return Math.toIntExact(Math.ceilDiv(pinnedLimitBytes, effectiveSlabBytes()));
    }
}
