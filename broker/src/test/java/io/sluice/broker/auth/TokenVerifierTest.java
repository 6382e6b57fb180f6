package io.sluice.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The verifier against tokens we sign ourselves: every way a token can be wrong, and key rotation.
 * (The same attacks against a real Keycloak are in {@code KeycloakIT}.)
 */
class TokenVerifierTest {
    private static final String ISSUER = "http://127.0.0.1:1/realms/test";

    private Vertx vertx;
    private DevTokenIssuer realm;
    private DevTokenIssuer rotated;
    private final AtomicInteger fetches = new AtomicInteger();

    @BeforeEach
    void keys() {
        vertx = Vertx.vertx();
        realm = DevTokenIssuer.create(vertx, ISSUER);
        rotated = DevTokenIssuer.create(vertx, ISSUER);
    }

    @AfterEach
    void close() {
        vertx.close();
    }

    @Test
    void acceptsAValidTokenAndReadsTheIdentity() throws Exception {
        Identity identity = verify(verifier(), realm.sign(claims("ai-lab", "data-consumer"), valid())).get();
        assertThat(identity).isEqualTo(new Identity("trainer-7", "ai-lab", java.util.Set.of("data-consumer")));
    }

    @Test
    void refusesExpiredNotYetValidWrongIssuerAndWrongAudience() {
        TokenVerifier verifier = verifier();
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("exp", now() - 60), valid().setNoTimestamp(true)
                .setExpiresInSeconds(0)), "expired");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("nbf", now() + 600), valid()), "");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer"), valid().setIssuer("http://evil/realms/test")),
                "issuer");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer"), valid().setAudience(List.of("account"))),
                "audience");
    }

    @Test
    void refusesForgeriesNoneAlgorithmHmacWithThePublicKeyAndAlteredPayloads() throws Exception {
        TokenVerifier verifier = verifier();
        String good = realm.sign(claims("ai-lab", "data-consumer"), valid());
        String[] parts = good.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);

        String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        assertRefused(verifier, none, "");

        String hsHeader = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + kid(realm) + "\"}");
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(realm.jwks().encode().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signingInput = hsHeader + "." + parts[1];
        String hs = signingInput + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        assertRefused(verifier, hs, "");

        String altered = parts[0] + "." + b64(payload.replace("data-consumer", "data-owner")) + "." + parts[2];
        assertRefused(verifier, altered, "");
        assertThat(verify(verifier, good).get().roles()).containsExactly("data-consumer");
    }

    @Test
    void refusesATokenWithoutOrganisation() {
        JsonObject claims = claims("ai-lab", "data-consumer");
        claims.remove("organisation");
        assertRefused(verifier(), realm.sign(claims, valid()), "token has no organisation claim");
    }

    @Test
    void aRotatedKeyIsFetchedOnceAndThenAccepted() throws Exception {
        TokenVerifier verifier = TokenVerifier.refreshing(vertx, realm.jwks(), () -> {
            fetches.incrementAndGet();
            JsonArray keys = realm.jwks().getJsonArray("keys").copy().addAll(rotated.jwks().getJsonArray("keys"));
            return Future.succeededFuture(new JsonObject().put("keys", keys));
        }, ISSUER, "sluice", Duration.ofSeconds(5), Duration.ofSeconds(30), Clock.systemUTC());
        assertThat(verify(verifier, rotated.sign(claims("ai-lab", "data-consumer"), valid())).get().organisation())
                .isEqualTo("ai-lab");
        assertThat(fetches).hasValue(1);
    }

    @Test
    void aFloodOfUnknownKeyIdsFetchesTheKeysAtMostOncePerInterval() {
        TokenVerifier verifier = TokenVerifier.refreshing(vertx, realm.jwks(), () -> {
            fetches.incrementAndGet();
            return Future.succeededFuture(realm.jwks());
        }, ISSUER, "sluice", Duration.ofSeconds(5), Duration.ofSeconds(30), Clock.systemUTC());
        for (int i = 0; i < 50; i++) {
            DevTokenIssuer stranger = DevTokenIssuer.create(vertx, ISSUER);
            assertRefused(verifier, stranger.sign(claims("ai-lab", "data-consumer"), valid()), "signed by an unknown key");
        }
        assertThat(fetches).hasValue(1);
    }

    @Test
    void aKeySetWithoutSigningKeysNeverReplacesTheWorkingOne() throws Exception {
        TokenVerifier verifier = TokenVerifier.refreshing(vertx, realm.jwks(), () -> {
            fetches.incrementAndGet();
            return Future.succeededFuture(new JsonObject().put("keys", new JsonArray()));
        }, ISSUER, "sluice", Duration.ofSeconds(5), Duration.ofSeconds(30), Clock.systemUTC());
        DevTokenIssuer stranger = DevTokenIssuer.create(vertx, ISSUER);
        assertRefused(verifier, stranger.sign(claims("ai-lab", "data-consumer"), valid()), "unknown key");
        assertThat(fetches).hasValue(1);
        String unsigned = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + realm.sign(claims("ai-lab", "compliance-officer"), valid()).split("\\.")[1] + ".";
        assertRefused(verifier, unsigned, "");
        assertThat(verify(verifier, realm.sign(claims("ai-lab", "data-consumer"), valid())).get().organisation())
                .isEqualTo("ai-lab");
    }

    @Test
    void refusesATokenWithoutExpiry() {
        assertRefused(verifier(), realm.sign(claims("ai-lab", "data-consumer"),
                valid().setExpiresInSeconds(0)), "token has no expiry");
    }

    @Test
    void refusesRegisteredClaimsOfTheWrongTypeNamingTheClaim() {
        TokenVerifier verifier = verifier();
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("exp", String.valueOf(now() + 300)),
                valid().setExpiresInSeconds(0)), "token claim 'exp' must be a number (seconds since the epoch), was a string");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("nbf", String.valueOf(now() - 10)), valid()),
                "token claim 'nbf' must be a number (seconds since the epoch), was a string");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("iat", "yesterday"),
                valid().setNoTimestamp(true)), "token claim 'iat' must be a number (seconds since the epoch), was a string");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("aud", 42), valid().setAudience(List.of())),
                "token claim 'aud' must be a string or an array of strings, was a number");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("aud", new JsonArray().add("sluice").add(7)),
                valid().setAudience(List.of())), "token claim 'aud' must be a string or an array of strings, was an array");
        assertRefused(verifier, realm.sign(claims("ai-lab", "data-consumer").put("iss", 1), valid().setIssuer(null)),
                "token claim 'iss' must be a string, was a number");
    }

    @Test
    void refusesATokenWhoseHeaderMarksAnExtensionCritical() {
        // RFC 7515 section 4.1.11: a recipient that does not understand a critical extension must reject the token.
        String token = realm.sign(claims("ai-lab", "data-consumer"), valid().setHeader(new JsonObject()
                .put("crit", new JsonArray().add("exp-policy")).put("exp-policy", "strict")));
        assertRefused(verifier(), token, "token header marks extensions critical that the broker does not understand: [exp-policy]");
    }

    @Test
    void aTokenThatIsNotAJwtAtAllIsStillRefusedByTheVerifier() {
        assertRefused(verifier(), "not-a-token", "invalid token");
        assertRefused(verifier(), b64("[1]") + "." + b64("\"x\"") + ".sig", "invalid token");
    }

    private TokenVerifier verifier() {
        return TokenVerifier.refreshing(vertx, realm.jwks(), () -> Future.succeededFuture(realm.jwks()), ISSUER,
                "sluice", Duration.ofSeconds(5), Duration.ofSeconds(30), Clock.systemUTC());
    }

    private static java.util.concurrent.CompletableFuture<Identity> verify(TokenVerifier verifier, String token) {
        return verifier.verify(token).toCompletionStage().toCompletableFuture();
    }

    private static void assertRefused(TokenVerifier verifier, String token, String reasonContains) {
        try {
            Identity identity = verify(verifier, token).get(10, TimeUnit.SECONDS);
            throw new AssertionError("token was accepted as " + identity);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(AuthenticationException.class);
            assertThat(e.getCause().getMessage()).containsIgnoringCase(reasonContains);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static JsonObject claims(String organisation, String role) {
        return new JsonObject().put("organisation", organisation)
                .put("realm_access", new JsonObject().put("roles", new JsonArray().add(role)));
    }

    private static JWTOptions valid() {
        return new JWTOptions().setIssuer(ISSUER).setSubject("trainer-7").setAudience(List.of("sluice"))
                .setExpiresInSeconds(300);
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static String kid(DevTokenIssuer issuer) {
        return issuer.jwks().getJsonArray("keys").getJsonObject(0).getString("kid");
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
