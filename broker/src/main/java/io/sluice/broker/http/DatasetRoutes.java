package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.logging.LogFields;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.service.DatasetService.Registration;
import io.sluice.broker.store.Dataset;
import io.sluice.policy.Policies;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/** {@code POST /v1/datasets}, {@code GET /v1/datasets/{id}} ({@code GET /v1/catalog} is {@link CatalogRoutes}). */
final class DatasetRoutes {
    private final DatasetService datasets;
    private final WorkerExecutor sourceWork;
    private final RefusedRequests refused;

    /** @param sourceWork the pool registrations open their sources on */
    DatasetRoutes(DatasetService datasets, WorkerExecutor sourceWork, RefusedRequests refused) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.sourceWork = requireNonNull(sourceWork, "sourceWork is null");
        this.refused = requireNonNull(refused, "refused is null");
    }

    void register(RoutingContext ctx) {
        Registration registration;
        try {
            JsonObject body = JsonBodies.object(ctx);
            JsonObject source = JsonBodies.requiredObject(body, "source");
            registration = new Registration(
                    JsonBodies.requiredString(body, "name", 200),
                    JsonBodies.optionalString(body, "description", 4000).orElse(""),
                    JsonBodies.requiredString(source, "type", 32),
                    JsonBodies.optionalString(source, "path", 1000),
                    sourceOptions(source),
                    JsonBodies.requiredObject(body, "policy").encode(),
                    JsonBodies.optionalString(body, "subjectColumn", 200));
        } catch (BrokerException e) {
            refused.fail(ctx, AuditAction.DATASET_REJECTED, Optional.empty(), e);
            return;
        }
        Identity owner = AuthenticationHandler.identity(ctx);
        Blocking.run(ctx, sourceWork, () -> datasets.register(owner, registration, RequestIds.of(ctx)),
                (c, registered) -> {
                    LogContext.put(c, LogFields.DATASET, registered.dataset().id());
                    Blocking.json(c, 201, Views.registered(registered));
                });
    }

    /** Every field of {@code source} but type and path, as the connector's options (scalars as text). */
    private static java.util.Map<String, String> sourceOptions(JsonObject source) {
        java.util.Map<String, String> options = new java.util.HashMap<>();
        for (String key : source.fieldNames()) {
            if (key.equals("type") || key.equals("path")) {
                continue;
            }
            Object value = source.getValue(key);
            if (value instanceof JsonObject || value instanceof JsonArray || value == null) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                        "source option '" + key + "' must be a string, number or boolean");
            }
            options.put(key, value.toString());
        }
        return options;
    }

    void replacePolicy(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        LogContext.put(ctx, LogFields.DATASET, id);
        String policy;
        try {
            policy = JsonBodies.object(ctx).encode();
        } catch (BrokerException e) {
            refused.fail(ctx, AuditAction.POLICY_REJECTED, Optional.of(id), e);
            return;
        }
        Identity owner = AuthenticationHandler.identity(ctx);
        Blocking.run(ctx, () -> datasets.replacePolicy(owner, id, policy, RequestIds.of(ctx)),
                (c, change) -> Blocking.json(c, 200, new JsonObject()
                        .put("dataset", change.dataset().id())
                        .put("policyVersion", change.dataset().policyVersion())
                        .put("revokedGrants", new JsonArray(change.revokedGrants()))));
    }

    void addOptOuts(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        LogContext.put(ctx, LogFields.DATASET, id);
        java.util.List<String> ids;
        try {
            ids = JsonBodies.optionalStrings(JsonBodies.object(ctx), "ids", 200).orElseThrow(() ->
                    new BrokerException(BrokerErrorCode.BAD_REQUEST, "'ids' is required"));
            if (ids.isEmpty() || ids.size() > 100_000) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                        "'ids' must hold 1 to 100000 subject ids, held " + ids.size());
            }
        } catch (BrokerException e) {
            refused.fail(ctx, AuditAction.OPTOUT_REJECTED, Optional.of(id), e);
            return;
        }
        Identity owner = AuthenticationHandler.identity(ctx);
        Blocking.run(ctx, () -> datasets.addOptOuts(owner, id, ids, RequestIds.of(ctx)),
                (c, added) -> Blocking.json(c, 200, new JsonObject().put("dataset", id).put("received", ids.size())
                        .put("added", added)));
    }

    void get(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        LogContext.put(ctx, LogFields.DATASET, id);
        Identity caller = AuthenticationHandler.identity(ctx);
        Blocking.run(ctx, () -> entry(datasets.get(id), caller), (c, json) -> Blocking.json(c, 200, json));
    }

    private JsonObject entry(Dataset dataset, Identity caller) {
        return Views.catalogEntry(dataset, Policies.offer(datasets.policy(dataset), dataset.schema()),
                dataset.organisation().equals(caller.organisation()));
    }
}
