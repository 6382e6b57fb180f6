package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerVersion;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.TokenVerifier;
import io.sluice.broker.store.Database;
import io.sluice.broker.stream.RunningStreams;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * The operator's probes. {@code /health/live} says the process serves requests at all (restart it
 * when this fails); {@code /health/ready} says it should get traffic: the store answers, the audit
 * log takes records, the token issuer's keys are loaded, and it is not draining for a shutdown.
 * Both pass the shutdown gate, so a draining broker stays live while it turns unready.
 * {@code /health} is the earlier probe (status and store), kept for existing callers.
 */
final class HealthRoutes {
    static final String LIVE = "/health/live";
    static final String READY = "/health/ready";
    /** How long a probe waits for the store before it counts it as not answering. */
    private static final Duration STORE_BOUND = Duration.ofSeconds(2);

    private final StoreProbe store;
    private final AuditLog auditLog;
    private final TokenVerifier verifier;
    private final RunningStreams running;

    HealthRoutes(Database database, AuditLog auditLog, TokenVerifier verifier, RunningStreams running) {
        this.store = new StoreProbe(requireNonNull(database, "database is null"), STORE_BOUND);
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.verifier = requireNonNull(verifier, "verifier is null");
        this.running = requireNonNull(running, "running is null");
    }

    /** 200 while the event loop answers; nothing it depends on is checked, so a store outage never restarts it. */
    void live(RoutingContext ctx) {
        Blocking.json(ctx, 200, new JsonObject().put("status", "ok").put("version", BrokerVersion.get()));
    }

    /** 200 when every check passes, else 503 naming the checks that failed. */
    void ready(RoutingContext ctx) {
        onStore(ctx, reachable -> {
            JsonObject json = readiness(reachable);
            Blocking.json(ctx, "ok".equals(json.getString("status")) ? 200 : 503, json);
        });
    }

    /** The earlier probe: 200 while the store answers, 503 when it does not; behind the shutdown gate. */
    void health(RoutingContext ctx) {
        onStore(ctx, reachable -> Blocking.json(ctx, reachable ? 200 : 503, new JsonObject()
                .put("status", reachable ? "ok" : "failing").put("version", BrokerVersion.get())
                .put("store", reachable ? "ok" : "failing")));
    }

    /** Checks the store off the event loop and continues on the request's context. */
    private void onStore(RoutingContext ctx, Handler<Boolean> then) {
        Future.fromCompletionStage(store.reachable(), ctx.vertx().getOrCreateContext())
                .onSuccess(then)
                .onFailure(ctx::fail);
    }

    private JsonObject readiness(boolean storeReachable) {
        JsonObject checks = new JsonObject()
                .put("store", check(storeReachable, "the store did not answer within " + STORE_BOUND.toSeconds() + " s"))
                .put("audit", check(auditLog.writable(), "the audit log cannot take records (its last commit failed,"
                        + " its writer stopped or its queue is full)"))
                .put("tokens", check(verifier.signingKeys() > 0, "no signing key of " + verifier.issuer()
                        + " is loaded"))
                .put("draining", check(!running.draining(), "the broker is shutting down"));
        boolean ok = checks.stream().allMatch(e -> "ok".equals(((JsonObject) e.getValue()).getString("status")));
        String status = running.draining() ? "draining" : ok ? "ok" : "failing";
        return new JsonObject().put("status", status).put("version", BrokerVersion.get()).put("checks", checks);
    }

    private static JsonObject check(boolean passed, String whyNot) {
        return passed ? new JsonObject().put("status", "ok")
                : new JsonObject().put("status", "failing").put("message", whyNot);
    }
}
