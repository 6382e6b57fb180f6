package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerException;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.service.GrantListings;
import io.sluice.broker.service.GrantService;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Optional;

/** {@code GET /v1/grants} (the caller's own grants) and {@code DELETE /v1/grants/{id}} (revoke one). */
final class GrantListRoutes {
    private final GrantService grants;
    private final GrantListings listings;
    private final Clock clock;

    GrantListRoutes(GrantService grants, GrantListings listings, Clock clock) {
        this.grants = requireNonNull(grants, "grants is null");
        this.listings = requireNonNull(listings, "listings is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    void list(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        int limit = JsonBodies.intParam(ctx, "limit", GrantListings.DEFAULT_LIMIT);
        Optional<String> after = Optional.ofNullable(ctx.request().getParam("after")).filter(a -> !a.isEmpty());
        Blocking.run(ctx, () -> listings.heldBy(caller, after, limit),
                (c, page) -> Blocking.json(c, 200, OwnerRoutes.page(page, clock)));
    }

    /** The body is optional: {@code {"reason": "..."}} says why, for the record. */
    void revoke(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        Optional<String> reason;
        try {
            String text = ctx.body() == null ? null : ctx.body().asString();
            reason = text == null || text.isBlank() ? Optional.empty() : JsonBodies.optionalString(JsonBodies.object(ctx), "reason", 500);
        } catch (BrokerException e) {
            ctx.fail(e);
            return;
        }
        Blocking.run(ctx, () -> grants.revoke(caller, id, reason, RequestIds.of(ctx)), (c, grant) -> {
            JsonObject json = new JsonObject()
                    .put("id", grant.id())
                    .put("dataset", grant.datasetId())
                    .put("status", grant.status(clock.instant()).wireName());
            grant.revokedAt().ifPresent(at -> json.put("revokedAt", at.toString()));
            grant.revokedReason().ifPresent(why -> json.put("revokedReason", "revoked " + why));
            Blocking.json(c, 200, json);
        });
    }
}
