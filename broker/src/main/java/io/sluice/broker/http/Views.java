package io.sluice.broker.http;

import io.sluice.broker.store.Dataset;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.GrantStore;
import io.sluice.broker.store.PolicyVersion;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.store.StreamRecord;
import io.sluice.connectors.SourceConfig;
import io.sluice.policy.PolicyOffer;
import io.sluice.policy.Transform;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/** The JSON shapes of the HTTP contract, in one place. */
final class Views {
    private Views() {}

    /** A registered dataset; for a CSV source also {@code check}: what registration converted and skipped. */
    static JsonObject registered(DatasetService.Registered registered) {
        JsonObject json = dataset(registered.dataset());
        registered.check().ifPresent(check -> json.put("check", new JsonObject()
                .put("bytes", check.bytesChecked())
                .put("wholeFile", check.whole())
                .put("rows", check.rows())
                .put("skippedRows", check.skippedRows())
                .put("skippedLines", new JsonArray(check.skippedLines()))));
        return json;
    }

    /** A dataset as its owner sees it, with where its data comes from (credentials redacted). */
    static JsonObject dataset(Dataset dataset) {
        return dataset(dataset, true);
    }

    /** A dataset; {@code withSource} only for its own organisation: other parties see metadata, never locations. */
    static JsonObject dataset(Dataset dataset, boolean withSource) {
        JsonObject json = new JsonObject()
                .put("id", dataset.id())
                .put("name", dataset.name())
                .put("description", dataset.description())
                .put("organisation", dataset.organisation())
                .put("version", dataset.version())
                .put("policyVersion", dataset.policyVersion())
                .put("registeredAt", dataset.registeredAt().toString())
                .put("status", dataset.isWithdrawn() ? "withdrawn" : "active")
                .put("schema", schema(dataset.schema()));
        dataset.withdrawnAt().ifPresent(at -> json.put("withdrawnAt", at.toString()));
        dataset.rows().ifPresent(rows -> json.put("rows", rows));
        dataset.subjectColumn().ifPresent(column -> json.put("subjectColumn", column));
        if (!withSource) {
            return json;
        }
        JsonObject source = new JsonObject().put("type", dataset.sourceType());
        dataset.sourcePath().ifPresent(path -> source.put("path", path));
        // Credentials never leave: the options as a connector would print them.
        dataset.sourceOptions().forEach((key, value) -> source.put(key, SourceConfig.redact(key, value)));
        json.put("source", source);
        return json;
    }

    /**
     * A dataset with its offer; the offer's {@code maxStreams} (streams one grant may open) and
     * {@code expiresAt} (after which no grant holds) only when every permission offered limits them.
     */
    static JsonObject catalogEntry(Dataset dataset, PolicyOffer offer, boolean withSource) {
        JsonObject json = new JsonObject()
                .put("purposes", new JsonArray(offer.purposes()))
                .put("organisations", new JsonArray(offer.organisations()))
                .put("columns", new JsonArray(offer.columns()))
                .put("transforms", transforms(offer.transforms()));
        offer.maxStreams().ifPresent(max -> json.put("maxStreams", max));
        offer.expiresAt().ifPresent(at -> json.put("expiresAt", at.toString()));
        return dataset(dataset, withSource).put("offer", json);
    }

    static JsonArray schema(Schema schema) {
        JsonArray fields = new JsonArray();
        for (Field field : schema.getFields()) {
            fields.add(new JsonObject()
                    .put("name", field.getName())
                    .put("type", field.getType().toString())
                    .put("nullable", field.isNullable()));
        }
        return fields;
    }

    static JsonObject grant(Grant grant, Schema outputSchema) {
        JsonObject json = new JsonObject()
                .put("id", grant.id())
                .put("dataset", grant.datasetId())
                .put("purpose", grant.purpose())
                .put("project", grant.project())
                .put("columns", new JsonArray(grant.columns()))
                .put("schema", schema(outputSchema))
                .put("transforms", transforms(grant.transforms()))
                .put("policyVersion", grant.policyVersion())
                .put("issuedAt", grant.issuedAt().toString())
                .put("expiresAt", grant.expiresAt().toString());
        grant.maxStreams().ifPresent(max -> json.put("maxStreams", max));
        return json;
    }

    /** A policy version: the ODRL document as the owner wrote it, its number, subject column, when and by whom. */
    static JsonObject policyVersion(PolicyVersion version) {
        JsonObject json = new JsonObject()
                .put("dataset", version.datasetId())
                .put("version", version.version())
                .put("policy", new JsonObject(version.policyJson()))
                .put("changedAt", version.createdAt().toString());
        version.subjectColumn().ifPresent(column -> json.put("subjectColumn", column));
        version.changedBySubject().ifPresent(subject -> json.put("changedBy", new JsonObject().put("subject", subject)
                .put("organisation", version.changedByOrganisation().orElse(""))));
        return json;
    }

    /** A grant with who holds it, where it stands at {@code now}, and what its streams did. */
    static JsonObject grantUsage(GrantStore.GrantUsage usage, java.time.Instant now) {
        Grant grant = usage.grant();
        JsonObject json = new JsonObject()
                .put("id", grant.id())
                .put("dataset", grant.datasetId())
                .put("holder", new JsonObject().put("subject", grant.subject()).put("organisation", grant.organisation()))
                .put("purpose", grant.purpose())
                .put("project", grant.project())
                .put("columns", new JsonArray(grant.columns()))
                .put("policyVersion", grant.policyVersion())
                .put("status", grant.status(now).wireName())
                .put("issuedAt", grant.issuedAt().toString())
                .put("expiresAt", grant.expiresAt().toString())
                .put("streams", usage.streams())
                .put("rows", usage.rows())
                .put("bytes", usage.bytes());
        grant.maxStreams().ifPresent(max -> json.put("maxStreams", max));
        grant.revokedAt().ifPresent(at -> json.put("revokedAt", at.toString()));
        grant.revokedReason().ifPresent(why -> json.put("revokedReason", "revoked " + why));
        usage.lastUsedAt().ifPresent(at -> json.put("lastUsedAt", at.toString()));
        return json;
    }

    static JsonObject stream(StreamRecord stream) {
        JsonObject json = new JsonObject()
                .put("id", stream.id())
                .put("grant", stream.grantId())
                .put("status", stream.status().name().toLowerCase(java.util.Locale.ROOT))
                .put("shard", stream.shard())
                .put("shards", stream.shards())
                .put("epoch", stream.epoch())
                .put("rows", stream.rows())
                .put("rowsIn", stream.rowsIn())
                .put("batches", stream.batches())
                .put("bytes", stream.bytes())
                .put("openedAt", stream.openedAt().toString());
        stream.sha256().ifPresent(sha -> json.put("sha256", sha));
        stream.closedAt().ifPresent(closed -> json.put("closedAt", closed.toString()));
        stream.message().ifPresent(message -> json.put("message", message));
        stream.failure().ifPresent(failure -> json.put("failure", failure.wireName()));
        return json;
    }

    private static JsonArray transforms(List<Transform> transforms) {
        JsonArray array = new JsonArray();
        for (Transform t : transforms) {
            JsonObject json = new JsonObject().put("type", t.type()).put("columns", new JsonArray(t.columns()));
            if (!t.parameters().isEmpty()) {
                json.put("parameters", new JsonObject(new java.util.TreeMap<String, Object>(t.parameters())));
            }
            array.add(json);
        }
        return array;
    }
}
