package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The consumer's side: its own grants, newest first, in pages; a grant asked for by a dataset's
 * id, name or {@code organisation/name}. And a store holding duplicate names from before names
 * were unique still migrates. On H2 and PostgreSQL.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class ConsumerGrantsIT {
    private static final String OPEN = "{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\"}]}";

    @TempDir
    Path dir;

    private static String register(Broker broker, String token, String name) throws Exception {
        HttpResponse<String> response = TestHttp.post(broker, "/v1/datasets", token, "{\"name\":\"" + name + "\","
                + "\"source\":{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + OPEN + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return TestHttp.id(response.body());
    }

    private static HttpResponse<String> ask(Broker broker, String token, String dataset) throws Exception {
        return TestHttp.post(broker, "/v1/grants", token, "{\"dataset\":\"" + dataset + "\",\"purpose\":\"statistics\"}");
    }

    private BrokerConfig config(String url) throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir).withDatabase(url);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/small.parquet"));
        TestParquet.write(config.sourcesDir().resolve("hospital-b/small.parquet"));
        return config;
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aConsumerPagesThroughItsOwnGrantsNewestFirst(String kind) throws Exception {
        try (Broker broker = Broker.start(config(TestDatabases.fresh(kind, dir)))) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
            String colleague = TestHttp.devToken(broker, "trainer-8", "ai-lab", "data-consumer");
            String datasetId = register(broker, owner, "small");
            List<String> issued = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                issued.add(TestHttp.id(ask(broker, lab, datasetId).body()));
            }
            String others = TestHttp.id(ask(broker, colleague, datasetId).body());

            List<String> seen = new ArrayList<>();
            List<Integer> pageSizes = new ArrayList<>();
            String path = "/v1/grants?limit=2";
            while (true) {
                JsonObject page = new JsonObject(TestHttp.getText(broker, path, lab));
                JsonArray grants = page.getJsonArray("grants");
                pageSizes.add(grants.size());
                grants.forEach(g -> {
                    JsonObject grant = (JsonObject) g;
                    assertThat(grant.getJsonObject("holder").getString("subject")).isEqualTo("trainer-7");
                    assertThat(grant.getString("status")).isEqualTo("active");
                    seen.add(grant.getString("id"));
                });
                if (!page.containsKey("next")) {
                    break;
                }
                path = "/v1/grants?limit=2&after=" + page.getString("next");
            }
            assertThat(pageSizes).containsExactly(2, 2, 1);
            assertThat(seen).containsExactlyElementsOf(issued.reversed()).doesNotContain(others);

            // One page of all; bounds and a cursor the broker never gave are 400s.
            JsonObject all = new JsonObject(TestHttp.getText(broker, "/v1/grants", lab));
            assertThat(all.getJsonArray("grants")).hasSize(5);
            assertThat(all.containsKey("next")).isFalse();
            assertThat(TestHttp.get(broker, "/v1/grants?limit=1001", lab).body())
                    .contains("'limit' must be 1 to 1000, was 1001");
            assertThat(TestHttp.get(broker, "/v1/grants?after=bm9wZQ", lab).statusCode()).isEqualTo(400);
            // An owner is no consumer.
            assertThat(TestHttp.get(broker, "/v1/grants", owner).statusCode()).isEqualTo(403);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aGrantNamesItsDatasetByIdNameOrOrganisationAndName(String kind) throws Exception {
        try (Broker broker = Broker.start(config(TestDatabases.fresh(kind, dir)))) {
            String hospitalA = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String hospitalB = TestHttp.devToken(broker, "owner", "hospital-b", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String onlyA = register(broker, hospitalA, "cardiology");
            String sharedA = register(broker, hospitalA, "patients");
            String sharedB = register(broker, hospitalB, "patients");

            assertThat(new JsonObject(ask(broker, lab, onlyA).body()).getString("dataset")).isEqualTo(onlyA);
            assertThat(new JsonObject(ask(broker, lab, "cardiology").body()).getString("dataset")).isEqualTo(onlyA);
            assertThat(new JsonObject(ask(broker, lab, "hospital-b/patients").body()).getString("dataset"))
                    .isEqualTo(sharedB);

            HttpResponse<String> ambiguous = ask(broker, lab, "patients");
            assertThat(ambiguous.statusCode()).isEqualTo(409);
            JsonObject error = new JsonObject(ambiguous.body());
            assertThat(error.getString("error")).isEqualTo("ambiguous_dataset");
            assertThat(error.getString("message")).isEqualTo("dataset name 'patients' names 2 datasets: [hospital-a/patients ("
                    + sharedA + "), hospital-b/patients (" + sharedB + ")]; name one as organisation/name, or by its id");

            HttpResponse<String> unknown = ask(broker, lab, "hospital-c/patients");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("\"message\":\"dataset 'hospital-c/patients' does not exist\"");

            // A withdrawn dataset's name no longer counts: the bare name is one dataset again.
            TestHttp.delete(broker, "/v1/datasets/" + sharedB, hospitalB, null);
            assertThat(new JsonObject(ask(broker, lab, "patients").body()).getString("dataset")).isEqualTo(sharedA);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aStoreWithDuplicateNamesFromBeforeTheRuleMigratesAndRefusesAThird(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target("4").load().migrate();
        List<String> ids = List.of("ds-old1", "ds-old2");
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement insert = connection.prepareStatement("INSERT INTO datasets (id, name, description,"
                        + " organisation, source_type, source_path, source_options, version, schema_json, policy_json,"
                        + " policy_version, registered_at) VALUES (?, 'small', '', 'hospital-a', 'parquet', 'small.parquet',"
                        + " '{}', 'v', '{\"fields\":[]}', ?, 1, ?)")) {
            for (int i = 0; i < ids.size(); i++) {
                insert.setString(1, ids.get(i));
                insert.setString(2, OPEN);
                insert.setObject(3, OffsetDateTime.of(2025, 1, 1 + i, 0, 0, 0, 0, ZoneOffset.UTC));
                insert.executeUpdate();
            }
        }
        try (Broker broker = Broker.start(config(url))) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            HttpResponse<String> third = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + OPEN + "}");
            assertThat(third.statusCode()).isEqualTo(409);
            assertThat(third.body()).contains("already has a dataset named 'small': ds-old1");
            // Both old ones are still there, and asking for the shared name within one organisation needs an id.
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            HttpResponse<String> ambiguous = ask(broker, lab, "hospital-a/small");
            assertThat(ambiguous.statusCode()).isEqualTo(409);
            assertThat(ambiguous.body()).contains("name one as its id");
        }
    }
}
