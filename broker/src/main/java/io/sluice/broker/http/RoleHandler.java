package io.sluice.broker.http;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.AuthFailureReason;
import io.sluice.broker.auth.Identity;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/** Lets a request through when the caller has one of the roles; otherwise audits and refuses with 403. */
public final class RoleHandler implements Handler<RoutingContext> {
    private final Set<String> roles;
    private final AccessRefusals refusals;

    private RoleHandler(Set<String> roles, AuditLog auditLog) {
        this.roles = Set.copyOf(roles);
        this.refusals = new AccessRefusals(auditLog);
    }

    public static RoleHandler anyOf(AuditLog auditLog, String... roles) {
        return new RoleHandler(Set.of(roles), auditLog);
    }

    @Override
    public void handle(RoutingContext ctx) {
        Identity identity = AuthenticationHandler.identity(ctx);
        if (roles.stream().anyMatch(identity::hasRole)) {
            ctx.next();
            return;
        }
        String reason = "requires role " + String.join(" or ", roles.stream().sorted().toList())
                + "; caller has " + List.copyOf(new java.util.TreeSet<>(identity.roles()));
        refusals.refuse(ctx, identity.actor(), AuthFailureReason.MISSING_ROLE, reason, new BrokerException(BrokerErrorCode.FORBIDDEN, reason));
    }
}
