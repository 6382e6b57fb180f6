package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data owner registers, twenty at once, a PostgreSQL source whose version query sleeps (a view over
 * {@code pg_sleep}: the owner's database decides what a view does). Before, each held one of the
 * broker's twenty worker threads for as long as the database slept, and {@code /health}, grants and
 * every other organisation's requests waited behind them. Now each step of a JDBC source has a
 * timeout, registrations open sources on a pool of their own, and one organisation may have only so
 * many in flight: the flood is refused (429) or timed out (504), every refusal audited, while the
 * broker keeps answering everyone else within seconds.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class SlowSourcesIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    private static final int FLOOD = 20;
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private Broker broker;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void slowSourcesOfOneOrganisationAreRefusedOrTimedOutWhileTheBrokerAnswersEveryoneElse() throws Exception {
        String url = System.getenv(TestDatabases.POSTGRES_URL_VARIABLE);
        assumeTrue(url != null && !url.isBlank(), "SLUICE_TEST_POSTGRES_URL is not set: skipping the slow PostgreSQL source");
        String schemaUrl = TestDatabases.fresh("postgres", dir);
        String schema = schemaUrl.substring(schemaUrl.indexOf("currentSchema=") + "currentSchema=".length());
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + schema + ".admissions (id bigint PRIMARY KEY, v bigint)");
            statement.execute("INSERT INTO " + schema + ".admissions SELECT g, 1 FROM generate_series(1, 100) g");
            // Sleeps far longer than the test's timeouts: without them every registration would hold its thread 60 s.
            statement.execute("CREATE VIEW " + schema + ".slow AS SELECT 1::bigint AS v FROM pg_sleep(60)");
        }
        String host = java.net.URI.create(url.substring("jdbc:".length())).getHost();
        BrokerConfig config = BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of(host))
                .withSourceLimits(new BrokerConfig.SourceLimits(8, 2));
        TestParquet.write(config.sourcesDir().resolve("clinic-b/small.parquet"));
        broker = Broker.start(config);
        String slowOwner = TestHttp.devToken(broker, "mallory", "hospital-a", "data-owner");
        String otherOwner = TestHttp.devToken(broker, "owner", "clinic-b", "data-owner");
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        var registered = TestHttp.post(broker, "/v1/datasets", otherOwner, "{\"name\":\"small\",\"source\":{\"type\":"
                + "\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String otherDataset = TestHttp.id(registered.body());

        String slowSource = "{\"type\":\"jdbc\",\"url\":\"" + url + "\",\"table\":\"" + schema + ".admissions\","
                + "\"snapshotQuery\":\"SELECT * FROM " + schema + ".slow\",\"queryTimeout\":20,\"socketTimeout\":40}";
        HttpRequest slowRegistration = HttpRequest.newBuilder(broker.uri().resolve("/v1/datasets"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + slowOwner)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"slow\",\"source\":" + slowSource + ",\"policy\":"
                        + POLICY + "}"))
                .build();
        // One stream first, so that the checks below do not also time the first load of the stream classes.
        String warmGrant = TestHttp.id(TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + otherDataset + "\",\"purpose\":\"scientific-research\"}").body());
        assertThat(TestHttp.get(broker, "/v1/grants/" + warmGrant + "/stream", lab).statusCode()).isEqualTo(200);
        long floodStart = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
            flood.add(HTTP.sendAsync(slowRegistration, HttpResponse.BodyHandlers.ofString()));
        }
        // A first refusal means the flood has reached the broker and the organisation's places are taken.
        Poll.until(() -> flood.stream().anyMatch(f -> f.isDone() && f.join().statusCode() == 429), Duration.ofSeconds(10),
                "a registration of the flood refused with 429");

        assertAnsweredWithin(get("/health", null), 200, "\"status\":\"ok\"");
        HttpResponse<String> grant = assertAnsweredWithin(HttpRequest.newBuilder(broker.uri().resolve("/v1/grants"))
                .timeout(ANSWER_WITHIN).header("Authorization", "Bearer " + lab)
                .POST(HttpRequest.BodyPublishers.ofString("{\"dataset\":\"" + otherDataset + "\",\"purpose\":\"scientific-research\"}"))
                .build(), 201, "\"id\"");
        assertAnsweredWithin(get("/v1/grants/" + TestHttp.id(grant.body()) + "/stream", lab), 200, "");
        assertThat(flood.stream().filter(f -> f.isDone() && f.join().statusCode() == 504))
                .as("the slow registrations still hold their places: the answers above did not wait for them").isEmpty();

        List<HttpResponse<String>> answers = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> response : flood) {
            answers.add(response.get(30, TimeUnit.SECONDS));
        }
        double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
        assertThat(floodSeconds).as("seconds until every registration of the flood was answered").isLessThan(45);
        List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 429).toList();
        List<HttpResponse<String>> timedOut = answers.stream().filter(r -> r.statusCode() == 504).toList();
        assertThat(refused.size() + timedOut.size()).as("429s and 504s among %s", answers.stream()
                .map(HttpResponse::body).toList()).isEqualTo(FLOOD);
        assertThat(refused).hasSizeGreaterThanOrEqualTo(FLOOD / 2);
        assertThat(timedOut).isNotEmpty();
        for (HttpResponse<String> response : refused) {
            assertThat(response.headers().firstValue("Retry-After")).contains("5");
            assertThat(response.body()).contains("\"error\":\"too_many_source_operations\"",
                    "\"message\":\"organisation 'hospital-a' already has 2 source operations in flight");
        }
        for (HttpResponse<String> response : timedOut) {
            assertThat(response.body()).contains("\"error\":\"source_timed_out\"", "cannot be read: the database did not"
                    + " answer within queryTimeout (20 s)");
        }

        String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        String rejections = TestHttp.getText(broker, "/v1/audit?action=dataset.rejected&organisation=hospital-a&limit=1000",
                auditor);
        assertThat(count(rejections, "\"action\":\"dataset.rejected\"")).isEqualTo(FLOOD);
        assertThat(count(rejections, "already has 2 source operations in flight")).isEqualTo(refused.size());
        assertThat(count(rejections, "did not answer within queryTimeout (20 s)")).isEqualTo(timedOut.size());
        assertAnsweredWithin(get("/health", null), 200, "\"status\":\"ok\"");
    }

    private HttpRequest get(String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker.uri().resolve(path)).timeout(ANSWER_WITHIN).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.build();
    }

    /** Sends {@code request} and checks that the whole answer came within {@link #ANSWER_WITHIN}. */
    private static HttpResponse<String> assertAnsweredWithin(HttpRequest request, int status, String bodyPart)
            throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("time to answer " + request.uri().getPath())
                .isLessThan(ANSWER_WITHIN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains(bodyPart);
        return response;
    }

    private static int count(String text, String part) {
        Matcher matcher = Pattern.compile(Pattern.quote(part)).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }
}
