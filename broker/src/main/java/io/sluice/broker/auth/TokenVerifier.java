package io.sluice.broker.auth;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies bearer tokens locally against an issuer's JWKS: signature (signing keys only),
 * issuer, audience and expiry, through {@code vertx-auth-jwt}. No hand-written JWT parsing.
 */
public final class TokenVerifier {
    private final JWTAuth auth;

    private TokenVerifier(JWTAuth auth) {
        this.auth = auth;
    }

    /**
     * @param jwks the issuer's key set ({@code {"keys": [...]}}); keys not meant for signatures
     *     are left out
     */
    public static TokenVerifier create(Vertx vertx, JsonObject jwks, String issuer, String audience) {
        requireNonNull(vertx, "vertx is null");
        requireNonNull(jwks, "jwks is null");
        requireNonNull(issuer, "issuer is null");
        requireNonNull(audience, "audience is null");
        JWTAuthOptions options = new JWTAuthOptions()
                .setJWTOptions(new JWTOptions().setIssuer(issuer).addAudience(audience).setLeeway(5));
        for (Object key : jwks.getJsonArray("keys", new JsonArray())) {
            JsonObject jwk = (JsonObject) key;
            if ("sig".equals(jwk.getString("use", "sig"))) {
                options.addJwk(jwk);
            }
        }
        return new TokenVerifier(JWTAuth.create(vertx, options));
    }

    /**
     * Verifies a token and reads the identity from its claims.
     *
     * @return a failed future with {@link AuthenticationException} naming the reason
     */
    public Future<Identity> verify(String token) {
        return auth.authenticate(new TokenCredentials(token))
                .recover(e -> Future.failedFuture(new AuthenticationException("invalid token: " + e.getMessage())))
                .compose(user -> {
                    JsonObject claims = user.principal();
                    String subject = claims.getString("sub");
                    Object organisation = claims.getValue("organisation");
                    if (subject == null || subject.isBlank()) {
                        return Future.failedFuture(new AuthenticationException("token has no subject"));
                    }
                    if (!(organisation instanceof String org) || org.isBlank()) {
                        return Future.failedFuture(new AuthenticationException("token has no organisation claim"));
                    }
                    return Future.succeededFuture(new Identity(subject, org, roles(claims)));
                });
    }

    private static Set<String> roles(JsonObject claims) {
        JsonObject realmAccess = claims.getJsonObject("realm_access", new JsonObject());
        Set<String> roles = new HashSet<>();
        for (Object role : realmAccess.getJsonArray("roles", new JsonArray(List.of()))) {
            if (role instanceof String name) {
                roles.add(name);
            }
        }
        return roles;
    }
}
