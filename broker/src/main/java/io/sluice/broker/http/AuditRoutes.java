package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditEntry;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.AuditQuery;
import io.sluice.broker.auth.Identity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET /v1/audit}: compliance officers see every record; data owners only records about
 * their own datasets. Each record carries {@code prevHash} and {@code hash}, so a reader can check
 * the chain.
 */
final class AuditRoutes {
    private final AuditLog auditLog;

    AuditRoutes(AuditLog auditLog) {
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
    }

    void query(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        Optional<String> owner = caller.hasRole(Identity.COMPLIANCE_OFFICER)
                ? Optional.empty() : Optional.of(caller.organisation());
        long after = JsonBodies.longParam(ctx, "after", -1);
        AuditQuery query;
        try {
            query = new AuditQuery(param(ctx, "dataset"), param(ctx, "organisation"), param(ctx, "action"),
                    time(ctx, "from"), time(ctx, "to"), owner, after, JsonBodies.intParam(ctx, "limit", 100));
        } catch (IllegalArgumentException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, e.getMessage());
        }
        Blocking.run(ctx, () -> page(auditLog.query(query), query.limit()), (c, json) -> Blocking.json(c, 200, json));
    }

    private static JsonObject page(List<AuditEntry> entries, int limit) {
        JsonArray records = new JsonArray();
        for (AuditEntry entry : entries) {
            records.add(new JsonObject(entry.recordJson()).put("prevHash", entry.prevHash()).put("hash", entry.hash()));
        }
        JsonObject page = new JsonObject().put("records", records);
        if (entries.size() == limit) {
            page.put("next", entries.getLast().index());
        }
        return page;
    }

    private static Optional<String> param(RoutingContext ctx, String name) {
        String value = ctx.request().getParam(name);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }

    private static Optional<Instant> time(RoutingContext ctx, String name) {
        try {
            return param(ctx, name).map(Instant::parse);
        } catch (DateTimeParseException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'" + name + "' must be an RFC 3339 UTC time such as 2026-11-26T10:00:00Z");
        }
    }
}
