package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.AuthFailureReason;
import io.sluice.broker.ca.NodeCertificateValidator;
import io.sluice.broker.ca.NodeIdentity;
import io.sluice.broker.ca.NodeValidation;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Which training node a request comes from: the client certificate the TLS handshake accepted
 * without judging it (so that a refusal can be audited with its reason), validated here against
 * the data space CA. Where node certificates are {@linkplain #required required} (the stream
 * endpoints, when the broker has {@code --client-ca}), a missing, expired or foreign certificate
 * is audited as {@code auth.failed} and refused with 403; elsewhere a valid one is recorded and an
 * absent one is fine.
 */
public final class NodeHandler implements Handler<RoutingContext> {
    private static final String KEY = "sluice.node";

    private final Optional<NodeCertificateValidator> validator;
    private final boolean required;
    private final AccessRefusals refusals;

    private NodeHandler(Optional<NodeCertificateValidator> validator, boolean required, AuditLog auditLog) {
        this.validator = requireNonNull(validator, "validator is null");
        this.required = required;
        this.refusals = new AccessRefusals(auditLog);
    }

    /** Requires a valid node certificate when the broker has a client CA; passes everything otherwise. */
    public static NodeHandler required(Optional<NodeCertificateValidator> validator, AuditLog auditLog) {
        return new NodeHandler(validator, true, auditLog);
    }

    /** Records a valid node certificate when one is presented; never refuses. */
    public static NodeHandler optional(Optional<NodeCertificateValidator> validator, AuditLog auditLog) {
        return new NodeHandler(validator, false, auditLog);
    }

    /** The node the request came from, when a valid certificate was presented. */
    public static Optional<NodeIdentity> node(RoutingContext ctx) {
        return Optional.ofNullable(ctx.get(KEY));
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (validator.isEmpty()) {
            ctx.next();
            return;
        }
        switch (validator.get().validate(presented(ctx))) {
            case NodeValidation.Accepted accepted -> {
                ctx.put(KEY, accepted.node());
                ctx.next();
            }
            case NodeValidation.Refused refused when required -> {
                String reason = "node certificate refused: " + refused.message();
                refusals.refuse(ctx, AuthenticationHandler.identity(ctx).actor(), AuthFailureReason.NODE_CERTIFICATE,
                        reason, new BrokerException(BrokerErrorCode.FORBIDDEN, reason));
            }
            case NodeValidation.Refused refused -> ctx.next();
        }
    }

    private static List<? extends Certificate> presented(RoutingContext ctx) {
        if (!ctx.request().isSSL()) {
            return List.of();
        }
        try {
            return ctx.request().connection().peerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }
}
