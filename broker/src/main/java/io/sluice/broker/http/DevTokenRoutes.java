package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.auth.DevTokenIssuer;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.service.Organisations;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** {@code POST /v1/dev/token} and the dev issuer's JWKS; mounted only in development mode. */
final class DevTokenRoutes {
    private final DevTokenIssuer issuer;

    DevTokenRoutes(DevTokenIssuer issuer) {
        this.issuer = requireNonNull(issuer, "issuer is null");
    }

    void mint(RoutingContext ctx) {
        JsonObject body = JsonBodies.object(ctx);
        String subject = JsonBodies.requiredString(body, "subject", 200);
        String organisation = JsonBodies.requiredString(body, "organisation", 100);
        List<String> roles = JsonBodies.optionalStrings(body, "roles", 64).orElse(List.of());
        if (!Organisations.isValid(organisation)) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'organisation' must match [a-z0-9][a-z0-9._-]*, was '" + organisation + "'");
        }
        List<String> unknown = roles.stream().filter(r -> !Identity.KNOWN_ROLES.contains(r)).toList();
        if (!unknown.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "unknown role(s) " + unknown + "; known: " + Identity.KNOWN_ROLES.stream().sorted().toList());
        }
        String token = issuer.mint(subject, organisation, roles);
        Blocking.json(ctx, 200, new JsonObject()
                .put("token", token)
                .put("tokenType", "Bearer")
                .put("expiresIn", DevTokenIssuer.TOKEN_LIFETIME.toSeconds()));
    }

    void jwks(RoutingContext ctx) {
        Blocking.json(ctx, 200, issuer.jwks());
    }
}
