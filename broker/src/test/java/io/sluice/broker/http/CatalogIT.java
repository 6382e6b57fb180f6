package io.sluice.broker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.apicatalog.jsonld.JsonLd;
import com.apicatalog.jsonld.JsonLdError;
import com.apicatalog.jsonld.JsonLdErrorCode;
import com.apicatalog.jsonld.JsonLdOptions;
import com.apicatalog.jsonld.document.JsonDocument;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.NoBrokerThreadLeft;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestParquet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/catalog} as a consumer meets it: DCAT-AP JSON-LD, read the way a linked-data client
 * reads it (expanded by a JSON-LD processor, offline, against the URL fetched, every key required to
 * be a term), and the plain JSON of the contract; search, paging, negotiation, and never a source.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class CatalogIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String DCAT = "http://www.w3.org/ns/dcat#";
    private static final String DCT = "http://purl.org/dc/terms/";
    private static final String ODRL = "http://www.w3.org/ns/odrl/2/";
    private static final String FOAF = "http://xmlns.com/foaf/0.1/";
    private static final String HYDRA = "http://www.w3.org/ns/hydra/core#";
    private static final String SLUICE = "https://sluice.dev/ns/";
    private static final String LD = "application/ld+json";

    private static final String WARD_POLICY = """
            {"@type": "Set", "permission": [{"action": "use",
              "constraint": [
                {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research", "statistics"]},
                {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]},
                {"leftOperand": "count", "operator": "lteq", "rightOperand": 20},
                {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2099-01-01T00:00:00Z"}],
              "duty": [
                {"action": "sluice:pseudonymise", "target": "patient_id"},
                {"action": "sluice:drop", "target": ["name"]},
                {"action": "sluice:generalise", "target": "age", "width": 10},
                {"action": "sluice:rowFilter", "expression": "age >= 18"}]}],
             "prohibition": [{"action": "distribute"}]}""";
    private static final String RESEARCH_POLICY = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "eq", "rightOperand": "scientific-research"}]}]}""";

    @TempDir
    Path dir;

    private Broker broker;
    private Connection keepH2Alive;
    private String owner;
    private String lab;
    private String wardId;
    private String labsId;
    private String basketsId;

    @BeforeEach
    void registerThreeDatasets() throws Exception {
        String h2 = "jdbc:h2:mem:catalog-" + java.util.UUID.randomUUID();
        keepH2Alive = DriverManager.getConnection(h2 + ";DB_CLOSE_DELAY=-1", "sa", "s3cret-pw");
        try (Statement statement = keepH2Alive.createStatement()) {
            statement.execute("CREATE TABLE labs (id BIGINT PRIMARY KEY, glucose DOUBLE, updated BIGINT)");
            statement.execute("INSERT INTO labs SELECT X, 90 + MOD(X, 40), 1 FROM SYSTEM_RANGE(1, 50)");
        }
        BrokerConfig config = BrokerConfig.embedded(dir).withJdbcAllowedHosts(List.of("h2:mem"));
        Path hospital = config.sourcesDir().resolve("hospital-a");
        Files.createDirectories(hospital);
        StringBuilder csv = new StringBuilder("patient_id,name,diagnosis,age\n");
        for (int i = 0; i < 200; i++) {
            csv.append(i).append(",p").append(i).append(",d").append(i % 5).append(',').append(5 + i % 70).append('\n');
        }
        Files.writeString(hospital.resolve("wards.csv"), csv);
        TestParquet.write(config.sourcesDir().resolve("shop-b/baskets.parquet"));
        broker = Broker.start(config);
        owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        String shop = TestHttp.devToken(broker, "shop", "shop-b", "data-owner");
        wardId = register(owner, "Ward admissions", "Admissions to the wards of hospital A",
                "{\"type\":\"csv\",\"path\":\"wards.csv\",\"header\":\"true\"}", WARD_POLICY);
        labsId = register(owner, "Lab results", "Glucose measurements",
                "{\"type\":\"jdbc\",\"url\":\"" + h2 + "\",\"table\":\"LABS\",\"user\":\"sa\","
                        + "\"password\":\"s3cret-pw\",\"versionColumn\":\"UPDATED\"}", RESEARCH_POLICY);
        basketsId = register(shop, "Baskets", "What shoppers bought",
                "{\"type\":\"parquet\",\"path\":\"baskets.parquet\"}", RESEARCH_POLICY);
    }

    @AfterEach
    void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (keepH2Alive != null) {
            keepH2Alive.close();
        }
    }

    @Test
    void jsonLdExpandsToADcatCatalogOfDatasetsWithTheirOdrlOffers() throws Exception {
        HttpResponse<String> response = get("/v1/catalog", lab, LD);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains(LD);
        assertThat(response.headers().firstValue("Vary")).contains("Accept");

        jakarta.json.JsonObject catalog = expand(response);
        assertThat(ids(catalog, "@type")).containsExactly(DCAT + "Catalog");
        assertThat(strings(node(catalog, DCT + "publisher"), FOAF + "name")).containsExactly(BrokerConfig.DEFAULT_AUDIT_ORIGIN);
        Map<String, jakarta.json.JsonObject> datasets = nodes(catalog, DCAT + "dataset").stream()
                .collect(Collectors.toMap(d -> strings(d, DCT + "title").getFirst(), d -> d));
        assertThat(datasets).containsOnlyKeys("Ward admissions", "Lab results", "Baskets");

        jakarta.json.JsonObject ward = datasets.get("Ward admissions");
        assertThat(ids(ward, "@type")).containsExactly(DCAT + "Dataset");
        assertThat(ward.getString("@id")).isEqualTo("urn:sluice:dataset:" + wardId);
        assertThat(strings(ward, DCT + "identifier")).containsExactly(wardId);
        assertThat(strings(ward, DCT + "description")).containsExactly("Admissions to the wards of hospital A");
        assertThat(strings(node(ward, DCT + "publisher"), FOAF + "name")).containsExactly("hospital-a");
        assertThat(strings(node(datasets.get("Baskets"), DCT + "publisher"), FOAF + "name")).containsExactly("shop-b");
        // HealthDCAT-AP's record count where the source knows it (a CSV file's is not counted at registration).
        String records = "http://healthdataportal.eu/ns/health#numberOfRecords";
        assertThat(strings(datasets.get("Baskets"), records)).containsExactly("1000");
        assertThat(strings(datasets.get("Lab results"), records)).containsExactly("50");
        assertThat(strings(ward, records)).isEmpty();
        assertThat(list(ward, SLUICE + "schema").stream().map(c -> strings(c, SLUICE + "name").getFirst()))
                .containsExactly("patient_id", "name", "diagnosis", "age");
        // The landing page is relative in the document: resolved against the URL fetched, it is the dataset's URL.
        String landing = ids(ward, DCAT + "landingPage").getFirst();
        assertThat(landing).isEqualTo(broker.uri().resolve("/v1/datasets/" + wardId).toString());
        HttpResponse<String> landed = get(URI.create(landing), lab, null);
        assertThat(landed.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(landed.body()).getString("id")).isEqualTo(wardId);
        jakarta.json.JsonObject distribution = node(ward, DCAT + "distribution");
        assertThat(ids(distribution, DCAT + "mediaType")).containsExactly(
                "http://www.iana.org/assignments/media-types/application/vnd.apache.arrow.stream");

        jakarta.json.JsonObject offer = node(ward, ODRL + "hasPolicy");
        assertThat(ids(offer, "@type")).containsExactly(ODRL + "Offer");
        assertThat(ids(offer, ODRL + "target")).containsExactly(ward.getString("@id"));
        assertThat(ids(offer, ODRL + "assigner")).containsExactly(node(ward, DCT + "publisher").getString("@id"));
        assertThat(ids(node(offer, ODRL + "prohibition"), ODRL + "action")).containsExactly(ODRL + "distribute");
        jakarta.json.JsonObject permission = node(offer, ODRL + "permission");
        assertThat(ids(permission, ODRL + "action")).containsExactly(ODRL + "use");
        Map<String, jakarta.json.JsonObject> constraints = nodes(permission, ODRL + "constraint").stream()
                .collect(Collectors.toMap(c -> ids(c, ODRL + "leftOperand").getFirst(), c -> c));
        assertThat(constraints).containsOnlyKeys(ODRL + "purpose", SLUICE + "organisation", ODRL + "count",
                ODRL + "dateTime");
        assertThat(ids(constraints.get(ODRL + "purpose"), ODRL + "operator")).containsExactly(ODRL + "isAnyOf");
        assertThat(strings(constraints.get(ODRL + "purpose"), ODRL + "rightOperand"))
                .containsExactlyInAnyOrder("medical-research", "statistics");
        assertThat(strings(constraints.get(SLUICE + "organisation"), ODRL + "rightOperand")).containsExactly("ai-lab");
        assertThat(strings(constraints.get(ODRL + "count"), ODRL + "rightOperand")).containsExactly("20");
        assertThat(strings(constraints.get(ODRL + "dateTime"), ODRL + "rightOperand"))
                .containsExactly("2099-01-01T00:00:00Z");
        Map<String, jakarta.json.JsonObject> duties = nodes(permission, ODRL + "duty").stream()
                .collect(Collectors.toMap(d -> ids(d, ODRL + "action").getFirst(), d -> d));
        assertThat(duties).containsOnlyKeys(SLUICE + "pseudonymise", SLUICE + "drop", SLUICE + "generalise",
                SLUICE + "rowFilter");
        assertThat(list(duties.get(SLUICE + "drop"), SLUICE + "column").stream().map(CatalogIT::value)).containsExactly("name");
        assertThat(strings(duties.get(SLUICE + "generalise"), SLUICE + "width")).containsExactly("10");
        assertThat(strings(duties.get(SLUICE + "rowFilter"), SLUICE + "expression")).containsExactly("age >= 18");
        assertThat(strings(permission, SLUICE + "maxStreams")).containsExactly("20");
        assertThat(strings(offer, SLUICE + "maxStreams")).containsExactly("20");

        // The output schema offered is the one a grant under the permission announces, column for column.
        HttpResponse<String> grant = TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + wardId + "\",\"purpose\":\"statistics\"}");
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(201);
        List<String> granted = new JsonObject(grant.body()).getJsonArray("schema").stream()
                .map(f -> ((JsonObject) f).getString("name") + ":" + ((JsonObject) f).getString("type")).toList();
        assertThat(list(permission, SLUICE + "outputSchema").stream()
                .map(c -> strings(c, SLUICE + "name").getFirst() + ":" + strings(c, SLUICE + "arrowType").getFirst()))
                .containsExactlyElementsOf(granted)
                .contains("patient_id:Utf8")
                .noneMatch(column -> column.startsWith("name:"));
    }

    @Test
    void limitOnePagesFollowedByTheirNextLinkShowEveryDatasetOnce() throws Exception {
        List<String> seen = new ArrayList<>();
        URI page = broker.uri().resolve("/v1/catalog?limit=1");
        for (int pages = 0; pages < 10; pages++) {
            jakarta.json.JsonObject catalog = expand(get(page, lab, LD));
            nodes(catalog, DCAT + "dataset").forEach(d -> seen.add(strings(d, DCT + "identifier").getFirst()));
            Optional<String> next = ids(node(catalog, HYDRA + "view"), HYDRA + "next").stream().findFirst();
            if (next.isEmpty()) {
                break;
            }
            page = URI.create(next.get());
        }
        assertThat(seen).containsExactly(wardId, labsId, basketsId);

        List<String> plain = new ArrayList<>();
        String after = "";
        for (int pages = 0; pages < 10; pages++) {
            JsonObject body = new JsonObject(TestHttp.getText(broker, "/v1/catalog?limit=2" + after, lab));
            body.getJsonArray("datasets").forEach(d -> plain.add(((JsonObject) d).getString("id")));
            if (!body.containsKey("next")) {
                break;
            }
            after = "&after=" + body.getString("next");
        }
        assertThat(plain).containsExactly(wardId, labsId, basketsId);
    }

    @Test
    void qMatchesNameDescriptionOrganisationAndColumnsWithoutCaseAndKeepsToItsPages() throws Exception {
        assertThat(titles("/v1/catalog?q=ADMISSIONS")).containsExactly("Ward admissions");
        assertThat(titles("/v1/catalog?q=glucose%20measure")).containsExactly("Lab results");
        assertThat(titles("/v1/catalog?q=shop-B")).containsExactly("Baskets");
        assertThat(titles("/v1/catalog?q=diagnosis")).containsExactly("Ward admissions");
        assertThat(titles("/v1/catalog?q=nothing-like-this")).isEmpty();

        assertThat(titles("/v1/catalog?q=hospital%20a")).containsExactly("Ward admissions");

        // Every dataset's name or description has a "t": the next link keeps the search and the page size.
        jakarta.json.JsonObject first = expand(get(broker.uri().resolve("/v1/catalog?q=T&limit=2"), lab, LD));
        String next = ids(node(first, HYDRA + "view"), HYDRA + "next").getFirst();
        assertThat(URI.create(next).getQuery()).startsWith("limit=2&q=T&after=");
        assertThat(nodes(expand(get(URI.create(next), lab, LD)), DCAT + "dataset"))
                .extracting(d -> strings(d, DCT + "title").getFirst()).containsExactly("Baskets");
        // Both hospital datasets, on one page: no next.
        JsonObject plain = new JsonObject(TestHttp.getText(broker, "/v1/catalog?q=hospital&limit=2", lab));
        assertThat(plain.getJsonArray("datasets")).hasSize(2);
        assertThat(plain.containsKey("next")).isFalse();
    }

    @Test
    void neitherShapeShowsAConsumerTheSourceAndJsonLdShowsItToNobody() throws Exception {
        for (String token : List.of(lab, owner)) {
            String jsonLd = get("/v1/catalog", token, LD).body();
            assertThat(jsonLd).doesNotContain("s3cret-pw").doesNotContain("jdbc:h2").doesNotContain("wards.csv")
                    .doesNotContain("\"source\"");
            assertThat(properties(expand(get("/v1/catalog", token, LD))))
                    .isNotEmpty()
                    .noneMatch(property -> property.toLowerCase(java.util.Locale.ROOT).contains("source"))
                    .noneMatch(property -> property.toLowerCase(java.util.Locale.ROOT).contains("password"));
        }
        String consumersView = TestHttp.getText(broker, "/v1/catalog", lab);
        assertThat(consumersView).doesNotContain("s3cret-pw").doesNotContain("jdbc:h2").doesNotContain("\"source\"");
        String ownersView = TestHttp.getText(broker, "/v1/catalog", owner);
        assertThat(ownersView).contains("\"password\":\"***\"").doesNotContain("s3cret-pw");
    }

    @Test
    void plainJsonStaysTheDefaultAndNowShowsQuotaAndExpiry() throws Exception {
        for (String accept : new String[] {null, "application/json", "*/*", "text/html",
                "application/ld+json;q=0.5, application/json"}) {
            HttpResponse<String> response = get("/v1/catalog", lab, accept);
            assertThat(response.statusCode()).as(accept).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).as(accept).contains("application/json");
            assertThat(response.headers().firstValue("Vary")).as(accept).contains("Accept");
            assertThat(new JsonObject(response.body()).getJsonArray("datasets")).as(accept).hasSize(3);
        }
        assertThat(get("/v1/catalog", lab, "*/*, application/ld+json").headers().firstValue("Content-Type"))
                .contains(LD);

        JsonArray datasets = new JsonObject(TestHttp.getText(broker, "/v1/catalog", lab)).getJsonArray("datasets");
        JsonObject ward = datasets.getJsonObject(0);
        assertThat(ward.fieldNames()).contains("id", "name", "description", "organisation", "version",
                "policyVersion", "registeredAt", "schema", "offer").doesNotContain("source");
        assertThat(datasets.getJsonObject(1).getLong("rows")).isEqualTo(50);
        JsonObject offer = ward.getJsonObject("offer");
        assertThat(offer.getJsonArray("purposes")).containsExactly("medical-research", "statistics");
        assertThat(offer.getJsonArray("organisations")).containsExactly("ai-lab");
        assertThat(offer.getJsonArray("columns")).containsExactly("patient_id", "diagnosis", "age");
        assertThat(offer.getLong("maxStreams")).isEqualTo(20);
        assertThat(offer.getString("expiresAt")).isEqualTo("2099-01-01T00:00:00Z");
        // A policy without a count or dateTime limit promises neither.
        assertThat(datasets.getJsonObject(1).getJsonObject("offer").fieldNames())
                .doesNotContain("maxStreams", "expiresAt");
        assertThat(new JsonObject(TestHttp.getText(broker, "/v1/datasets/" + wardId, lab)).getJsonObject("offer")
                .getLong("maxStreams")).isEqualTo(20);
    }

    @Test
    void pagingAndSearchOutsideTheirBoundsAreRefusedNamingTheBound() throws Exception {
        assertRefused("/v1/catalog?limit=1001", "'limit' must be between 1 and 1000, was 1001");
        assertRefused("/v1/catalog?limit=0", "'limit' must be between 1 and 1000, was 0");
        assertRefused("/v1/catalog?limit=many", "'limit' must be an integer, was 'many'");
        assertRefused("/v1/catalog?after=not-a-cursor",
                "'after' must be the 'next' value of an earlier catalog page, was 'not-a-cursor'");
        assertRefused("/v1/catalog?q=" + "x".repeat(201), "'q' must be at most 200 characters, was 201");
        assertThat(get("/v1/catalog", null, LD).statusCode()).isEqualTo(401);
    }

    private void assertRefused(String path, String message) throws Exception {
        for (String accept : new String[] {null, LD}) {
            HttpResponse<String> response = get(path, lab, accept);
            assertThat(response.statusCode()).as(path).isEqualTo(400);
            JsonObject error = new JsonObject(response.body());
            assertThat(error.getString("error")).isEqualTo("bad_request");
            assertThat(error.getString("message")).isEqualTo(message);
        }
    }

    private List<String> titles(String path) throws Exception {
        return nodes(expand(get(path, lab, LD)), DCAT + "dataset").stream()
                .map(d -> strings(d, DCT + "title").getFirst()).toList();
    }

    private String register(String token, String name, String description, String source, String policy)
            throws Exception {
        HttpResponse<String> response = TestHttp.post(broker, "/v1/datasets", token, new JsonObject()
                .put("name", name).put("description", description).put("source", new JsonObject(source))
                .put("policy", new JsonObject(policy)).encode());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return new JsonObject(response.body()).getString("id");
    }

    private HttpResponse<String> get(String path, String token, String accept) throws Exception {
        return get(broker.uri().resolve(path), token, accept);
    }

    private static HttpResponse<String> get(URI uri, String token, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The response expanded by Titanium against the URL it came from, with a loader that refuses every
     * fetch (the context must be inline) and every key required to expand to an IRI (none silently dropped).
     */
    private static jakarta.json.JsonObject expand(HttpResponse<String> response) throws JsonLdError {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        jakarta.json.JsonArray expanded = JsonLd.expand(JsonDocument.of(new StringReader(response.body())))
                .base(response.uri())
                .loader((url, options) -> {
                    throw new JsonLdError(JsonLdErrorCode.LOADING_DOCUMENT_FAILED, "offline: " + url);
                })
                .undefinedTermsPolicy(JsonLdOptions.ProcessingPolicy.Fail)
                .get();
        assertThat(expanded).hasSize(1);
        return expanded.getJsonObject(0);
    }

    /** Every property IRI used anywhere in an expanded document. */
    private static java.util.Set<String> properties(JsonValue value) {
        java.util.Set<String> found = new java.util.TreeSet<>();
        switch (value.getValueType()) {
            case OBJECT -> value.asJsonObject().forEach((key, member) -> {
                found.add(key);
                found.addAll(properties(member));
            });
            case ARRAY -> value.asJsonArray().forEach(member -> found.addAll(properties(member)));
            default -> { }
        }
        return found;
    }

    private static List<JsonValue> values(jakarta.json.JsonObject node, String property) {
        JsonValue value = node.get(property);
        if (value == null) {
            return List.of();
        }
        return value.getValueType() == JsonValue.ValueType.ARRAY ? value.asJsonArray() : List.of(value);
    }

    private static List<jakarta.json.JsonObject> nodes(jakarta.json.JsonObject node, String property) {
        return values(node, property).stream().map(JsonValue::asJsonObject).toList();
    }

    private static jakarta.json.JsonObject node(jakarta.json.JsonObject node, String property) {
        List<jakarta.json.JsonObject> nodes = nodes(node, property);
        assertThat(nodes).as(property).hasSize(1);
        return nodes.getFirst();
    }

    /** The IRIs of a property, or the node's types for {@code @type}. */
    private static List<String> ids(jakarta.json.JsonObject node, String property) {
        return values(node, property).stream()
                .map(v -> v instanceof JsonString s ? s.getString() : v.asJsonObject().getString("@id")).toList();
    }

    private static List<String> strings(jakarta.json.JsonObject node, String property) {
        return values(node, property).stream().map(v -> value(v.asJsonObject())).toList();
    }

    /** The members of an ordered list ({@code @list}) property. */
    private static List<jakarta.json.JsonObject> list(jakarta.json.JsonObject node, String property) {
        return node(node, property).getJsonArray("@list").stream().map(JsonValue::asJsonObject).toList();
    }

    /** A value object's lexical form. */
    private static String value(jakarta.json.JsonObject value) {
        JsonValue lexical = value.get("@value");
        return lexical instanceof JsonString s ? s.getString() : lexical.toString();
    }
}
