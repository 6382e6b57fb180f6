package io.sluice.broker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.BrokerVersion;
import io.sluice.broker.NoBrokerThreadLeft;
import io.sluice.broker.Poll;
import io.sluice.broker.TestDatabases;
import io.sluice.broker.TestHttp;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's probes and the error envelope of routes that do not exist. Readiness is tried
 * against a real outage: the store's PostgreSQL role loses its login while the broker runs.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class HealthIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void liveAndReadyAnswerWithTheVersionAndEveryCheck() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            assertThat(BrokerVersion.get()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");

            var live = TestHttp.get(broker, "/health/live", null);
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(new JsonObject(live.body()).getString("version")).isEqualTo(BrokerVersion.get());

            var ready = TestHttp.get(broker, "/health/ready", null);
            assertThat(ready.statusCode()).isEqualTo(200);
            JsonObject json = new JsonObject(ready.body());
            assertThat(json.getString("status")).isEqualTo("ok");
            assertThat(json.getString("version")).isEqualTo(BrokerVersion.get());
            assertThat(json.getJsonObject("checks").fieldNames()).containsExactlyInAnyOrder("store", "audit", "tokens",
                    "draining");
            json.getJsonObject("checks").forEach(check ->
                    assertThat(((JsonObject) check.getValue()).getString("status")).as(check.getKey()).isEqualTo("ok"));

            var health = TestHttp.get(broker, "/health", null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(new JsonObject(health.body()).getString("version")).isEqualTo(BrokerVersion.get());
        }
    }

    @Test
    void everyUnknownRouteAndWrongMethodAnswersTheJsonEnvelope() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            for (String path : new String[] {"/nope", "/v1/nope", "/v1/datasets/x/y/z", "/health/nope", "/ui2"}) {
                assertEnvelope(send(broker, "GET", path), 404, "not_found");
            }
            var deleteCatalog = send(broker, "DELETE", "/v1/catalog");
            assertEnvelope(deleteCatalog, 405, "method_not_allowed");
            assertThat(deleteCatalog.headers().firstValue("Allow")).as("RFC 9110 15.5.6").hasValue("GET");
            assertEnvelope(send(broker, "POST", "/health/live"), 405, "method_not_allowed");
            var patchPolicy = send(broker, "PATCH", "/v1/datasets/ds-1/policy");
            assertEnvelope(patchPolicy, 405, "method_not_allowed");
            assertThat(patchPolicy.headers().firstValue("Allow")).hasValue("GET, PUT");
            assertEnvelope(send(broker, "PATCH", "/v1/grants"), 405, "method_not_allowed");
        }
    }

    @Test
    void readinessFailsWhileTheStoreIsGoneAndLivenessHolds() throws Exception {
        String admin = System.getenv(TestDatabases.POSTGRES_URL_VARIABLE);
        assumeTrue(admin != null && !admin.isBlank(), "SLUICE_TEST_POSTGRES_URL is not set: no PostgreSQL to take away");
        String role = "r_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection db = DriverManager.getConnection(admin); Statement sql = db.createStatement()) {
            sql.execute("CREATE ROLE " + role + " LOGIN");
            sql.execute("CREATE SCHEMA " + role + " AUTHORIZATION " + role);
        }
        String url = admin.replaceAll("user=[^&]*", "user=" + role) + "&currentSchema=" + role;
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir).withDatabase(url));
                Connection db = DriverManager.getConnection(admin); Statement sql = db.createStatement()) {
            assertThat(TestHttp.get(broker, "/health/ready", null).statusCode()).isEqualTo(200);

            // The database refuses the broker's role and ends its sessions: the store is gone.
            sql.execute("ALTER ROLE " + role + " NOLOGIN");
            sql.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'");

            long asked = System.nanoTime();
            var ready = TestHttp.get(broker, "/health/ready", null);
            Duration took = Duration.ofNanos(System.nanoTime() - asked);
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonObject json = new JsonObject(ready.body());
            assertThat(json.getString("status")).isEqualTo("failing");
            assertThat(json.getJsonObject("checks").getJsonObject("store").getString("message"))
                    .isEqualTo("the store did not answer within 2 s");
            assertThat(json.getJsonObject("checks").getJsonObject("tokens").getString("status")).isEqualTo("ok");
            assertThat(took).as("a probe answers within its bound, not the pool's 30 s").isLessThan(Duration.ofSeconds(10));
            assertThat(TestHttp.get(broker, "/health/live", null).statusCode()).isEqualTo(200);
            assertThat(TestHttp.get(broker, "/health", null).statusCode()).isEqualTo(503);

            // The role may log in again: the broker is ready again without a restart.
            sql.execute("ALTER ROLE " + role + " LOGIN");
            Poll.until(() -> status(broker, "/health/ready") == 200, Duration.ofSeconds(60),
                    "ready again once the store is back");
        }
    }

    private static int status(Broker broker, String path) {
        try {
            return TestHttp.get(broker, path, null).statusCode();
        } catch (Exception e) {
            throw new AssertionError(path + " did not answer", e);
        }
    }

    private static HttpResponse<String> send(Broker broker, String method, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(broker.uri().resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void assertEnvelope(HttpResponse<String> response, int status, String error) {
        assertThat(response.statusCode()).as(response.uri().getPath()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonObject json = new JsonObject(response.body());
        assertThat(json.getString("error")).isEqualTo(error);
        assertThat(json.getString("message")).isNotBlank().doesNotContain("<", "Exception");
        assertThat(json.getString("requestId")).isEqualTo(response.headers().firstValue("Sluice-Request-Id").orElseThrow());
    }
}
