package io.sluice.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.Poll;
import io.sluice.broker.TestHttp;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker as a resource server of a REAL Keycloak ({@code SLUICE_TEST_KEYCLOAK_URL}, started by
 * {@code ./sluice test} and CI from {@code deploy/keycloak}): its tokens accepted, and a corpus of
 * bad tokens each refused with 401 (403 for a valid token with the wrong role) and audited as
 * {@code auth.failed} with the reason.
 */
class KeycloakIT {
    static final String KEYCLOAK_URL_VARIABLE = "SLUICE_TEST_KEYCLOAK_URL";

    @TempDir
    static Path dir;

    /** The broker's allowed clock skew for Keycloak's tokens: none, so that an expired token is refused at its exp. */
    private static final Duration CLOCK_SKEW = Duration.ZERO;

    private static URI keycloak;
    private static Broker broker;

    @BeforeAll
    static void start() {
        String url = System.getenv(KEYCLOAK_URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(),
                KEYCLOAK_URL_VARIABLE + " is not set: skipping the Keycloak tests (./sluice test starts Keycloak when its"
                        + " distribution is in the local Maven repository; CI always does)");
        keycloak = URI.create(url);
        broker = Broker.start(BrokerConfig.embedded(dir).withOidc(new BrokerConfig.Oidc(
                URI.create(url + "/realms/dataspace"), "sluice", CLOCK_SKEW)));
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void acceptsTheRealmsTokensAndTurnsTheDevelopmentIssuerOff() throws Exception {
        assertThat(TestHttp.get(broker, "/v1/catalog", token("dataspace", "ai-lab")).statusCode()).isEqualTo(200);
        assertThat(TestHttp.post(broker, "/v1/dev/token", null, "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void refusesEveryBadTokenWith401AndAuditsTheReason() throws Exception {
        String good = token("dataspace", "ai-lab");
        String[] parts = good.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String realmKeys = TestHttp.getText(keycloak, "/realms/dataspace/protocol/openid-connect/certs", null);

        String expired = token("dataspace", "short-lived");
        awaitExpiry(expired);

        Map<String, String> corpus = new LinkedHashMap<>();
        corpus.put("expired", expired);
        corpus.put("another realm", token("other", "intruder"));
        corpus.put("no sluice audience", token("dataspace", "no-audience"));
        corpus.put("no organisation", token("dataspace", "no-organisation"));
        corpus.put("alg none", b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".");
        corpus.put("HS256 keyed with the realm's public key", hs256(parts[1], realmKeys));
        corpus.put("payload altered after signing",
                parts[0] + "." + b64(payload.replace("\"data-consumer\"", "\"data-owner\"")) + "." + parts[2]);
        corpus.put("signed by an unknown key", unknownKeyToken());
        corpus.put("garbage", "not.a.token");

        String auditor = token("dataspace", "auditor");
        for (Map.Entry<String, String> bad : corpus.entrySet()) {
            var response = TestHttp.get(broker, "/v1/catalog", bad.getValue());
            assertThat(response.statusCode()).as(bad.getKey()).isEqualTo(401);
            String requestId = response.headers().firstValue("Sluice-Request-Id").orElseThrow();
            String audit = TestHttp.getText(broker, "/v1/audit?action=auth.failed&limit=1000", auditor);
            assertThat(audit).as(bad.getKey() + " audited").contains(requestId);
            if (bad.getKey().equals("expired")) {
                // Refused for its age, not for anything else a short-lived token might get wrong.
                assertThat(auditMessage(audit, requestId)).contains("token expired");
            }
        }
    }

    /**
     * Waits until the broker must refuse {@code token} as expired: vertx-auth-jwt refuses once the
     * whole seconds of the clock, less the allowed skew, reach the token's {@code exp}. Keycloak, the
     * broker and this test read the same clock (one machine), so this is exact, where a fixed sleep
     * would be a guess at how long Keycloak took to answer.
     */
    private static void awaitExpiry(String token) throws InterruptedException {
        JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]),
                StandardCharsets.UTF_8));
        long expiry = claims.getLong("exp");
        // deploy/keycloak gives the short-lived client 1 s (access.token.lifespan): the wait stays short.
        assertThat(expiry - claims.getLong("iat")).as("the short-lived token's lifespan in s").isBetween(1L, 5L);
        Poll.until(() -> System.currentTimeMillis() / 1000 - CLOCK_SKEW.toSeconds() >= expiry, Duration.ofSeconds(30),
                "the short-lived token's exp (" + expiry + ") has passed");
    }

    /** The message of the audit record of {@code requestId} in a page of records. */
    private static String auditMessage(String page, String requestId) {
        return new JsonObject(page).getJsonArray("records").stream().map(JsonObject.class::cast)
                .filter(record -> requestId.equals(record.getString("requestId")))
                .map(record -> record.getString("message")).findFirst().orElseThrow();
    }

    @Test
    void aValidTokenWithTheWrongRoleIs403AndAudited() throws Exception {
        var response = TestHttp.post(broker, "/v1/datasets", token("dataspace", "ai-lab"), "{}");
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("requires role data-owner");
        String audit = TestHttp.getText(broker, "/v1/audit?action=auth.failed&limit=1000", token("dataspace", "auditor"));
        assertThat(audit).contains(response.headers().firstValue("Sluice-Request-Id").orElseThrow());
    }

    /** A client-credentials token from the realm, as the loader and the CLI obtain theirs. */
    static String token(String realm, String client) throws Exception {
        String form = "grant_type=client_credentials&client_id=" + client + "&client_secret="
                + URLEncoder.encode(client + "-secret", StandardCharsets.UTF_8);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(keycloak + "/realms/" + realm + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getString("access_token");
    }

    private static String unknownKeyToken() {
        Vertx vertx = Vertx.vertx();
        try {
            DevTokenIssuer forger = DevTokenIssuer.create(vertx, keycloak + "/realms/dataspace");
            return forger.sign(new JsonObject().put("organisation", "ai-lab")
                            .put("realm_access", new JsonObject().put("roles", new JsonArray().add("data-consumer"))),
                    new JWTOptions().setIssuer(keycloak + "/realms/dataspace").setSubject("forged")
                            .setAudience(List.of("sluice")).setExpiresInSeconds(300));
        } finally {
            vertx.close();
        }
    }

    private static String hs256(String payload, String realmKeys) throws Exception {
        String kid = new JsonObject(realmKeys).getJsonArray("keys").getJsonObject(0).getString("kid");
        String header = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}");
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(realmKeys.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String input = header + "." + payload;
        return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
