package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.Identity;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts on record a request an authenticated caller sent that was refused for its shape (malformed
 * JSON, a duplicate key, a missing or oversized field) before any service saw it, so that an
 * owner's refused registration or policy change is in the log like one refused for its content.
 * Unauthenticated requests are not recorded here: refusing them costs nothing, and recording them
 * would let anyone fill the log.
 */
final class RefusedRequests {
    private static final Logger LOG = LoggerFactory.getLogger(RefusedRequests.class);

    private final AuditLog auditLog;

    RefusedRequests(AuditLog auditLog) {
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
    }

    /** Records {@code refusal} as {@code action} (outcome {@code rejected}) off the event loop, then fails the request with it. */
    void fail(RoutingContext ctx, AuditAction action, Optional<String> dataset, BrokerException refusal) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String requestId = RequestIds.of(ctx);
        Blocking.run(ctx, () -> {
            try {
                auditLog.append(AuditEvent.of(action, caller.actor())
                        .with("dataset", dataset.orElse(null))
                        .with("requestId", requestId)
                        .with("outcome", "rejected")
                        .with("reasons", List.of(Map.of("code", refusal.errorCode().name(), "message", refusal.getMessage()))));
            } catch (RuntimeException e) {
                // The caller still learns what was wrong with the request; the log's own failure is the operator's.
                refusal.addSuppressed(e);
                LOG.error("request {}: the refusal of a malformed request could not be audited", requestId, e);
            }
            throw refusal;
        }, (c, ignored) -> { });
    }
}
