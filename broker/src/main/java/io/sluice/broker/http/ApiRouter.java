package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.AuditCheckpoints;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.GrantAuditRecords;
import io.sluice.broker.auth.DevTokenIssuer;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.auth.TokenVerifier;
import io.sluice.broker.ca.NodeCertificateValidator;
import io.sluice.broker.metrics.BrokerMetrics;
import io.sluice.broker.service.CatalogSearch;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.service.DatasetWithdrawals;
import io.sluice.broker.service.GrantListings;
import io.sluice.broker.service.GrantService;
import io.sluice.broker.service.StreamService;
import io.sluice.broker.service.TrainingReceipts;
import io.sluice.broker.store.Database;
import io.sluice.broker.stream.RunningStreams;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * The HTTP contract of DESIGN.md as one router. Every protected route is the chain
 * {@code request id -> access log -> body limit -> authenticate -> authorise (role) -> act}; one error handler
 * turns failures into the contract's error shape.
 */
public final class ApiRouter {
    private ApiRouter() {}

    /** The collaborators the routes act through. */
    public record Services(DatasetService datasets, GrantService grants, StreamService streams, AuditLog auditLog,
            AuditCheckpoints checkpoints, Database database, TokenVerifier verifier, Optional<DevTokenIssuer> devIssuer,
            Optional<NodeCertificateValidator> nodes, ExecutorService streamThreads, RunningStreams running,
            long maxRequestBytes, java.time.Duration streamIdleTimeout, int sourceThreads, BrokerMetrics metrics,
            DatasetWithdrawals withdrawals, GrantListings listings) {
        public Services {
            requireNonNull(datasets, "datasets is null");
            requireNonNull(grants, "grants is null");
            requireNonNull(streams, "streams is null");
            requireNonNull(auditLog, "auditLog is null");
            requireNonNull(checkpoints, "checkpoints is null");
            requireNonNull(database, "database is null");
            requireNonNull(verifier, "verifier is null");
            requireNonNull(devIssuer, "devIssuer is null");
            requireNonNull(nodes, "nodes is null");
            requireNonNull(streamThreads, "streamThreads is null");
            requireNonNull(running, "running is null");
            requireNonNull(streamIdleTimeout, "streamIdleTimeout is null");
            requireNonNull(metrics, "metrics is null");
            requireNonNull(withdrawals, "withdrawals is null");
            requireNonNull(listings, "listings is null");
            if (sourceThreads < 1) {
                throw new IllegalArgumentException("sourceThreads must be >= 1, was " + sourceThreads);
            }
        }
    }

    public static Router create(Vertx vertx, Services services) {
        return create(vertx, services, Optional.empty());
    }

