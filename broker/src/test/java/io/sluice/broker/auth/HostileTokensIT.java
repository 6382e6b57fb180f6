package io.sluice.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestHttp;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens the issuer really signed, but shaped to trip the verifier: registered claims of the wrong
 * type and a critical header extension. The broker trusts a stand-in OIDC realm served here (whose
 * signing key this test holds), exactly as it trusts Keycloak; each token is a 401 audited as
 * {@code auth.failed} with its reason, never a 500.
 */
class HostileTokensIT {
    @TempDir
    Path dir;

    private Vertx vertx;
    private HttpServer realmServer;
    private DevTokenIssuer realm;
    private String issuer;
    private Broker broker;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        realmServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        issuer = "http://127.0.0.1:" + realmServer.getAddress().getPort() + "/realms/test";
        realm = DevTokenIssuer.create(vertx, issuer);
        serve("/realms/test/.well-known/openid-configuration",
                new JsonObject().put("issuer", issuer).put("jwks_uri", issuer + "/certs"));
        serve("/realms/test/certs", realm.jwks());
        realmServer.start();
        broker = Broker.start(BrokerConfig.embedded(dir).withOidc(new BrokerConfig.Oidc(URI.create(issuer), "sluice",
                Duration.ZERO)));
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
        realmServer.stop(0);
        vertx.close();
    }

    @Test
    void signedTokensWithMistypedClaimsOrACriticalExtensionAre401AndAudited() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        Map<String, String> corpus = new LinkedHashMap<>();
        corpus.put("token claim 'exp' must be a number (seconds since the epoch), was a string",
                sign(claims().put("exp", String.valueOf(now + 300)), valid().setExpiresInSeconds(0)));
        corpus.put("token claim 'nbf' must be a number (seconds since the epoch), was a string",
                sign(claims().put("nbf", String.valueOf(now - 10)), valid()));
        corpus.put("token claim 'aud' must be a string or an array of strings, was a number",
                sign(claims().put("aud", 7), valid().setAudience(List.of())));
        corpus.put("token header marks extensions critical that the broker does not understand: [exp-policy]",
                sign(claims(), valid().setHeader(new JsonObject().put("crit", new JsonArray().add("exp-policy"))
                        .put("exp-policy", "strict"))));

        // The same issuer's well-formed token passes: what is refused is the shape, not the issuer.
        assertThat(TestHttp.get(broker, "/v1/catalog", sign(claims(), valid())).statusCode()).isEqualTo(200);
        String auditor = sign(new JsonObject().put("organisation", "regulator")
                .put("realm_access", new JsonObject().put("roles", new JsonArray().add("compliance-officer"))), valid());
        for (Map.Entry<String, String> bad : corpus.entrySet()) {
            var response = TestHttp.get(broker, "/v1/catalog", bad.getValue());

            assertThat(response.statusCode()).as(bad.getKey() + ": " + response.body()).isEqualTo(401);
            assertThat(response.body()).contains("\"error\":\"unauthenticated\"",
                    "\"message\":\"invalid token: " + bad.getKey() + "\"");
            String requestId = response.headers().firstValue("Sluice-Request-Id").orElseThrow();
            String audit = TestHttp.getText(broker, "/v1/audit?action=auth.failed&limit=1000", auditor);
            assertThat(audit).as(bad.getKey() + " audited").contains(requestId, bad.getKey());
        }
        var health = TestHttp.get(broker, "/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
    }

    private String sign(JsonObject claims, JWTOptions options) {
        return realm.sign(claims, options);
    }

    private JWTOptions valid() {
        return new JWTOptions().setIssuer(issuer).setSubject("trainer-7").setAudience(List.of("sluice"))
                .setExpiresInSeconds(300);
    }

    private static JsonObject claims() {
        return new JsonObject().put("organisation", "ai-lab")
                .put("realm_access", new JsonObject().put("roles", new JsonArray().add("data-consumer")));
    }

    private void serve(String path, JsonObject json) {
        byte[] body = json.encode().getBytes(StandardCharsets.UTF_8);
        realmServer.createContext(path, exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
    }
}
