package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.Actor;
import io.sluice.broker.auth.AuthFailureReason;
import io.sluice.broker.auth.AuthenticationException;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.auth.TokenVerifier;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Verifies the bearer token and puts the caller's {@link Identity} on the request. A missing or
 * bad token is audited as {@code auth.failed} with the reason, then refused with 401.
 */
public final class AuthenticationHandler implements Handler<RoutingContext> {
    private static final String KEY = "sluice.identity";

    private final TokenVerifier verifier;
    private final AccessRefusals refusals;

    private AuthenticationHandler(TokenVerifier verifier, AuditLog auditLog) {
        this.verifier = requireNonNull(verifier, "verifier is null");
        this.refusals = new AccessRefusals(auditLog);
    }

    public static AuthenticationHandler create(TokenVerifier verifier, AuditLog auditLog) {
        return new AuthenticationHandler(verifier, auditLog);
    }

    /** The verified caller; only on routes behind this handler. */
    public static Identity identity(RoutingContext ctx) {
        Identity identity = ctx.get(KEY);
        if (identity == null) {
            throw new IllegalStateException("route " + ctx.request().path() + " is not behind authentication");
        }
        return identity;
    }

    /** The verified caller, if this request has been authenticated (for its log lines). */
    public static Optional<Identity> authenticated(RoutingContext ctx) {
        return Optional.ofNullable(ctx.get(KEY));
    }

    @Override
    public void handle(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            refuse(ctx, AuthFailureReason.MISSING_TOKEN, "missing bearer token");
            return;
        }
        verifier.verify(header.substring(7).trim()).onComplete(result -> {
            if (result.succeeded()) {
                ctx.put(KEY, result.result());
                ctx.next();
            } else {
                refuse(ctx, AuthFailureReason.INVALID_TOKEN, result.cause().getMessage());
            }
        });
    }

    private void refuse(RoutingContext ctx, AuthFailureReason code, String reason) {
        refusals.refuse(ctx, Actor.anonymous(), code, reason, new AuthenticationException(reason));
    }
}
