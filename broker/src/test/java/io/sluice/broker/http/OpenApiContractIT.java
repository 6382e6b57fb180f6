package io.sluice.broker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.BrokerVersion;
import io.sluice.broker.Poll;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestParquet;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document at {@code GET /v1/openapi.json} against the broker that serves it: it
 * names every route the router has and no other, and every response it documents, success and
 * error alike, is produced here by a real request and validated against it (status, media type,
 * documented headers, body schema) by Vert.x's OpenAPI validator. A response documented but never
 * produced fails the test, so does one produced but not documented. No error message names the
 * broker's libraries.
 */
class OpenApiContractIT {
    /** Not the API: the compliance page's redirects, its sign-in settings and its static files ("/ui/*", which Vert.x names by its prefix). */
    private static final Set<String> NOT_API = Set.of("GET /ui", "GET /ui/audit", "GET /ui/",
            "GET /ui/audit/config.json");
    /** What an error message must not contain: class and package names, parser excerpts, stack frames. */
    private static final List<String> INTERNALS = List.of("com.fasterxml", "io.vertx", "jackson", "Exception", "java.",
            "javax.", "at [Source:", "\tat ", "REDACTED", "(code ");
    private static final String RESEARCH = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scientific-research"]}]}]}""";
    private static final String OPEN = """
            {"@type": "Set", "permission": [{"action": "use"}]}""";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void theDocumentNamesEveryRouteOfTheRouterAndNoOther() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir));
                OpenApiValidator contract = OpenApiValidator.load(document(broker))) {
            Set<String> routed = new TreeSet<>();
            for (Route route : broker.routes()) {
                String path = route.getName() != null ? route.getName() : route.getPath();
                if (path == null || route.methods() == null || route.methods().isEmpty()) {
                    continue; // the handlers every request passes: request id, log, gate, body
                }
                route.methods().forEach(method -> routed.add(method.name() + " " + path.replaceAll(":(\\w+)", "{$1}")));
            }
            assertThat(routed).as("the page's own routes are there, so the exclusion below means something")
                    .containsAll(NOT_API);
            routed.removeAll(NOT_API);
            assertThat(contract.routes()).as("documented routes (left) against the router's (right)")
                    .containsExactlyInAnyOrderElementsOf(routed);
        }
    }

    @Test
    void theDocumentIsServedAsJsonWithTheBrokersVersionAndNoToken() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            HttpResponse<String> response = TestHttp.get(broker, "/v1/openapi.json", null);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonObject document = new JsonObject(response.body());
            assertThat(document.getString("openapi")).isEqualTo("3.1.0");
            assertThat(document.getJsonObject("info").getString("version")).isEqualTo(BrokerVersion.get());
            assertThat(document.containsKey("servers")).as("paths are relative to where the document was fetched").isFalse();
        }
    }

    @Test
    void malformedJsonIsRefusedWithWhereAndWhyButNoParserInternals() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            Map<String, String> bodies = new LinkedHashMap<>();
            bodies.put("{\"subject\": \"a\",", "the body ends before the JSON value is complete");
            bodies.put("{\"subject\": }", "at line 1, column 13: unexpected character '}'");
            bodies.put("{subject: 1}",
                    "at line 1, column 2: unexpected character 's': was expecting double-quote to start field name");
            bodies.put("{\"subject\": \"a\"} x", "at line 1, column 19: unrecognised value 'x'");
            bodies.put("{\"subject\": \"a\"} {}", "more than one JSON value");
            bodies.put("{\"subject\": tru}", "at line 1, column 16: unrecognised value 'tru'");
            bodies.put("{\"a\": \"line\nbreak\"}",
                    "at line 1, column 12: unexpected control character U+000A in a string; escape it as \\u000A");
            bodies.put("{\"a\": 1, \"a\": 2}", "duplicate key 'a' at line 1, column 13");
            SoftAssertions softly = new SoftAssertions();
            for (var body : bodies.entrySet()) {
                HttpResponse<String> response = TestHttp.post(broker, "/v1/dev/token", null, body.getKey());
                softly.assertThat(response.statusCode()).as(body.getKey()).isEqualTo(400);
                JsonObject error = new JsonObject(response.body());
                softly.assertThat(error.getString("error")).as(body.getKey()).isEqualTo("malformed_json");
                softly.assertThat(error.getString("message")).as(body.getKey())
                        .startsWith("the request body is not valid JSON")
                        .contains(body.getValue());
                for (String internal : INTERNALS) {
                    softly.assertThat(error.getString("message")).as(body.getKey()).doesNotContain(internal);
                }
            }
            softly.assertAll();
        }
    }

    /**
     * Every documented (operation, status), produced and validated. The scenarios run in an order
     * that builds what the later ones need; the broker's drain for a shutdown comes last.
     */
    @Test
    void everyDocumentedResponseIsProducedAndMatchesTheDocument() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir)
                .withJdbcAllowedHosts(List.of("127.0.0.1"))
                .withSourceLimits(new BrokerConfig.SourceLimits(4, 1))
                .withStreamLimits(new BrokerConfig.StreamLimits(BrokerConfig.StreamLimits.DEFAULT_PER_BROKER, 2,
                        BrokerConfig.StreamLimits.DEFAULTS.idleTimeout()))
                .withShutdownGrace(Duration.ofSeconds(60));
        Path hospital = config.sourcesDir().resolve("hospital-a");
        TestParquet.write(hospital.resolve("patients.parquet"));
        TestParquet.write(hospital.resolve("changing.parquet"));
        // Far more than socket buffers hold: a stream of it that nobody reads keeps running.
        TestParquet.write(hospital.resolve("big.parquet"), 1_000_000);
        TestParquet.write(config.sourcesDir().resolve("clinic-b/patients.parquet"));
        Broker broker = Broker.start(config);
        List<HeldStream> held = new ArrayList<>();
        try (OpenApiValidator contract = OpenApiValidator.load(document(broker))) {
            Scenarios run = new Scenarios(broker.uri(), contract);
            exerciseOperatorRoutes(run);
            Tokens tokens = exerciseDevTokens(run);
            Ids ids = exerciseDatasets(run, tokens);
            exerciseJdbcRegistrations(run, tokens);
            exerciseGrantsAndStreams(run, tokens, ids, hospital, held);
            exerciseReceipts(run, tokens, ids);
            exerciseAudit(run, tokens);
            exerciseMissingTokensAndLargeBodies(run, tokens, ids);
            exerciseTheDrain(run, broker, tokens, ids, held);

            assertThat(run.produced()).as("documented responses (left) against those produced (right)")
                    .containsExactlyInAnyOrderElementsOf(contract.responses());
        } finally {
            held.forEach(HeldStream::close);
            broker.close();
        }
    }

    private static void exerciseOperatorRoutes(Scenarios run) throws Exception {
        run.expect("getOpenApi", 200, run.get("/v1/openapi.json", null));
        run.expect("getHealth", 200, run.get("/health", null));
        run.expect("getLive", 200, run.get("/health/live", null));
        run.expect("getReady", 200, run.get("/health/ready", null));
        run.expect("getMetrics", 200, run.get("/metrics", null));
        run.expect("getMetrics", 200, run.get("/metrics", null).header("Accept", "application/openmetrics-text"));
        run.expect("getAuditPublicKey", 200, run.get("/v1/audit/public-key", null));
        // Outside every operation: the envelope all the same.
        run.expectError(404, run.get("/v1/nope", null));
        run.expectError(405, run.request("PATCH", "/v1/catalog", null, null));
    }

    private record Tokens(String owner, String otherOwner, String jdbcOwner, String lab, String hog, String eve,
            String auditor) {}

    private static Tokens exerciseDevTokens(Scenarios run) throws Exception {
        run.expect("getDevJwks", 200, run.get("/v1/dev/jwks", null));
        run.expect("mintDevToken", 400, run.post("/v1/dev/token", null, "{\"subject\":\"a\",\"organisation\":\"Not Valid\"}"));
        run.expect("mintDevToken", 400, run.post("/v1/dev/token", null, "{\"subject\":"));
        return new Tokens(run.token("olivia", "hospital-a", "data-owner"), run.token("oscar", "clinic-b", "data-owner"),
                run.token("dora", "registry-c", "data-owner"), run.token("lab", "ai-lab", "data-consumer"),
                run.token("hog", "ai-lab", "data-consumer"), run.token("eve", "other-lab", "data-consumer"),
                run.token("ines", "authority", "compliance-officer"));
    }

    private record Ids(String patients, String big, String changing, String withdrawn) {}

    private static Ids exerciseDatasets(Scenarios run, Tokens t) throws Exception {
        String patients = idOf(run.expect("registerDataset", 201, run.post("/v1/datasets", t.owner(),
                registration("patients", "patients.parquet", RESEARCH, ",\"subjectColumn\":\"id\""))));
        String big = run.register(t.owner(), registration("big", "big.parquet", OPEN, ""));
        String changing = run.register(t.owner(), registration("changing", "changing.parquet", OPEN, ""));
        String gone = run.register(t.owner(), registration("gone", "patients.parquet", OPEN, ""));
        // The same name in another organisation: a bare "patients" is then ambiguous.
        run.register(t.otherOwner(), registration("patients", "patients.parquet", OPEN, ""));
        run.expect("registerDataset", 400, run.post("/v1/datasets", t.owner(), "{\"name\":\"x\",\"policy\":" + OPEN + "}"));
        run.expect("registerDataset", 403, run.post("/v1/datasets", t.lab(), registration("x", "patients.parquet", OPEN, "")));
        run.expect("registerDataset", 409, run.post("/v1/datasets", t.owner(),
                registration("patients", "patients.parquet", OPEN, "")));

        run.expect("getCatalog", 200, run.get("/v1/catalog?limit=2", t.lab()));
        run.expect("getCatalog", 200, run.get("/v1/catalog?q=patients", t.lab()).header("Accept", "application/ld+json"));
        run.expect("getCatalog", 400, run.get("/v1/catalog?limit=0", t.lab()));
        run.expect("getDataset", 200, run.get("/v1/datasets/" + patients, t.owner()));
        run.expect("getDataset", 200, run.get("/v1/datasets/" + patients, t.lab()));
        run.expect("getDataset", 404, run.get("/v1/datasets/ds-none", t.lab()));

        run.expect("replacePolicy", 200, run.put("/v1/datasets/" + patients + "/policy", t.owner(), RESEARCH));
        run.expect("replacePolicy", 400, run.put("/v1/datasets/" + patients + "/policy", t.owner(),
                "{\"subjectColumn\":\"id\"}"));
        run.expect("replacePolicy", 403, run.put("/v1/datasets/" + patients + "/policy", t.otherOwner(), RESEARCH));
        run.expect("replacePolicy", 404, run.put("/v1/datasets/ds-none/policy", t.owner(), RESEARCH));
        run.expect("getPolicy", 200, run.get("/v1/datasets/" + patients + "/policy", t.owner()));
        run.expect("getPolicy", 200, run.get("/v1/datasets/" + patients + "/policy", t.auditor()));
        run.expect("getPolicy", 403, run.get("/v1/datasets/" + patients + "/policy", t.lab()));
        run.expect("getPolicy", 404, run.get("/v1/datasets/ds-none/policy", t.owner()));
        run.expect("getPolicyVersions", 200, run.get("/v1/datasets/" + patients + "/policy/versions", t.owner()));
        run.expect("getPolicyVersions", 403, run.get("/v1/datasets/" + patients + "/policy/versions", t.otherOwner()));
        run.expect("getPolicyVersions", 404, run.get("/v1/datasets/ds-none/policy/versions", t.auditor()));
        run.expect("addOptOuts", 200, run.post("/v1/datasets/" + patients + "/opt-outs", t.owner(), "{\"ids\":[3, \"4\"]}"));
        run.expect("addOptOuts", 400, run.post("/v1/datasets/" + patients + "/opt-outs", t.owner(), "{\"ids\":[]}"));
        run.expect("addOptOuts", 403, run.post("/v1/datasets/" + patients + "/opt-outs", t.otherOwner(), "{\"ids\":[1]}"));
        run.expect("addOptOuts", 404, run.post("/v1/datasets/ds-none/opt-outs", t.owner(), "{\"ids\":[1]}"));

        run.expect("withdrawDataset", 200, run.request("DELETE", "/v1/datasets/" + gone, t.owner(), null));
        run.expect("withdrawDataset", 403, run.request("DELETE", "/v1/datasets/" + patients, t.otherOwner(), null));
        run.expect("withdrawDataset", 404, run.request("DELETE", "/v1/datasets/ds-none", t.owner(), null));
        run.expect("withdrawDataset", 409, run.request("DELETE", "/v1/datasets/" + gone, t.owner(), null));
        run.expect("replacePolicy", 409, run.put("/v1/datasets/" + gone + "/policy", t.owner(), OPEN));
        return new Ids(patients, big, changing, gone);
    }

    /**
     * A JDBC source whose database refuses the connection (502), one that accepts and never answers
     * (504), and, while that one holds the organisation's only place, a second registration (429).
     */
    private static void exerciseJdbcRegistrations(Scenarios run, Tokens t) throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>(); // written by the acceptor, read here
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // and never say a word
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            // Long enough that the 429 below comes while it still holds the place, on a loaded machine too.
            String silentSource = jdbc(silent.getLocalPort(), 15);
            CompletableFuture<HttpResponse<byte[]>> slow = run.send(run.post("/v1/datasets", t.jdbcOwner(),
                    "{\"name\":\"slow\",\"source\":" + silentSource + ",\"policy\":" + OPEN + "}"));
            Poll.until(() -> !accepted.isEmpty() || slow.isDone(), Duration.ofSeconds(20),
                    "the slow registration reached its database");
            assertThat(slow).as("the slow registration answered early: %s", slow.isDone()
                    ? new String(slow.join().body(), StandardCharsets.UTF_8) : "").isNotDone();
            run.expect("registerDataset", 429, run.post("/v1/datasets", t.jdbcOwner(),
                    "{\"name\":\"second\",\"source\":" + jdbc(closedPort, 1) + ",\"policy\":" + OPEN + "}"));
            run.expect("registerDataset", 504, slow.get(60, TimeUnit.SECONDS));
            silent.close();
            acceptor.join();
            for (Socket socket : accepted) {
                socket.close();
            }
        }
        run.expect("registerDataset", 502, run.post("/v1/datasets", t.jdbcOwner(),
                "{\"name\":\"refused\",\"source\":" + jdbc(closedPort, 1) + ",\"policy\":" + OPEN + "}"));
    }

    private static String jdbc(int port, int connectTimeout) {
        return "{\"type\":\"jdbc\",\"url\":\"jdbc:postgresql://127.0.0.1:" + port + "/registry\",\"table\":\"visits\","
                + "\"versionColumn\":\"updated_at\",\"connectTimeout\":" + connectTimeout + "}";
    }

    private static void exerciseGrantsAndStreams(Scenarios run, Tokens t, Ids ids, Path hospital, List<HeldStream> held)
            throws Exception {
        String grantBody = "{\"dataset\":\"" + ids.patients() + "\",\"purpose\":\"scientific-research\"}";
        String grant = idOf(run.expect("requestGrant", 201, run.post("/v1/grants", t.lab(), grantBody)));
        String givenUp = idOf(run.expect("requestGrant", 201, run.post("/v1/grants", t.lab(),
                "{\"dataset\":\"hospital-a/patients\",\"purpose\":\"scientific-research\",\"project\":\"p2\"}")));
        run.expect("requestGrant", 400, run.post("/v1/grants", t.lab(), "{\"dataset\":\"" + ids.patients() + "\"}"));
        run.expect("requestGrant", 403, run.post("/v1/grants", t.lab(),
                "{\"dataset\":\"" + ids.patients() + "\",\"purpose\":\"marketing\"}"));
        run.expect("requestGrant", 403, run.post("/v1/grants", t.lab(),
                "{\"dataset\":\"" + ids.withdrawn() + "\",\"purpose\":\"scientific-research\"}"));
        run.expect("requestGrant", 403, run.post("/v1/grants", t.owner(), grantBody));
        run.expect("requestGrant", 404, run.post("/v1/grants", t.lab(), "{\"dataset\":\"ds-none\",\"purpose\":\"x\"}"));
        run.expect("requestGrant", 409, run.post("/v1/grants", t.lab(),
                "{\"dataset\":\"patients\",\"purpose\":\"scientific-research\"}"));

        HttpResponse<byte[]> stream = run.expect("streamGrant", 200, run.get("/v1/grants/" + grant + "/stream", t.lab()));
        assertThat(arrowRows(stream.body())).as("the opted-out subjects are not in it").isEqualTo(998);
        String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        run.expect("streamGrant", 400, run.get("/v1/grants/" + grant + "/stream?shards=many", t.lab()));
        run.expect("streamGrant", 403, run.get("/v1/grants/" + grant + "/stream", t.eve()));
        run.expect("streamGrant", 404, run.get("/v1/grants/gr-none/stream", t.lab()));
        String changingGrant = idOf(run.expect("requestGrant", 201, run.post("/v1/grants", t.lab(),
                "{\"dataset\":\"" + ids.changing() + "\",\"purpose\":\"statistics\"}")));
        TestParquet.write(hospital.resolve("changing.parquet"), 1001);
        run.expect("streamGrant", 409, run.get("/v1/grants/" + changingGrant + "/stream", t.lab()));
        String bigGrant = idOf(run.expect("requestGrant", 201, run.post("/v1/grants", t.hog(),
                "{\"dataset\":\"" + ids.big() + "\",\"purpose\":\"model-training\"}")));
        held.add(HeldStream.open(run.base(), "/v1/grants/" + bigGrant + "/stream", t.hog()));
        held.add(HeldStream.open(run.base(), "/v1/grants/" + bigGrant + "/stream", t.hog()));
        run.expect("streamGrant", 429, run.get("/v1/grants/" + bigGrant + "/stream", t.hog()));

        run.expect("getStream", 200, run.get("/v1/streams/" + streamId, t.lab()));
        run.expect("getStream", 200, run.get("/v1/streams/" + held.getFirst().streamId(), t.auditor()));
        run.expect("getStream", 403, run.get("/v1/streams/" + streamId, t.eve()));
        run.expect("getStream", 404, run.get("/v1/streams/st-none", t.lab()));

        run.expect("listGrants", 200, run.get("/v1/grants?limit=1", t.lab()));
        run.expect("listGrants", 400, run.get("/v1/grants?limit=lots", t.lab()));
        run.expect("listGrants", 403, run.get("/v1/grants", t.owner()));
        run.expect("getDatasetGrants", 200, run.get("/v1/datasets/" + ids.patients() + "/grants", t.owner()));
        run.expect("getDatasetGrants", 400, run.get("/v1/datasets/" + ids.patients() + "/grants?limit=x", t.owner()));
        run.expect("getDatasetGrants", 403, run.get("/v1/datasets/" + ids.patients() + "/grants", t.lab()));
        run.expect("getDatasetGrants", 404, run.get("/v1/datasets/ds-none/grants", t.auditor()));

        run.expect("revokeGrant", 400, run.request("DELETE", "/v1/grants/" + givenUp, t.lab(), "{\"reason\":"));
        run.expect("revokeGrant", 403, run.request("DELETE", "/v1/grants/" + givenUp, t.eve(), null));
        run.expect("revokeGrant", 404, run.request("DELETE", "/v1/grants/gr-none", t.lab(), null));
        run.expect("revokeGrant", 200, run.request("DELETE", "/v1/grants/" + givenUp, t.lab(), "{\"reason\":\"done\"}"));
        run.expect("revokeGrant", 409, run.request("DELETE", "/v1/grants/" + givenUp, t.lab(), null));
        run.expect("streamGrant", 403, run.get("/v1/grants/" + givenUp + "/stream", t.lab()));
    }

    /** Training receipts: a grant's, for its holder, and a dataset's, for its owner. */
    private static void exerciseReceipts(Scenarios run, Tokens t, Ids ids) throws Exception {
        String grant = idOf(run.expect("requestGrant", 201, run.post("/v1/grants", t.lab(),
                "{\"dataset\":\"" + ids.patients() + "\",\"purpose\":\"scientific-research\"}")));
        run.expect("getGrantReceipt", 200, run.get("/v1/grants/" + grant + "/receipt?consistencyTo=latest", t.lab()));
        run.expect("getGrantReceipt", 400, run.get("/v1/grants/" + grant + "/receipt?consistencyTo=soon", t.lab()));
        run.expect("getGrantReceipt", 403, run.get("/v1/grants/" + grant + "/receipt", t.eve()));
        run.expect("getGrantReceipt", 404, run.get("/v1/grants/gr-none/receipt", t.lab()));
        run.expect("getDatasetReceipts", 200, run.get("/v1/datasets/" + ids.patients() + "/receipts?limit=2", t.owner()));
        run.expect("getDatasetReceipts", 400, run.get("/v1/datasets/" + ids.patients() + "/receipts?limit=0", t.owner()));
        run.expect("getDatasetReceipts", 403, run.get("/v1/datasets/" + ids.patients() + "/receipts", t.otherOwner()));
        run.expect("getDatasetReceipts", 404, run.get("/v1/datasets/ds-none/receipts", t.auditor()));
    }

    private static void exerciseAudit(Scenarios run, Tokens t) throws Exception {
        run.expect("queryAudit", 200, run.get("/v1/audit?limit=5", t.auditor()));
        run.expect("queryAudit", 200, run.get("/v1/audit?action=dataset.registered", t.owner()));
        run.expect("queryAudit", 400, run.get("/v1/audit?from=yesterday", t.auditor()));
        run.expect("queryAudit", 403, run.get("/v1/audit", t.lab()));
        run.expect("exportAudit", 200, run.get("/v1/audit/export", t.auditor()));
        run.expect("exportAudit", 200, run.get("/v1/audit/export?format=csv&action=grant.issued", t.auditor()));
        run.expect("exportAudit", 200, run.get("/v1/audit/export?format=fhir&action=grant.issued", t.auditor()));
        run.expect("exportAudit", 400, run.get("/v1/audit/export?format=xml", t.auditor()));
        run.expect("exportAudit", 200, run.get("/v1/audit/export?format=fhir", t.owner()));
        run.expect("exportAudit", 403, run.get("/v1/audit/export", t.lab()));
        run.expect("getAuditEntries", 200, run.get("/v1/audit/entries?start=0&end=3", t.auditor()));
        run.expect("getAuditEntries", 400, run.get("/v1/audit/entries?start=5&end=1", t.auditor()));
        run.expect("getAuditEntries", 403, run.get("/v1/audit/entries", t.owner()));
        run.expect("getCheckpoint", 200, run.get("/v1/audit/checkpoint", t.lab()));
        run.expect("listCheckpoints", 200, run.get("/v1/audit/checkpoints?limit=2", t.lab()));
        run.expect("listCheckpoints", 400, run.get("/v1/audit/checkpoints?after=first", t.lab()));
        run.expect("getInclusionProof", 200, run.get("/v1/audit/proof/inclusion?index=1&size=4", t.lab()));
        run.expect("getInclusionProof", 400, run.get("/v1/audit/proof/inclusion?index=4&size=4", t.lab()));
        run.expect("getConsistencyProof", 200, run.get("/v1/audit/proof/consistency?from=2&to=5", t.lab()));
        run.expect("getConsistencyProof", 400, run.get("/v1/audit/proof/consistency?from=6&to=5", t.lab()));
    }

    /** Every operation behind a token refuses a request without one; every one that takes a body, one too large. */
    private static void exerciseMissingTokensAndLargeBodies(Scenarios run, Tokens t, Ids ids) throws Exception {
        String tooLarge = "{\"padding\":\"" + "x".repeat(1024 * 1024) + "\"}";
        for (Map.Entry<String, String> route : run.contract().operationIds().entrySet()) {
            String operation = route.getValue();
            String[] methodAndPath = route.getKey().split(" ", 2);
            String path = methodAndPath[1].replace("/datasets/{id}", "/datasets/" + ids.patients())
                    .replace("/grants/{id}", "/grants/gr-none").replace("/streams/{id}", "/streams/st-none");
            if (run.contract().needsToken(operation)) {
                run.expect(operation, 401, run.request(methodAndPath[0], path, null, null));
            }
            if (run.contract().takesBody(operation)) {
                run.expect(operation, 413, run.request(methodAndPath[0], path, t.owner(), tooLarge));
            }
        }
    }

    /**
     * The broker is closed while two streams run: it drains, and every route but the probes and the
     * scrape answers 503 until the streams end (here: their client goes).
     */
    private static void exerciseTheDrain(Scenarios run, Broker broker, Tokens t, Ids ids, List<HeldStream> held)
            throws Exception {
        Thread closing = Thread.ofPlatform().name("closing-broker").start(broker::close);
        Poll.until(() -> run.statusOf(run.get("/health/ready", null)) == 503, Duration.ofSeconds(20),
                "the broker drains");
        run.expect("getReady", 503, run.get("/health/ready", null));
        run.expect("getLive", 200, run.get("/health/live", null));
        run.expect("getMetrics", 200, run.get("/metrics", null));
        for (Map.Entry<String, String> route : run.contract().operationIds().entrySet()) {
            String operation = route.getValue();
            if (!run.contract().responses().contains(operation + " 503") || operation.equals("getReady")) {
                continue;
            }
            String[] methodAndPath = route.getKey().split(" ", 2);
            String path = methodAndPath[1].replace("{id}", ids.patients());
            String body = run.contract().takesBody(operation) ? "{}" : null;
            run.expect(operation, 503, run.request(methodAndPath[0], path, t.auditor(), body));
        }
        held.forEach(HeldStream::close);
        closing.join(Duration.ofSeconds(60));
        assertThat(closing.isAlive()).as("the broker closed once its streams' client went").isFalse();
    }

    private static String registration(String name, String path, String policy, String extra) {
        return "{\"name\":\"" + name + "\",\"source\":{\"type\":\"parquet\",\"path\":\"" + path + "\"},\"policy\":" + policy
                + extra + "}";
    }

    private static String idOf(HttpResponse<byte[]> response) {
        return TestHttp.id(new String(response.body(), StandardCharsets.UTF_8));
    }

    private static JsonObject document(Broker broker) throws Exception {
        return new JsonObject(TestHttp.getText(broker, "/v1/openapi.json", null));
    }

    private static long arrowRows(byte[] body) throws IOException {
        long rows = 0;
        try (RootAllocator allocator = new RootAllocator();
                ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(body), allocator)) {
            while (reader.loadNextBatch()) {
                rows += reader.getVectorSchemaRoot().getRowCount();
            }
        }
        return rows;
    }

    private static void assertNoInternals(String message) {
        for (String internal : INTERNALS) {
            assertThat(message).as("an error message").doesNotContain(internal);
        }
    }

    /** Sends requests, checks each response against the document, and keeps which responses were produced. */
    private static final class Scenarios {
        private final URI base;
        private final OpenApiValidator contract;
        private final Set<String> produced = new TreeSet<>();

        Scenarios(URI base, OpenApiValidator contract) {
            this.base = base;
            this.contract = contract;
        }

        URI base() {
            return base;
        }

        OpenApiValidator contract() {
            return contract;
        }

        Set<String> produced() {
            return produced;
        }

        HttpRequest.Builder request(String method, String path, String token, String json) {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(json));
            if (json != null) {
                request.header("Content-Type", "application/json");
            }
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            return request;
        }

        HttpRequest.Builder get(String path, String token) {
            return request("GET", path, token, null);
        }

        HttpRequest.Builder post(String path, String token, String json) {
            return request("POST", path, token, json);
        }

        HttpRequest.Builder put(String path, String token, String json) {
            return request("PUT", path, token, json);
        }

        CompletableFuture<HttpResponse<byte[]>> send(HttpRequest.Builder request) {
            return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        }

        int statusOf(HttpRequest.Builder request) {
            try {
                return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        /** Sends the request; its response must have {@code status} and match what the document says of it. */
        HttpResponse<byte[]> expect(String operation, int status, HttpRequest.Builder request) throws Exception {
            return expect(operation, status, HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()));
        }

        HttpResponse<byte[]> expect(String operation, int status, HttpResponse<byte[]> response) {
            String body = new String(response.body(), StandardCharsets.UTF_8);
            assertThat(response.statusCode()).as("%s %s: %s", response.request().method(), response.uri(),
                    body.length() > 2000 ? body.substring(0, 2000) : body).isEqualTo(status);
            contract.validate(operation, response);
            if (status >= 400 && isJson(response)) {
                checkError(response, body);
            }
            produced.add(operation + " " + status);
            return response;
        }

        /** A response no operation owns (no such path, no such method): the error envelope all the same. */
        void expectError(int status, HttpRequest.Builder request) throws Exception {
            HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).isEqualTo(status);
            contract.validateError(response);
            checkError(response, new String(response.body(), StandardCharsets.UTF_8));
        }

        String register(String token, String body) throws Exception {
            return idOf(expect("registerDataset", 201, post("/v1/datasets", token, body)));
        }

        String token(String subject, String organisation, String role) throws Exception {
            HttpResponse<byte[]> response = expect("mintDevToken", 200, post("/v1/dev/token", null, "{\"subject\":\""
                    + subject + "\",\"organisation\":\"" + organisation + "\",\"roles\":[\"" + role + "\"]}"));
            return new JsonObject(new String(response.body(), StandardCharsets.UTF_8)).getString("token");
        }

        private static boolean isJson(HttpResponse<byte[]> response) {
            return response.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        }

        private static void checkError(HttpResponse<byte[]> response, String body) {
            JsonObject error = new JsonObject(body);
            if (!error.containsKey("message")) {
                return; // a probe's own 503 body (Ready), not the envelope
            }
            assertNoInternals(error.getString("message"));
            assertThat(error.getString("requestId")).isEqualTo(response.headers().firstValue("Sluice-Request-Id").orElseThrow());
        }
    }

    /**
     * A stream opened over a raw socket whose body is never read: with a small receive buffer the
     * broker soon waits on back-pressure, so the stream runs until this closes.
     */
    private static final class HeldStream implements AutoCloseable {
        private final Socket socket;
        private final String streamId;

        private HeldStream(Socket socket, String streamId) {
            this.socket = socket;
            this.streamId = streamId;
        }

        static HeldStream open(URI base, String path, String token) throws IOException {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(4096);
            socket.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()), 5000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = head(socket.getInputStream());
            if (!head.startsWith("HTTP/1.1 200")) {
                socket.close();
                throw new AssertionError("the held stream was refused: " + head);
            }
            String id = head.lines().filter(line -> line.toLowerCase(Locale.ROOT).startsWith("sluice-stream-id:"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip()).findFirst().orElseThrow();
            return new HeldStream(socket, id);
        }

        String streamId() {
            return streamId;
        }

        private static String head(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            return head.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }
}