    /** @param oidc the issuer the broker trusts, whose public client the compliance page signs in with */
    public static Router create(Vertx vertx, Services services, Optional<io.sluice.broker.BrokerConfig.Oidc> oidc) {
        Router router = Router.router(vertx);
        ErrorHandler errors = ErrorHandler.create();
        router.route().handler(RequestIds.create());
        router.route().handler(AccessLog::handle);
        // The probes and the scrape pass the gate: a draining broker is still live, says itself that it is not ready,
        // and its metrics show the drain.
        router.route().handler(ShutdownGate.create(services.running(),
                Set.of(HealthRoutes.LIVE, HealthRoutes.READY, MetricsHandler.PATH)));
        router.route().handler(BodyHandler.create(false).setBodyLimit(services.maxRequestBytes()));
        router.route().failureHandler(errors);
        // No route matched the path (404) or none matched the method (405): the same JSON envelope, not Vert.x's page.
        router.errorHandler(404, errors);
        AllowedMethods allowed = new AllowedMethods(router);
        router.errorHandler(405, ctx -> {
            ctx.response().putHeader("Allow", allowed.on(ctx.normalizedPath()));
            errors.handle(ctx);
        });

        HealthRoutes health = new HealthRoutes(services.database(), services.auditLog(), services.verifier(),
                services.running());
        router.get("/health").handler(health::health);
        router.get(HealthRoutes.LIVE).handler(health::live);
        router.get(HealthRoutes.READY).handler(health::ready);
        // Counts only, never data or identities: open like /health, for the operator's scraper.
        router.get(MetricsHandler.PATH).handler(MetricsHandler.create(services.metrics()));
        // The contract is public, like the probes; OpenApiContractIT holds it to these routes.
        router.get(OpenApiDocument.PATH).handler(OpenApiDocument.load());

        services.devIssuer().ifPresent(issuer -> {
            DevTokenRoutes dev = new DevTokenRoutes(issuer);
            router.post("/v1/dev/token").handler(dev::mint);
            router.get("/v1/dev/jwks").handler(dev::jwks);
        });

        AuthenticationHandler authenticate = AuthenticationHandler.create(services.verifier(), services.auditLog());
        AuditLog log = services.auditLog();
        // Registrations open owners' sources, which may be slow or hostile: on a pool of their own, so that
        // health, grant and audit requests never wait behind them (Vert.x closes it with itself).
        RefusedRequests refused = new RefusedRequests(log);
        DatasetRoutes datasets = new DatasetRoutes(services.datasets(),
                vertx.createSharedWorkerExecutor("sluice-sources", services.sourceThreads()), refused);
        // Opening a stream opens its source too (a JDBC source's version and unit counts): on a pool of its own
        // as well, so that slow sources delay only other stream opens, never health, grants or registrations.
        GrantRoutes grants = new GrantRoutes(services.grants(), services.streams(), services.streamThreads(),
                vertx.createSharedWorkerExecutor("sluice-stream-opens", services.sourceThreads()),
                services.running(), services.streamIdleTimeout(), refused);
        AuditRoutes audit = new AuditRoutes(services.auditLog(), services.checkpoints(), services.streamThreads(),
                new io.sluice.broker.audit.DatasetLabels(services.database()));

        router.post("/v1/datasets").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER)).handler(datasets::register);
        router.put("/v1/datasets/:id/policy").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER)).handler(datasets::replacePolicy);
        router.post("/v1/datasets/:id/opt-outs").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER)).handler(datasets::addOptOuts);
        // The catalog pages over DatasetService.list(): what that listing leaves out, the catalog never shows.
        CatalogRoutes catalog = new CatalogRoutes(services.datasets(), new CatalogSearch(services.datasets()::list),
                services.checkpoints().origin());
        router.get(CatalogRoutes.PATH).handler(authenticate).handler(catalog::catalog);
        router.get("/v1/datasets/:id").handler(authenticate).handler(datasets::get);
        OwnerRoutes owners = new OwnerRoutes(services.datasets(), services.withdrawals(), services.listings(),
                java.time.Clock.systemUTC());
        router.get("/v1/datasets/:id/policy").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER, Identity.COMPLIANCE_OFFICER)).handler(owners::policy);
        router.get("/v1/datasets/:id/policy/versions").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER, Identity.COMPLIANCE_OFFICER))
                .handler(owners::policyVersions);
        router.delete("/v1/datasets/:id").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER)).handler(owners::withdraw);
        router.get("/v1/datasets/:id/grants").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER, Identity.COMPLIANCE_OFFICER)).handler(owners::grants);
        GrantListRoutes grantList = new GrantListRoutes(services.grants(), services.listings(), java.time.Clock.systemUTC());
        router.get("/v1/grants").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_CONSUMER)).handler(grantList::list);
        router.delete("/v1/grants/:id").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_CONSUMER, Identity.DATA_OWNER)).handler(grantList::revoke);
        router.post("/v1/grants").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_CONSUMER))
                .handler(NodeHandler.optional(services.nodes(), log)).handler(grants::request);
        router.get("/v1/grants/:id/stream").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_CONSUMER))
                .handler(NodeHandler.required(services.nodes(), log)).handler(grants::stream);
        router.get("/v1/streams/:id").handler(authenticate).handler(grants::status);
        // Training receipts: a grant's records with inclusion proofs against one signed checkpoint (decisions/0018).
        ReceiptRoutes receipts = new ReceiptRoutes(new TrainingReceipts(services.datasets(), services.grants(),
                services.listings(), services.auditLog(), services.checkpoints(), new GrantAuditRecords(services.database())));
        router.get("/v1/grants/:id/receipt").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_CONSUMER, Identity.DATA_OWNER, Identity.COMPLIANCE_OFFICER))
                .handler(receipts::grantReceipt);
        router.get("/v1/datasets/:id/receipts").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.DATA_OWNER, Identity.COMPLIANCE_OFFICER))
                .handler(receipts::datasetReceipts);
        router.get("/v1/audit").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.COMPLIANCE_OFFICER, Identity.DATA_OWNER)).handler(audit::query);
        // A data owner exports (FHIR for the hospital's own audit repository, JSON lines, CSV) their datasets' records only.
        router.get("/v1/audit/export").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.COMPLIANCE_OFFICER, Identity.DATA_OWNER)).handler(audit::export);
        router.get("/v1/audit/entries").handler(authenticate)
                .handler(RoleHandler.anyOf(log, Identity.COMPLIANCE_OFFICER)).handler(audit::entries);
        router.get("/v1/audit/checkpoint").handler(authenticate).handler(audit::checkpoint);
        router.get("/v1/audit/checkpoints").handler(authenticate).handler(audit::checkpointList);
        router.get("/v1/audit/proof/inclusion").handler(authenticate).handler(audit::inclusionProof);
        router.get("/v1/audit/proof/consistency").handler(authenticate).handler(audit::consistencyProof);
        // The compliance page: static files; it signs in through the OIDC issuer (or, with the development issuer,
        // with a pasted or minted token), keeps the token in memory and calls the API above.
        AuditPageRoutes page = AuditPageRoutes.create(oidc, services.devIssuer().isPresent());
        router.get("/ui/*").handler(page::securityHeaders);
        router.get(AuditPageRoutes.CONFIG_PATH).handler(page::config);
        router.get("/ui").handler(ctx -> ctx.redirect("/ui/audit/"));
        // Vert.x lets "/ui/audit" match "/ui/audit/" too: redirect only the form without the slash.
        router.get("/ui/audit").handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                ctx.next();
            } else {
                ctx.redirect("/ui/audit/");
            }
        });
        router.get("/ui/*").handler(StaticHandler.create("webroot/ui").setCachingEnabled(false).setDirectoryListing(false));
        // A public key is public: verifiers may fetch it without an account.
        router.get("/v1/audit/public-key").handler(audit::publicKey);
        return router;
    }
}
