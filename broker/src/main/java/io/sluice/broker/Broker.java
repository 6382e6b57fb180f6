package io.sluice.broker;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.AuditCheckpoints;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.AuditSigningKey;
import io.sluice.broker.auth.DevTokenIssuer;
import io.sluice.broker.auth.OidcDiscovery;
import io.sluice.broker.auth.TokenVerifier;
import io.sluice.broker.ca.NodeCertificateValidator;
import io.sluice.broker.http.ApiRouter;
import io.sluice.broker.http.StrictFraming;
import io.sluice.broker.metrics.BrokerMetrics;
import io.sluice.broker.service.BrokerLiveness;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.service.SourceOperationLimit;
import io.sluice.broker.service.DatasetWithdrawals;
import io.sluice.broker.service.GrantListings;
import io.sluice.broker.service.GrantRevocations;
import io.sluice.broker.service.GrantRevoker;
import io.sluice.broker.service.GrantService;
import io.sluice.broker.service.SourceLocator;
import io.sluice.broker.service.StreamService;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.DatasetStore;
import io.sluice.broker.store.GrantStore;
import io.sluice.broker.store.HeartbeatStore;
import io.sluice.broker.store.StreamStore;
import io.sluice.broker.stream.RunningStreams;
import io.sluice.connectors.Connectors;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running broker: owns Vert.x, the HTTP server, the store, the audit log, the one Arrow root
 * allocator, the stream threads and its identity (see {@link BrokerIdentity}).
 *
 * <p>Start-up closes the streams an earlier, killed process of this identity left running
 * ({@code stream.interrupted}) and writes the broker's first heartbeat before it serves; while it
 * runs, {@link BrokerLiveness} keeps beating and closes the running streams of brokers on the same
 * store whose heartbeat fell silent for {@link BrokerConfig#peerTimeout()}.
 *
 * <p>{@link #close()} shuts down gracefully, in an order that puts every stream's end on record
 * before the log is sealed: refuse new requests, let running streams finish within
 * {@link BrokerConfig#shutdownGrace()}, stop the rest (each records {@code stream.aborted} with
 * what it sent), close the connections, join the stream threads, close Vert.x, stop the heartbeat,
 * sign a final checkpoint, close the audit log, the store and the allocator. No thread the broker
 * started outlives {@code close()}.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    /** The largest batch a connector may build for one stream: bounds the memory a hostile source can claim. */
    private static final long MAX_BATCH_BYTES = 256L * 1024 * 1024;

    /** After a stop, how long the stopped streams get to record their end. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);
    /** How long close waits for stream and export threads after the connections are closed. */
    private static final Duration THREAD_WAIT = Duration.ofSeconds(10);

    private final BrokerConfig config;
    private final BrokerIdentity identity;
    private final RunningStreams running;
    private final Vertx vertx;
    private final Database database;
    private final AuditLog auditLog;
    private final AuditCheckpoints checkpoints;
    private final BrokerLiveness liveness;
    private final BufferAllocator allocator;
    private final ExecutorService streamThreads;
    private final HttpServer server;
    private final Router router;
    private final BrokerMetrics metrics;
    private boolean closed;

    private Broker(BrokerConfig config, BrokerIdentity identity, RunningStreams running, Vertx vertx, Database database,
            AuditLog auditLog, AuditCheckpoints checkpoints, BrokerLiveness liveness, BufferAllocator allocator,
            ExecutorService streamThreads, HttpServer server, Router router, BrokerMetrics metrics) {
        this.config = config;
        this.identity = identity;
        this.running = running;
        this.vertx = vertx;
        this.database = database;
        this.auditLog = auditLog;
        this.checkpoints = checkpoints;
        this.liveness = liveness;
        this.allocator = allocator;
        this.streamThreads = streamThreads;
        this.server = server;
        this.router = router;
        this.metrics = metrics;
    }

    /** Starts a broker and waits until it listens. */
    public static Broker start(BrokerConfig config) {
        requireNonNull(config, "config is null");
        createDirectories(config);
        Clock clock = Clock.systemUTC();
        BrokerIdentity identity = BrokerIdentity.acquire(config.dataDir());
        Vertx vertx = Vertx.vertx();
        Database database = null;
        BufferAllocator allocator = null;
        ExecutorService streamThreads = null;
        AuditLog auditLog = null;
        AuditCheckpoints checkpoints = null;
        BrokerLiveness liveness = null;
        BrokerMetrics metrics = new BrokerMetrics();
        try {
            database = Database.open(config.jdbcUrl(), config.database().flatMap(BrokerConfig.ExternalDatabase::user),
                    config.database().flatMap(BrokerConfig.ExternalDatabase::password).map(Secret::value));
            allocator = new RootAllocator();
            streamThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("sluice-stream-", 0).factory());
            auditLog = new AuditLog(database, clock, metrics);
            checkpoints = new AuditCheckpoints(database, auditLog,
                    AuditSigningKey.loadOrCreate(config.dataDir(), config.auditOrigin()), config.auditOrigin(), clock);
            checkpoints.start();
            Connectors connectors = Connectors.discover();
            GrantStore grantStore = new GrantStore(database);
            GrantRevocations revocations = new GrantRevocations();
            GrantRevoker revoker = new GrantRevoker(grantStore, auditLog, revocations, clock);
            SourceLocator sources = new SourceLocator(config.sourcesDir(), config.jdbcAllowedHosts(), MAX_BATCH_BYTES);
            DatasetStore datasetStore = new DatasetStore(database);
            DatasetService datasets = new DatasetService(datasetStore, grantStore, auditLog, connectors,
                    sources, config.purposes(), revoker, allocator, config.csvCheckBytes(),
                    new SourceOperationLimit(config.sourceLimits().perOrganisation()), clock);
            GrantService grants = new GrantService(datasets, grantStore, auditLog, clock, config.grantTtl(), revoker);
            StreamService streams = new StreamService(grants, datasets, revocations, pseudonymMasterKey(config),
                    new StreamStore(database, identity.id()), auditLog, connectors, allocator, clock,
                    config.decodeThreads(), metrics);
            // The embedded H2 store is held by this one process, so streams from before owners were recorded are ours too.
            int interrupted = streams.interruptLeftRunning(config.database().isEmpty());
            if (interrupted > 0) {
                LOG.warn("closed {} stream(s) an earlier run of broker {} left running as interrupted", interrupted,
                        identity.id());
            }
            liveness = new BrokerLiveness(new HeartbeatStore(database), streams, identity.id(), config.peerTimeout(),
                    config.heartbeatInterval());
            liveness.start();
            RunningStreams running = new RunningStreams(config.streamLimits().perBroker(),
                    config.streamLimits().perConsumer());
            metrics.watch(running, auditLog, checkpoints, allocator, database, clock);
            Optional<DevTokenIssuer> devIssuer = Optional.empty();
            TokenVerifier verifier;
            if (config.oidc().isPresent()) {
                verifier = oidcVerifier(vertx, config.oidc().get(), clock);
            } else {
                DevTokenIssuer issuer = DevTokenIssuer.create(vertx, "sluice-dev://" + config.host());
                verifier = TokenVerifier.create(vertx, issuer.jwks(), issuer.issuer(), DevTokenIssuer.AUDIENCE);
                devIssuer = Optional.of(issuer);
                LOG.warn("DEVELOPMENT TOKEN ISSUER IS ON: anyone who can reach POST /v1/dev/token can act as anyone."
                        + " For local use only; --oidc-issuer turns it off.");
            }
            Optional<NodeCertificateValidator> nodes = nodeValidator(config);
            var services = new ApiRouter.Services(datasets, grants, streams, auditLog, checkpoints, database, verifier,
                    devIssuer, nodes, streamThreads, running, config.maxRequestBytes(),
                    config.streamLimits().idleTimeout(), config.sourceLimits().threads(), metrics,
                    new DatasetWithdrawals(datasets, datasetStore, grantStore, revoker, auditLog, clock),
                    new GrantListings(datasets, grantStore));
            HttpServerOptions options = serverOptions(config, nodes);
            Router router = ApiRouter.create(vertx, services, config.oidc());
            HttpServer server = vertx.createHttpServer(options)
                    .connectionHandler(StrictFraming.installer(options))
                    .invalidRequestHandler(StrictFraming.invalidRequests())
                    .requestHandler(router)
                    .listen()
                    .toCompletionStage().toCompletableFuture().join();
            return new Broker(config, identity, running, vertx, database, auditLog, checkpoints, liveness, allocator,
                    streamThreads, server, router, metrics);
        } catch (RuntimeException e) {
            closeQuietly(vertx, streamThreads, liveness, checkpoints, auditLog, database, allocator);
            metrics.close();
            identity.close();
            throw e;
        }
    }

    /** Fetches the issuer's keys now, so that a wrong issuer URL fails the start, not every request. */
    private static TokenVerifier oidcVerifier(Vertx vertx, BrokerConfig.Oidc oidc, Clock clock) {
        OidcDiscovery discovery = new OidcDiscovery(vertx, oidc.issuer());
        var jwks = discovery.jwks().toCompletionStage().toCompletableFuture().join();
        LOG.info("accepting tokens of {} (audience {}, clock skew {} s)", oidc.issuer(), oidc.audience(),
                oidc.clockSkew().toSeconds());
        return TokenVerifier.refreshing(vertx, jwks, discovery::jwks, oidc.issuer().toString().replaceAll("/+$", ""),
                oidc.audience(), oidc.clockSkew(), Duration.ofSeconds(30), clock);
    }

    /** The key pseudonyms are derived from: made once, kept, so pseudonyms stay stable across restarts. */
    private static byte[] pseudonymMasterKey(BrokerConfig config) {
        Path file = config.dataDir().resolve("pseudonym-master.key");
        try {
            return KeyFiles.loadOrCreate(file, 32);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load or create " + file + ": " + e.getMessage(), e);
        }
    }

    private static HttpServerOptions serverOptions(BrokerConfig config, Optional<NodeCertificateValidator> nodes) {
        // HTTP/1.1 only: no cleartext upgrade to HTTP/2 (h2c), which a proxy in front would pass
        // through unread ("h2c smuggling"), and which bypasses the HTTP/1 framing checks (StrictFraming).
        HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port())
                .setHttp2ClearTextEnabled(false);
        config.tls().ifPresent(tls -> options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertPath(tls.certificate().toString()).setKeyPath(tls.privateKey().toString())));
        // Requested, not required, and judged after the handshake: only the stream endpoints insist
        // on a node, and a refused certificate must be audited with its reason, which a handshake
        // failure would hide.
        nodes.ifPresent(validator -> options.setClientAuth(ClientAuth.REQUEST)
                .setTrustOptions(TrustOptions.wrap(validator.deferringClientTrustManager())));
        return options;
    }

    private static Optional<NodeCertificateValidator> nodeValidator(BrokerConfig config) {
        Optional<Path> clientCa = config.tls().flatMap(BrokerConfig.Tls::clientCa);
        if (clientCa.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(NodeCertificateValidator.fromPem(clientCa.get()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the client CA " + clientCa.get() + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.actualPort();
    }

    public URI uri() {
        return URI.create((config.tls().isPresent() ? "https://" : "http://") + config.host() + ":" + port());
    }

    /** The routes this broker answers, as registered (what the OpenAPI document must describe). */
    public List<Route> routes() {
        return List.copyOf(router.getRoutes());
    }

    public BrokerConfig config() {
        return config;
    }

    /** This broker's identity in the stream rows it writes. */
    public String brokerId() {
        return identity.id();
    }

    /**
     * Shuts down gracefully (see the class comment for the order); blocks up to the shutdown grace
     * plus a few seconds. Idempotent: a second call returns once the first has finished.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = false;
        // 1. New requests get 503 shutting_down; running streams go on.
        running.drain();
        try {
            // 2. Running streams may finish within the grace, recording stream.closed.
            if (!running.awaitIdle(config.shutdownGrace())) {
                // 3. The rest stop before their next batch and record stream.aborted with what they sent.
                int stopped = running.stopAll();
                LOG.warn("{} stream(s) still running after the shutdown grace of {} s: stopped", stopped,
                        config.shutdownGrace().toMillis() / 1000.0);
                if (!running.awaitIdle(STOP_WAIT)) {
                    LOG.error("{} stopped stream(s) did not record their end within {} s", running.size(),
                            STOP_WAIT.toSeconds());
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
            running.stopAll();
        }
        // 4. Close the connections (a client that stopped reading lets go of the stream's buffers).
        server.close().toCompletionStage().toCompletableFuture().join();
        // 5. Join every stream and export thread.
        streamThreads.shutdown();
        try {
            if (!streamThreads.awaitTermination(THREAD_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("stream threads still running {} s after the connections closed: interrupting them",
                        THREAD_WAIT.toSeconds());
                streamThreads.shutdownNow();
                if (!streamThreads.awaitTermination(THREAD_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    LOG.error("stream threads still running after being interrupted; closing the store under them");
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
            streamThreads.shutdownNow();
        }
        // 6. Vert.x: event loops and the worker pool (requests that were past the gate end here).
        // 7. The heartbeat stops only now: peers must not take a broker that drains its streams for dead.
        // 8. A last signed checkpoint over every record, then the log, the store, the memory and the metrics.
        // Each step runs even when one before it fails, and the data directory's lock is given back last.
        try {
            closeInTurn(() -> vertx.close().toCompletionStage().toCompletableFuture().join(), liveness::close,
                    checkpoints::close, auditLog::close, database::close, allocator::close, metrics::close);
        } finally {
            identity.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs every step in order; the first failure is thrown after all have run, later ones suppressed. */
    private static void closeInTurn(Runnable... steps) {
        RuntimeException failure = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void createDirectories(BrokerConfig config) {
        try {
            Files.createDirectories(config.dataDir());
            Files.createDirectories(config.sourcesDir());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Vertx vertx, ExecutorService streamThreads, BrokerLiveness liveness,
            AuditCheckpoints checkpoints, AuditLog auditLog, Database database, BufferAllocator allocator) {
        if (streamThreads != null) {
            streamThreads.shutdownNow();
        }
        vertx.close();
        if (liveness != null) {
            liveness.close();
        }
        if (checkpoints != null) {
            checkpoints.close();
        }
        if (auditLog != null) {
            auditLog.close();
        }
        if (database != null) {
            database.close();
        }
        if (allocator != null) {
            allocator.close();
        }
    }
}
