package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.Actor;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.AuthFailureReason;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;

/** Refuses a request for want of identity or role: audited as {@code auth.failed} first, then failed. */
final class AccessRefusals {
    private final AuditLog auditLog;

    AccessRefusals(AuditLog auditLog) {
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
    }

    /**
     * @param code the reason's code, from a closed set (the record's {@code reasons} and the metric's label)
     * @param reason the particulars, in words
     */
    void refuse(RoutingContext ctx, Actor actor, AuthFailureReason code, String reason, RuntimeException failure) {
        AuditEvent event = AuditEvent.of(AuditAction.AUTH_FAILED, actor)
                .with("requestId", RequestIds.of(ctx))
                .with("remote", String.valueOf(ctx.request().remoteAddress()))
                .with("outcome", "refused")
                .with("message", ctx.request().method() + " " + ctx.request().path() + ": " + reason)
                .with("reasons", List.of(Map.of("code", code.name(), "message", reason)));
        ctx.vertx().executeBlocking(() -> auditLog.append(event), false)
                .onComplete(appended -> ctx.fail(appended.succeeded() ? failure : appended.cause()));
    }
}
