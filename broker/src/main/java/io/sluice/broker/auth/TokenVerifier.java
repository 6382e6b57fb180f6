package io.sluice.broker.auth;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.service.Organisations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies bearer tokens locally against an issuer's JWKS, as a careful resource server does:
 * signature (signing keys only), issuer, audience, expiry and not-before with a small clock skew,
 * through {@code vertx-auth-jwt}. No hand-written JWT parsing.
 *
 * <p>Key rotation: a token signed with a key id the verifier does not know makes it fetch the
 * issuer's JWKS again, at most once per {@code minRefreshInterval}, so that a new realm key works
 * at once while a flood of tokens with made-up key ids cannot hammer the issuer.
 */
public final class TokenVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(TokenVerifier.class);

    private final Vertx vertx;
    private final Supplier<Future<JsonObject>> keySource;
    private final String issuer;
    private final String audience;
    private final Duration clockSkew;
    private final Duration minRefreshInterval;
    private final Clock clock;
    private volatile JWTAuth auth;
    private volatile int signingKeys;
    private volatile Instant lastRefresh = Instant.EPOCH;
    private Future<JWTAuth> refreshing;

    private TokenVerifier(Vertx vertx, Supplier<Future<JsonObject>> keySource, JsonObject jwks, String issuer,
            String audience, Duration clockSkew, Duration minRefreshInterval, Clock clock) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.keySource = requireNonNull(keySource, "keySource is null");
        this.issuer = requireNonNull(issuer, "issuer is null");
        this.audience = requireNonNull(audience, "audience is null");
        this.clockSkew = requireNonNull(clockSkew, "clockSkew is null");
        this.minRefreshInterval = requireNonNull(minRefreshInterval, "minRefreshInterval is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.auth = build(jwks);
    }

    /** A verifier over a fixed key set (the development issuer's). */
    public static TokenVerifier create(Vertx vertx, JsonObject jwks, String issuer, String audience) {
        return new TokenVerifier(vertx, () -> Future.succeededFuture(jwks), jwks, issuer, audience,
                Duration.ofSeconds(5), Duration.ofDays(365), Clock.systemUTC());
    }

    /**
     * A verifier over a remote JWKS that is fetched again when a token names an unknown key.
     *
     * @param initialJwks the key set fetched at start-up
     * @param keySource fetches the current key set
     */
    public static TokenVerifier refreshing(Vertx vertx, JsonObject initialJwks, Supplier<Future<JsonObject>> keySource,
            String issuer, String audience, Duration clockSkew, Duration minRefreshInterval, Clock clock) {
        return new TokenVerifier(vertx, keySource, initialJwks, issuer, audience, clockSkew, minRefreshInterval, clock);
    }

    /** How many signing keys of the issuer this verifier holds (at least one once it is built). */
    public int signingKeys() {
        return signingKeys;
    }

    /** The issuer whose tokens this verifier accepts. */
    public String issuer() {
        return issuer;
    }

    /**
     * Verifies a token and reads the identity from its claims.
     *
     * @return a failed future with {@link AuthenticationException} naming the reason
     */
    public Future<Identity> verify(String token) {
        Optional<String> malformed = TokenShape.problem(token);
        if (malformed.isPresent()) {
            return Future.failedFuture(new AuthenticationException("invalid token: " + malformed.get()));
        }
        return authenticate(auth, token)
                .recover(e -> unknownKey(e) ? refreshKeys().compose(fresh -> authenticate(fresh, token))
                        : Future.failedFuture(e))
                .recover(e -> Future.failedFuture(new AuthenticationException("invalid token: " + reason(e))))
                .compose(user -> identity(user.principal(), user.get("exp")));
    }

    /**
     * {@code vertx-auth-jwt} throws, rather than fails its future, on some claims it cannot read;
     * a token is the caller's input, so whatever it does becomes a refusal, never a 500.
     */
    private static Future<User> authenticate(JWTAuth auth, String token) {
        try {
            return auth.authenticate(new TokenCredentials(token));
        } catch (RuntimeException e) {
            LOG.debug("token verification threw", e);
            return Future.failedFuture(new AuthenticationException("the token cannot be read"));
        }
    }

    /** @param expiry the token's {@code exp}, which vertx-auth-jwt checks but keeps beside the claims */
    private static Future<Identity> identity(JsonObject claims, Object expiry) {
        if (!(expiry instanceof Number)) {
            return Future.failedFuture(new AuthenticationException("token has no expiry"));
        }
        Object subjectClaim = claims.getValue("sub");
        String subject = subjectClaim instanceof String text ? text : null;
        Object organisation = claims.getValue("organisation");
        if (subject == null || subject.isBlank()) {
            return Future.failedFuture(new AuthenticationException("token has no subject"));
        }
        if (subject.length() > 200 || subject.chars().anyMatch(Character::isISOControl)) {
            return Future.failedFuture(new AuthenticationException("token subject is longer than 200 characters or has control characters"));
        }
        if (!(organisation instanceof String org) || org.isBlank()) {
            return Future.failedFuture(new AuthenticationException("token has no organisation claim"));
        }
        if (!Organisations.isValid(org)) {
            return Future.failedFuture(new AuthenticationException(
                    "token organisation must be [a-z0-9][a-z0-9._-]*, at most 100 characters"));
        }
        return Future.succeededFuture(new Identity(subject, org, roles(claims)));
    }

    /** Fetches the key set again unless that happened less than {@code minRefreshInterval} ago. */
    private synchronized Future<JWTAuth> refreshKeys() {
        Instant now = clock.instant();
        if (refreshing != null) {
            return refreshing;
        }
        if (now.isBefore(lastRefresh.plus(minRefreshInterval))) {
            return Future.failedFuture(new NoSuchKeyIdException("unknown key id (the issuer's keys were fetched "
                    + Duration.between(lastRefresh, now).toSeconds() + " s ago)"));
        }
        lastRefresh = now;
        refreshing = keySource.get().map(jwks -> {
            // A key set without a signing key must never replace a working one: Vert.x would then
            // accept unsigned tokens. build() throws for it, and the old verifier stays.
            JWTAuth fresh = build(jwks);
            auth = fresh;
            LOG.info("fetched the token issuer's keys again for an unknown key id");
            return fresh;
        }).recover(e -> {
            LOG.warn("could not refresh the token issuer's keys; keeping the current ones: {}", e.getMessage());
            return Future.failedFuture(new NoSuchKeyIdException("unknown key id (the issuer's keys could not be fetched)"));
        }).andThen(done -> {
            synchronized (this) {
                refreshing = null;
            }
        });
        return refreshing;
    }

    private JWTAuth build(JsonObject jwks) {
        JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(new JWTOptions()
                .setIssuer(issuer).addAudience(audience).setLeeway((int) clockSkew.toSeconds()));
        int found = 0;
        Object keys = jwks.getValue("keys");
        if (keys instanceof JsonArray array) {
            for (Object key : array) {
                // Keycloak publishes an RSA-OAEP encryption key beside its signing keys: never verify with it.
                if (key instanceof JsonObject jwk && "sig".equals(jwk.getString("use", "sig"))
                        && !"RSA-OAEP".equals(jwk.getString("alg"))) {
                    options.addJwk(jwk);
                    found++;
                }
            }
        }
        if (found == 0) {
            throw new IllegalStateException("the token issuer's key set has no signing key");
        }
        this.signingKeys = found;
        return JWTAuth.create(vertx, options);
    }

    private static boolean unknownKey(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NoSuchKeyIdException) {
                return true;
            }
        }
        return false;
    }

    private static String reason(Throwable e) {
        if (unknownKey(e)) {
            return "signed by an unknown key";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** Realm roles from {@code realm_access.roles}; claims of any other shape give no roles. */
    private static Set<String> roles(JsonObject claims) {
        Set<String> roles = new HashSet<>();
        if (!(claims.getValue("realm_access") instanceof JsonObject realmAccess)
                || !(realmAccess.getValue("roles") instanceof JsonArray granted)) {
            return roles;
        }
        for (Object role : granted) {
            if (role instanceof String name) {
                roles.add(name);
            }
        }
        return roles;
    }
}
