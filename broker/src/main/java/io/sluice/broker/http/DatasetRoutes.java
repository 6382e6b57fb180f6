package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.auth.Identity;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.service.DatasetService.Registration;
import io.sluice.broker.store.Dataset;
import io.sluice.policy.Policies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code POST /v1/datasets}, {@code GET /v1/catalog}, {@code GET /v1/datasets/{id}}. */
final class DatasetRoutes {
    private final DatasetService datasets;

    DatasetRoutes(DatasetService datasets) {
        this.datasets = requireNonNull(datasets, "datasets is null");
    }

    void register(RoutingContext ctx) {
        JsonObject body = JsonBodies.object(ctx);
        JsonObject source = JsonBodies.requiredObject(body, "source");
        Registration registration = new Registration(
                JsonBodies.requiredString(body, "name", 200),
                JsonBodies.optionalString(body, "description", 4000).orElse(""),
                JsonBodies.requiredString(source, "type", 32),
                JsonBodies.requiredString(source, "path", 1000),
                JsonBodies.requiredObject(body, "policy").encode());
        Identity owner = AuthenticationHandler.identity(ctx);
        Blocking.run(ctx, () -> datasets.register(owner, registration, RequestIds.of(ctx)),
                (c, dataset) -> Blocking.json(c, 201, Views.dataset(dataset)));
    }

    void catalog(RoutingContext ctx) {
        Blocking.run(ctx, () -> {
            JsonArray entries = new JsonArray();
            for (Dataset dataset : datasets.list()) {
                entries.add(entry(dataset));
            }
            return new JsonObject().put("datasets", entries);
        }, (c, json) -> Blocking.json(c, 200, json));
    }

    void get(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        Blocking.run(ctx, () -> entry(datasets.get(id)), (c, json) -> Blocking.json(c, 200, json));
    }

    private static JsonObject entry(Dataset dataset) {
        var policy = Policies.parse(dataset.policyJson(), dataset.schema());
        return Views.catalogEntry(dataset, Policies.offer(policy, dataset.schema()));
    }
}
