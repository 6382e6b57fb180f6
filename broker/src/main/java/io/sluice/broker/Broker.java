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
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.service.GrantRevocations;
import io.sluice.broker.service.GrantService;
import io.sluice.broker.service.SourceLocator;
import io.sluice.broker.service.StreamService;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.DatasetStore;
import io.sluice.broker.store.GrantStore;
import io.sluice.broker.store.StreamStore;
import io.sluice.connectors.Connectors;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
 * allocator and the stream threads, and closes them in reverse order.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    /** The largest batch a connector may build for one stream: bounds the memory a hostile source can claim. */
    private static final long MAX_BATCH_BYTES = 256L * 1024 * 1024;

    private final BrokerConfig config;
    private final Vertx vertx;
    private final Database database;
    private final AuditLog auditLog;
    private final AuditCheckpoints checkpoints;
    private final BufferAllocator allocator;
    private final ExecutorService streamThreads;
    private final HttpServer server;

    private Broker(BrokerConfig config, Vertx vertx, Database database, AuditLog auditLog,
            AuditCheckpoints checkpoints, BufferAllocator allocator, ExecutorService streamThreads, HttpServer server) {
        this.config = config;
        this.vertx = vertx;
        this.database = database;
        this.auditLog = auditLog;
        this.checkpoints = checkpoints;
        this.allocator = allocator;
        this.streamThreads = streamThreads;
        this.server = server;
    }

    /** Starts a broker and waits until it listens. */
    public static Broker start(BrokerConfig config) {
        requireNonNull(config, "config is null");
        createDirectories(config);
        Clock clock = Clock.systemUTC();
        Vertx vertx = Vertx.vertx();
        Database database = null;
        BufferAllocator allocator = null;
        ExecutorService streamThreads = null;
        AuditLog auditLog = null;
        AuditCheckpoints checkpoints = null;
        try {
            database = Database.open(config.jdbcUrl());
            allocator = new RootAllocator();
            streamThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("sluice-stream-", 0).factory());
            auditLog = new AuditLog(database, clock);
            checkpoints = new AuditCheckpoints(database, auditLog,
                    AuditSigningKey.loadOrCreate(config.dataDir(), config.auditOrigin()), config.auditOrigin(), clock);
            checkpoints.start();
            Connectors connectors = Connectors.discover();
            GrantStore grantStore = new GrantStore(database);
            GrantRevocations revocations = new GrantRevocations();
            SourceLocator sources = new SourceLocator(config.sourcesDir(), config.jdbcAllowedHosts(), MAX_BATCH_BYTES);
            DatasetService datasets = new DatasetService(new DatasetStore(database), grantStore, auditLog, connectors,
                    sources, config.purposes(), revocations, clock);
            GrantService grants = new GrantService(datasets, grantStore, auditLog, clock, config.grantTtl());
            StreamService streams = new StreamService(grants, datasets, revocations, pseudonymMasterKey(config),
                    new StreamStore(database), auditLog, connectors, allocator, clock);
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
                    devIssuer, nodes, streamThreads, config.maxRequestBytes());
            HttpServer server = vertx.createHttpServer(serverOptions(config, nodes))
                    .requestHandler(ApiRouter.create(vertx, services))
                    .listen()
                    .toCompletionStage().toCompletableFuture().join();
            return new Broker(config, vertx, database, auditLog, checkpoints, allocator, streamThreads, server);
        } catch (RuntimeException e) {
            closeQuietly(vertx, streamThreads, checkpoints, auditLog, database, allocator);
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
        HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port());
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

    public BrokerConfig config() {
        return config;
    }

    @Override
    public void close() {
        server.close().toCompletionStage().toCompletableFuture().join();
        streamThreads.shutdownNow();
        try {
            if (!streamThreads.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("streams still running after 10 s; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
        checkpoints.close();
        auditLog.close();
        database.close();
        allocator.close();
    }

    private static void createDirectories(BrokerConfig config) {
        try {
            Files.createDirectories(config.dataDir());
            Files.createDirectories(config.sourcesDir());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Vertx vertx, ExecutorService streamThreads, AuditCheckpoints checkpoints,
            AuditLog auditLog, Database database, BufferAllocator allocator) {
        if (streamThreads != null) {
            streamThreads.shutdownNow();
        }
        vertx.close();
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
