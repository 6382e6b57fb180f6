package io.sluice.broker;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.PurposeHierarchy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything a broker needs to start, validated once.
 *
 * @param host the address to bind; loopback by default
 * @param port the TCP port; 0 picks a free one
 * @param dataDir database and keys live here
 * @param sourcesDir each organisation's files live under {@code sourcesDir/<organisation>/}
 * @param database an external database (PostgreSQL) and how to log in to it; empty = embedded H2 under {@code dataDir}
 * @param oidc the token issuer (a Keycloak realm); empty = the embedded development issuer
 * @param tls HTTPS and node certificates; empty = plain HTTP
 * @param grantTtl how long a grant stays valid
 * @param maxRequestBytes the largest request body accepted
 * @param auditOrigin the name of this log in its signed checkpoints (C2SP origin line and key name)
 * @param purposes which purposes count as narrower cases of which (a permission for
 *     {@code scientific-research} also covers {@code model-training} under it)
 * @param jdbcAllowedHosts the database hosts JDBC sources may reach; empty = JDBC sources off
 * @param shutdownGrace on shutdown, how long running streams may take to finish before they are
 *     ended as aborted; 0 ends them at once
 * @param csvCheckBytes how much of a CSV source registration converts to find malformed rows
 *     (the whole file up to this size, else its leading blocks up to it)
 * @param decodeThreads how many threads one stream may decode a batch on (Parquet decodes a
 *     batch's columns side by side); at least 1
 * @param peerTimeout on a shared store, how long another broker's heartbeat may be silent before
 *     this broker closes that broker's running streams as interrupted; the broker itself beats every
 *     {@link #heartbeatInterval()}
 * @param streamLimits how many streams the broker and each consumer may have running, and how long a
 *     stream may wait on a client that reads nothing
 * @param sourceLimits the threads for blocking source work and how many of them one organisation may hold
 */
public record BrokerConfig(
        String host,
        int port,
        Path dataDir,
        Path sourcesDir,
        Optional<ExternalDatabase> database,
        Optional<Oidc> oidc,
        Optional<Tls> tls,
        Duration grantTtl,
        long maxRequestBytes,
        String auditOrigin,
        PurposeHierarchy purposes,
        List<String> jdbcAllowedHosts,
        Duration shutdownGrace,
        long csvCheckBytes,
        int decodeThreads,
        Duration peerTimeout,
        StreamLimits streamLimits,
        SourceLimits sourceLimits) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    /** A grace longer than this is a mistake: orchestrators kill a process long before. */
    public static final Duration MAX_SHUTDOWN_GRACE = Duration.ofHours(1);
    public static final String DEFAULT_AUDIT_ORIGIN = "sluice.local/audit";
    /** Registration converts a CSV file whole up to 64 MiB, and its first 64 MiB beyond. */
    public static final long DEFAULT_CSV_CHECK_BYTES = 64L * 1024 * 1024;
    /** One stream may decode on every core the JVM sees; concurrent streams share them. */
    public static final int DEFAULT_DECODE_THREADS = Runtime.getRuntime().availableProcessors();
    /** More decode threads than this per stream only add hand-offs: a batch has few columns to spread. */
    public static final int MAX_DECODE_THREADS = 64;
    /** Six heartbeats (every 5 s) missed: long against a GC pause or a slow commit, short against a training job's patience. */
    public static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofSeconds(30);
    /** The shortest peer timeout: below it a busy store's commit latency reads as death. */
    public static final Duration MIN_PEER_TIMEOUT = Duration.ofSeconds(1);
    /** The longest peer timeout: an hour without an end record is long enough to leave a stream open. */
    public static final Duration MAX_PEER_TIMEOUT = Duration.ofHours(1);
    /** The longest wait between two heartbeats. */
    public static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

    /**
     * A Keycloak realm (or any OIDC issuer) whose tokens the broker accepts.
     *
     * @param issuer the realm URL, e.g. {@code http://127.0.0.1:8080/realms/dataspace}
     * @param audience the audience tokens must carry
     * @param clockSkew tolerated clock difference for expiry and not-before
     * @param pageClientId the issuer's public client the compliance page signs in with (authorization code + PKCE)
     */
    public record Oidc(URI issuer, String audience, Duration clockSkew, String pageClientId) {
        public static final String DEFAULT_AUDIENCE = "sluice";
        public static final String DEFAULT_PAGE_CLIENT = "sluice-audit-ui";

        public Oidc(URI issuer, String audience, Duration clockSkew) {
            this(issuer, audience, clockSkew, DEFAULT_PAGE_CLIENT);
        }

        public Oidc {
            requireNonNull(issuer, "issuer is null");
            if (!issuer.isAbsolute() || !(issuer.getScheme().equals("http") || issuer.getScheme().equals("https"))) {
                throw new IllegalArgumentException("oidc issuer must be an absolute http(s) URL, was " + issuer);
            }
            requireNonNull(audience, "audience is null");
            if (audience.isBlank()) {
                throw new IllegalArgumentException("oidc audience must not be blank");
            }
            requireNonNull(clockSkew, "clockSkew is null");
            if (clockSkew.isNegative() || clockSkew.toSeconds() > 300) {
                throw new IllegalArgumentException("clock skew must be in 0..300 s, was " + clockSkew.toSeconds() + " s");
            }
            requireNonNull(pageClientId, "pageClientId is null");
            // An OAuth client_id is any printable ASCII (RFC 6749 appendix A.1); the page puts it in URLs.
            if (!pageClientId.matches("[\\x21-\\x7e]{1,200}")) {
                throw new IllegalArgumentException("the compliance page's client id must be 1-200 printable ASCII characters"
                        + " without spaces, was '" + pageClientId + "'");
            }
        }
    }

    /**
     * Bounds on running streams, so that no consumer (and no crowd of them) can hold the broker's
     * memory: each stream holds up to its documented bound (docs/decisions/0004) until it ends.
     *
     * @param perBroker streams this broker serves at once; more are refused with 429
     * @param perConsumer streams one consumer (subject of an organisation) has running on this broker
     *     at once; more are refused with 429
     * @param idleTimeout how long a stream waits for a client that takes nothing before it is ended as
     *     aborted (the client is gone in all but name)
     */
    public record StreamLimits(int perBroker, int perConsumer, Duration idleTimeout) {
        /** About 6 GiB at the measured bound of about 46 MiB a stream. */
        public static final int DEFAULT_PER_BROKER = 128;
        public static final int DEFAULT_PER_CONSUMER = 16;
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
        public static final StreamLimits DEFAULTS = new StreamLimits(DEFAULT_PER_BROKER, DEFAULT_PER_CONSUMER,
                DEFAULT_IDLE_TIMEOUT);

        public StreamLimits {
            if (perBroker < 1 || perBroker > 100_000) {
                throw new IllegalArgumentException("the streams per broker must be in 1..100000, was " + perBroker);
            }
            if (perConsumer < 1 || perConsumer > perBroker) {
                throw new IllegalArgumentException("the streams per consumer must be in 1.." + perBroker
                        + " (the streams per broker), was " + perConsumer);
            }
            requireNonNull(idleTimeout, "idleTimeout is null");
            if (idleTimeout.compareTo(Duration.ofSeconds(1)) < 0 || idleTimeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("the stream idle timeout must be in 1..3600 s, was "
                        + idleTimeout.toMillis() + " ms");
            }
        }
    }

    /**
     * Bounds on blocking source work (registrations opening their sources), so that no owner's slow
     * or hostile sources can hold the threads everyone else needs: such work runs on its own pool of
     * {@code threads} (never the pool that answers {@code /health}, grants and audit queries), and one
     * organisation may have at most {@code perOrganisation} operations in flight; more are refused
     * with 429. Each operation is bounded in time by its source's timeouts (for JDBC, docs/THREAT-MODEL.md).
     *
     * @param threads the size of the source-work pool
     * @param perOrganisation operations one organisation may have in flight at once, at most {@code threads}
     */
    public record SourceLimits(int threads, int perOrganisation) {
        public static final int DEFAULT_THREADS = 16;
        public static final int DEFAULT_PER_ORGANISATION = 4;
        public static final SourceLimits DEFAULTS = new SourceLimits(DEFAULT_THREADS, DEFAULT_PER_ORGANISATION);

        public SourceLimits {
            if (threads < 1 || threads > 1024) {
                throw new IllegalArgumentException("the source threads must be in 1..1024, was " + threads);
            }
            if (perOrganisation < 1 || perOrganisation > threads) {
                throw new IllegalArgumentException("the source operations per organisation must be in 1.." + threads
                        + " (the source threads), was " + perOrganisation);
            }
        }
    }

    /**
     * An external database (PostgreSQL) for the store, shared by the brokers that use it.
     *
     * @param url its JDBC URL, which must not carry a password: the URL is a command-line argument,
     *     seen by every user of the machine ({@code ps}) and shown in error messages
     * @param user the database user, unless the URL names it
     * @param password the user's password, read from a file
     */
    public record ExternalDatabase(String url, Optional<String> user, Optional<Secret> password) {
        /** A {@code password=} (or {@code sslpassword=}, ...) parameter, after {@code ?}, {@code &} or {@code ;}. */
        private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)[?&;][a-z_.]*password=");
        /** {@code //user:password@host}. */
        private static final Pattern PASSWORD_IN_AUTHORITY = Pattern.compile("^[^/]*//[^/?;#@]*:[^/?;#@]*@");
        private static final Pattern USER_PARAMETER = Pattern.compile("(?i)[?&;]user=");

        public ExternalDatabase {
            requireNonNull(url, "url is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
            if (url.isBlank()) {
                throw new IllegalArgumentException("the database URL must not be blank");
            }
            if (PASSWORD_PARAMETER.matcher(url).find() || PASSWORD_IN_AUTHORITY.matcher(url).find()) {
                throw new IllegalArgumentException("the database URL (--db) must not carry a password: everyone on the"
                        + " machine can read a command line; put the password in a file readable by the broker only"
                        + " and give it with --db-password-file FILE (and the user with --db-user)");
            }
            if (user.isPresent() && USER_PARAMETER.matcher(url).find()) {
                throw new IllegalArgumentException("the database user is given twice: as user= in the URL (--db) and"
                        + " with --db-user; keep one");
            }
            if (user.isPresent() && user.get().isBlank()) {
                throw new IllegalArgumentException("the database user must not be blank");
            }
        }

        /** A database whose URL says all the driver needs (or whose server trusts the broker's host). */
        public static ExternalDatabase of(String url) {
            return new ExternalDatabase(url, Optional.empty(), Optional.empty());
        }
    }

    /**
     * HTTPS: the broker's certificate and key (PEM) and, when given, the data space CA whose node
     * certificates the stream endpoints require.
     */
    public record Tls(Path certificate, Path privateKey, Optional<Path> clientCa) {
        public Tls {
            requireNonNull(certificate, "certificate is null");
            requireNonNull(privateKey, "privateKey is null");
            requireNonNull(clientCa, "clientCa is null");
        }
    }

    public BrokerConfig {
        requireNonNull(host, "host is null");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be in 0..65535, was " + port);
        }
        dataDir = requireNonNull(dataDir, "dataDir is null").toAbsolutePath().normalize();
        sourcesDir = requireNonNull(sourcesDir, "sourcesDir is null").toAbsolutePath().normalize();
        requireNonNull(database, "database is null");
        requireNonNull(oidc, "oidc is null");
        requireNonNull(tls, "tls is null");
        requireNonNull(grantTtl, "grantTtl is null");
        if (grantTtl.isNegative() || grantTtl.isZero()) {
            throw new IllegalArgumentException("grantTtl must be positive, was " + grantTtl);
        }
        if (maxRequestBytes < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be >= 1024, was " + maxRequestBytes);
        }
        requireNonNull(auditOrigin, "auditOrigin is null");
        if (!auditOrigin.matches("[A-Za-z0-9._/-]{1,200}")) {
            throw new IllegalArgumentException(
                    "auditOrigin must be 1-200 characters of [A-Za-z0-9._/-] (no spaces or '+'), was '" + auditOrigin + "'");
        }
        requireNonNull(purposes, "purposes is null");
        jdbcAllowedHosts = List.copyOf(requireNonNull(jdbcAllowedHosts, "jdbcAllowedHosts is null"));
        requireNonNull(shutdownGrace, "shutdownGrace is null");
        if (shutdownGrace.isNegative() || shutdownGrace.compareTo(MAX_SHUTDOWN_GRACE) > 0) {
            throw new IllegalArgumentException("shutdownGrace must be in 0..3600 s, was " + shutdownGrace.toMillis() + " ms");
        }
        if (csvCheckBytes < 1) {
            throw new IllegalArgumentException("csvCheckBytes must be >= 1, was " + csvCheckBytes);
        }
        if (decodeThreads < 1 || decodeThreads > MAX_DECODE_THREADS) {
            throw new IllegalArgumentException("decodeThreads must be in 1.." + MAX_DECODE_THREADS + ", was " + decodeThreads);
        }
        requireNonNull(peerTimeout, "peerTimeout is null");
        if (peerTimeout.compareTo(MIN_PEER_TIMEOUT) < 0 || peerTimeout.compareTo(MAX_PEER_TIMEOUT) > 0) {
            throw new IllegalArgumentException("peerTimeout must be in 1..3600 s, was " + peerTimeout.toMillis() + " ms");
        }
        requireNonNull(streamLimits, "streamLimits is null");
        requireNonNull(sourceLimits, "sourceLimits is null");
    }

    /** Embedded defaults: loopback, any free port, H2 and sources under {@code dataDir}, dev issuer on. */
    public static BrokerConfig embedded(Path dataDir) {
        return new BrokerConfig(DEFAULT_HOST, 0, dataDir, dataDir.resolve("sources"), Optional.empty(), Optional.empty(),
                Optional.empty(), Duration.ofHours(24), 1024 * 1024, DEFAULT_AUDIT_ORIGIN, PurposeHierarchy.DEFAULT, List.of(),
                DEFAULT_SHUTDOWN_GRACE, DEFAULT_CSV_CHECK_BYTES, Math.min(DEFAULT_DECODE_THREADS, MAX_DECODE_THREADS),
                DEFAULT_PEER_TIMEOUT, StreamLimits.DEFAULTS, SourceLimits.DEFAULTS);
    }

    /** Whether the embedded development token issuer is on: only when no real issuer is configured. */
    public boolean devIssuer() {
        return oidc.isEmpty();
    }

    public BrokerConfig withPort(int newPort) {
        return new BrokerConfig(host, newPort, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    public BrokerConfig withSourcesDir(Path newSourcesDir) {
        return new BrokerConfig(host, port, dataDir, newSourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration on an external database (PostgreSQL). */
    public BrokerConfig withDatabase(String jdbcUrl) {
        return withDatabase(ExternalDatabase.of(jdbcUrl));
    }

    /** The same configuration on an external database (PostgreSQL) with its login. */
    public BrokerConfig withDatabase(ExternalDatabase external) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, Optional.of(external), oidc, tls, grantTtl,
                maxRequestBytes, auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration accepting tokens of an OIDC issuer instead of the development issuer. */
    public BrokerConfig withOidc(Oidc issuer) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, Optional.of(issuer), tls, grantTtl,
                maxRequestBytes, auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration serving HTTPS. */
    public BrokerConfig withTls(Tls newTls) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, Optional.of(newTls), grantTtl,
                maxRequestBytes, auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration letting JDBC sources reach these hosts. */
    public BrokerConfig withJdbcAllowedHosts(List<String> hosts) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, hosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration with another shutdown grace. */
    public BrokerConfig withShutdownGrace(Duration grace) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, grace, csvCheckBytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration checking this much of a CSV source at registration. */
    public BrokerConfig withCsvCheckBytes(long bytes) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, bytes, decodeThreads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration decoding each stream's batches on up to {@code threads} threads. */
    public BrokerConfig withDecodeThreads(int threads) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, threads, peerTimeout, streamLimits, sourceLimits);
    }

    /** The same configuration with another peer timeout. */
    public BrokerConfig withPeerTimeout(Duration timeout) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, timeout, streamLimits, sourceLimits);
    }

    /** The same configuration with other bounds on running streams. */
    public BrokerConfig withStreamLimits(StreamLimits limits) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout, limits, sourceLimits);
    }

    /** The same configuration with other bounds on blocking source work. */
    public BrokerConfig withSourceLimits(SourceLimits limits) {
        return new BrokerConfig(host, port, dataDir, sourcesDir, database, oidc, tls, grantTtl, maxRequestBytes,
                auditOrigin, purposes, jdbcAllowedHosts, shutdownGrace, csvCheckBytes, decodeThreads, peerTimeout,
                streamLimits, limits);
    }

    /**
     * How often the broker writes its heartbeat and looks for silent peers: a third of the peer
     * timeout, so that two missed beats never make a live broker look dead, and at most 5 s.
     */
    public Duration heartbeatInterval() {
        Duration third = peerTimeout.dividedBy(3);
        return third.compareTo(MAX_HEARTBEAT_INTERVAL) < 0 ? third : MAX_HEARTBEAT_INTERVAL;
    }

    /** The JDBC URL the store uses. */
    public String jdbcUrl() {
        // WRITE_DELAY=0: a commit reaches the file at once, so a killed broker loses no acknowledged record.
        return database.map(ExternalDatabase::url).orElseGet(() -> "jdbc:h2:file:" + dataDir.resolve("sluice") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
    }
}
