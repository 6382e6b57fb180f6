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
        DatasetService.PolicyUpdate policy;
        try {
            policy = policyUpdate(JsonBodies.object(ctx));
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
        java.util.List<Object> ids;
        try {
            ids = subjectIds(JsonBodies.object(ctx));
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

    /**
     * The body of a policy change: the ODRL policy itself, or {@code {"policy": {...}, "subjectColumn": "..."}}
     * to set or change the subject column with the new version.
     */
    private static DatasetService.PolicyUpdate policyUpdate(JsonObject body) {
        if (!body.containsKey("policy")) {
            if (body.containsKey("subjectColumn")) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'subjectColumn' goes beside the policy, not in it:"
                        + " {\"policy\": {...}, \"subjectColumn\": \"...\"}");
            }
            return new DatasetService.PolicyUpdate(body.encode(), Optional.empty());
        }
        java.util.Set<String> extra = new java.util.TreeSet<>(body.fieldNames());
        extra.removeAll(java.util.Set.of("policy", "subjectColumn"));
        if (!extra.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "a policy change {\"policy\": ..., \"subjectColumn\": ...}"
                    + " has no field(s) " + extra);
        }
        return new DatasetService.PolicyUpdate(JsonBodies.requiredObject(body, "policy").encode(),
                JsonBodies.optionalString(body, "subjectColumn", 200));
    }

    /** {@code ids}: strings or integers, as the subject column's type wants them (checked by the service). */
    private static java.util.List<Object> subjectIds(JsonObject body) {
        if (!(body.getValue("ids") instanceof JsonArray array)) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'ids' is required: an array of subject ids");
        }
        java.util.List<Object> ids = new java.util.ArrayList<>(array.size());
        for (Object id : array) {
            switch (id) {
                case String text when !text.isBlank() && text.length() <= 200 -> {
                    JsonBodies.checkNoControlCharacters("ids", text);
                    ids.add(text);
                }
                case Number number -> ids.add(number);
                case null, default -> throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                        "'ids' must be an array of subject ids: non-empty strings of at most 200 characters, or integers;"
                                + " held " + (id == null ? "null" : id instanceof String ? "\"" + id + "\"" : id.toString()));
            }
        }
        return ids;
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
