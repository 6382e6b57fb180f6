package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.auth.Identity;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.service.DatasetWithdrawals;
import io.sluice.broker.service.GrantListings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Optional;

/**
 * What a data owner reads and does about a dataset beyond registering it:
 * {@code GET /v1/datasets/{id}/policy}, {@code GET /v1/datasets/{id}/policy/versions},
 * {@code DELETE /v1/datasets/{id}}, {@code GET /v1/datasets/{id}/grants}. Ownership is the
 * services' to check (a refusal is audited there); the router checks roles.
 */
final class OwnerRoutes {
    private final DatasetService datasets;
    private final DatasetWithdrawals withdrawals;
    private final GrantListings listings;
    private final Clock clock;

    OwnerRoutes(DatasetService datasets, DatasetWithdrawals withdrawals, GrantListings listings, Clock clock) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.withdrawals = requireNonNull(withdrawals, "withdrawals is null");
        this.listings = requireNonNull(listings, "listings is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The policy in force: the last version. */
    void policy(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        Blocking.run(ctx, () -> datasets.policyVersions(caller, id, RequestIds.of(ctx)),
                (c, versions) -> Blocking.json(c, 200, Views.policyVersion(versions.getLast())));
    }

    /** Every version, oldest first, the one in force last (also named by {@code current}). */
    void policyVersions(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        Blocking.run(ctx, () -> datasets.policyVersions(caller, id, RequestIds.of(ctx)), (c, versions) -> {
            JsonArray all = new JsonArray();
            versions.forEach(version -> all.add(Views.policyVersion(version)));
            Blocking.json(c, 200, new JsonObject().put("dataset", id).put("current", versions.getLast().version())
                    .put("versions", all));
        });
    }

    void withdraw(RoutingContext ctx) {
        Identity owner = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        Blocking.run(ctx, () -> withdrawals.withdraw(owner, id, RequestIds.of(ctx)),
                (c, withdrawal) -> Blocking.json(c, 200, new JsonObject()
                        .put("dataset", withdrawal.datasetId())
                        .put("status", "withdrawn")
                        .put("withdrawnAt", withdrawal.withdrawnAt().toString())
                        .put("revokedGrants", new JsonArray(withdrawal.revokedGrants()))));
    }

    void grants(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String id = ctx.pathParam("id");
        int limit = JsonBodies.intParam(ctx, "limit", GrantListings.DEFAULT_LIMIT);
        Optional<String> after = Optional.ofNullable(ctx.request().getParam("after")).filter(a -> !a.isEmpty());
        Blocking.run(ctx, () -> listings.ofDataset(caller, id, after, limit, RequestIds.of(ctx)),
                (c, page) -> Blocking.json(c, 200, page(page, clock).put("dataset", id)));
    }

    /** A page of grants: {@code grants}, and {@code next} when there are more. */
    static JsonObject page(GrantListings.Page page, Clock clock) {
        java.time.Instant now = clock.instant();
        JsonArray grants = new JsonArray();
        page.grants().forEach(usage -> grants.add(Views.grantUsage(usage, now)));
        JsonObject json = new JsonObject().put("grants", grants);
        page.next().ifPresent(next -> json.put("next", next));
        return json;
    }
}
