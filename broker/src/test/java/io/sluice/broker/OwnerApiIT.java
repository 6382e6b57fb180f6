package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The data owner's management API: the policy in force and its history, withdrawing a dataset,
 * who holds grants on it, revoking one grant; unique names, known purposes, typed opt-outs and a
 * subject column set by a later policy version. On H2 and PostgreSQL where the store matters.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class OwnerApiIT {
    private static final String RESEARCH = TestPolicies.SCIENTIFIC_RESEARCH;
    private static final String MEDICAL = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]}]}]}""";
    private static final String OPEN = """
            {"@type": "Set", "permission": [{"action": "use"}]}""";

    @TempDir
    Path dir;

    private Broker start(String kind, int rows, int rowGroupBytes) throws IOException {
        BrokerConfig config = BrokerConfig.embedded(dir).withDatabase(TestDatabases.fresh(kind, dir));
        TestParquet.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), rows, rowGroupBytes);
        return Broker.start(config);
    }

    private static String register(Broker broker, String token, String name, String policy, String extra) throws Exception {
        HttpResponse<String> response = TestHttp.post(broker, "/v1/datasets", token, "{\"name\":\"" + name + "\","
                + "\"source\":{\"type\":\"parquet\",\"path\":\"patients.parquet\"}," + extra + "\"policy\":" + policy + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return TestHttp.id(response.body());
    }

    private static String grant(Broker broker, String token, String dataset, String purpose) throws Exception {
        HttpResponse<String> response = TestHttp.post(broker, "/v1/grants", token,
                "{\"dataset\":\"" + dataset + "\",\"purpose\":\"" + purpose + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return TestHttp.id(response.body());
    }

    private static JsonObject json(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return new JsonObject(response.body());
    }

    /** Streams the grant to its end; the stream's record as {@code GET /v1/streams/{id}} gives it. */
    private static JsonObject streamWhole(Broker broker, String grantId, String token) throws Exception {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        broker.uri().resolve("/v1/grants/" + grantId + "/stream"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        String streamId = response.headers().firstValue("Sluice-Stream-Id").orElseThrow();
        JsonObject record = json(TestHttp.get(broker, "/v1/streams/" + streamId, token), 200);
        assertThat(record.getString("status")).isEqualTo("completed");
        assertThat(record.getLong("bytes")).isEqualTo(response.body().length);
        return record;
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void readsBackThePolicyInForceAndEveryVersionWithWhenAndWhom(String kind) throws Exception {
        try (Broker broker = start(kind, 100, 128 * 1024 * 1024)) {
            String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
            String datasetId = register(broker, owner, "patients", RESEARCH, "");

            json(TestHttp.put(broker, "/v1/datasets/" + datasetId + "/policy", owner, MEDICAL), 200);
            // The new shape: the policy beside a subject column the new version sets.
            JsonObject third = json(TestHttp.put(broker, "/v1/datasets/" + datasetId + "/policy", owner,
                    "{\"policy\":" + OPEN + ",\"subjectColumn\":\"id\"}"), 200);
            assertThat(third.getInteger("policyVersion")).isEqualTo(3);

            JsonObject inForce = json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/policy", owner), 200);
            assertThat(inForce.getInteger("version")).isEqualTo(3);
            assertThat(inForce.getJsonObject("policy")).isEqualTo(new JsonObject(OPEN));
            assertThat(inForce.getString("subjectColumn")).isEqualTo("id");
            assertThat(inForce.getJsonObject("changedBy"))
                    .isEqualTo(new JsonObject().put("subject", "dr-weber").put("organisation", "hospital-a"));

            String auditor = TestHttp.devToken(broker, "eve", "regulator", "compliance-officer");
            JsonObject history = json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/policy/versions", auditor), 200);
            assertThat(history.getInteger("current")).isEqualTo(3);
            JsonArray versions = history.getJsonArray("versions");
            assertThat(versions).hasSize(3);
            assertThat(versions.getJsonObject(0).getInteger("version")).isEqualTo(1);
            assertThat(versions.getJsonObject(0).getJsonObject("policy")).isEqualTo(new JsonObject(RESEARCH));
            assertThat(versions.getJsonObject(0).containsKey("subjectColumn")).isFalse();
            assertThat(versions.getJsonObject(1).getJsonObject("policy")).isEqualTo(new JsonObject(MEDICAL));
            assertThat(versions.getJsonObject(2).getJsonObject("policy")).isEqualTo(new JsonObject(OPEN));
            for (int i = 0; i < 3; i++) {
                assertThat(versions.getJsonObject(i).getJsonObject("changedBy").getString("subject")).isEqualTo("dr-weber");
            }
            assertThat(java.time.Instant.parse(versions.getJsonObject(0).getString("changedAt")))
                    .isBeforeOrEqualTo(java.time.Instant.parse(versions.getJsonObject(2).getString("changedAt")));

            // Another organisation's owner may not read it (audited), a consumer lacks the role.
            String intruder = TestHttp.devToken(broker, "mallory", "hospital-b", "data-owner");
            HttpResponse<String> foreign = TestHttp.get(broker, "/v1/datasets/" + datasetId + "/policy", intruder);
            assertThat(foreign.statusCode()).isEqualTo(403);
            assertThat(foreign.body()).contains("\"error\":\"forbidden\"",
                    "dataset '" + datasetId + "' belongs to another organisation");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            assertThat(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/policy/versions", lab).statusCode())
                    .isEqualTo(403);
            assertThat(TestHttp.getText(broker, "/v1/audit?action=auth.failed&limit=100", owner))
                    .contains("\"subject\":\"mallory\"", "\"code\":\"NOT_DATASET_OWNER\"",
                            "reading the policy refused: dataset '" + datasetId + "' belongs to another organisation");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void withdrawingStopsARunningStreamRevokesGrantsRefusesNewOnesAndLeavesTheData(String kind) throws Exception {
        // Far more than the broker's write queue and the sockets hold: the stream is still running when withdrawn.
        try (Broker broker = start(kind, 1_500_000, 256 * 1024)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String datasetId = register(broker, owner, "patients", RESEARCH, "");
            String running = grant(broker, lab, datasetId, "scientific-research");
            String idle = grant(broker, lab, datasetId, "model-training");

            HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            broker.uri().resolve("/v1/grants/" + running + "/stream"))
                    .header("Authorization", "Bearer " + lab).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();

            JsonObject withdrawn = json(TestHttp.delete(broker, "/v1/datasets/" + datasetId, owner, null), 200);
            assertThat(withdrawn.getString("status")).isEqualTo("withdrawn");
            assertThat(withdrawn.getJsonArray("revokedGrants").getList()).containsExactlyInAnyOrder(running, idle);

            // The stream stops at its next batch: the body breaks off, without the end-of-stream marker.
            assertCutOff(stream.body(), 0);
            Poll.until(() -> statusOf(broker, streamId, lab).getString("status").equals("aborted"), Duration.ofSeconds(30),
                    "the stream is recorded as aborted");
            JsonObject record = statusOf(broker, streamId, lab);
            assertThat(record.getString("failure")).isEqualTo("revoked");
            assertThat(record.getString("message"))
                    .isEqualTo("the grant was revoked because its owner withdrew dataset '" + datasetId + "'");

            // Gone from the catalog; its own record says withdrawn; the owner's file is untouched.
            assertThat(TestHttp.getText(broker, "/v1/catalog", lab)).doesNotContain(datasetId);
            JsonObject dataset = json(TestHttp.get(broker, "/v1/datasets/" + datasetId, owner), 200);
            assertThat(dataset.getString("status")).isEqualTo("withdrawn");
            assertThat(dataset.getString("withdrawnAt")).isEqualTo(withdrawn.getString("withdrawnAt"));
            assertThat(Files.size(dir.resolve("sources/hospital-a/patients.parquet"))).isPositive();

            // No new grant, no new stream, no second withdrawal.
            HttpResponse<String> refused = TestHttp.post(broker, "/v1/grants", lab,
                    "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("\"error\":\"dataset_withdrawn\"", "\"code\":\"DATASET_WITHDRAWN\"");
            HttpResponse<String> again = TestHttp.get(broker, "/v1/grants/" + idle + "/stream", lab);
            assertThat(again.statusCode()).isEqualTo(403);
            assertThat(again.body()).contains("\"error\":\"grant_revoked\"",
                    "grant '" + idle + "' was revoked because its owner withdrew dataset '" + datasetId + "'");
            assertThat(TestHttp.delete(broker, "/v1/datasets/" + datasetId, owner, null).statusCode()).isEqualTo(409);

            String audit = TestHttp.getText(broker, "/v1/audit?dataset=" + datasetId + "&limit=1000", owner);
            assertThat(audit.split("\"action\":\"dataset.withdrawn\"", -1)).hasSize(2);
            assertThat(audit.split("\"action\":\"grant.revoked\"", -1)).hasSize(3);
            assertThat(audit).contains("\"code\":\"DATASET_WITHDRAWN\"", "\"action\":\"stream.aborted\"");

            // The owner's listing: both revoked, and the numbers are what the stream sent.
            JsonArray grants = json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/grants", owner), 200)
                    .getJsonArray("grants");
            assertThat(grants).hasSize(2);
            JsonObject listed = grants.stream().map(JsonObject.class::cast)
                    .filter(g -> g.getString("id").equals(running)).findFirst().orElseThrow();
            assertThat(listed.getString("status")).isEqualTo("revoked");
            assertThat(listed.getLong("streams")).isEqualTo(1);
            assertThat(listed.getLong("rows")).isEqualTo(record.getLong("rows"));
            assertThat(listed.getLong("bytes")).isEqualTo(record.getLong("bytes")).isPositive();
            assertThat(listed.getString("revokedReason")).isEqualTo("revoked because its owner withdrew dataset '"
                    + datasetId + "'");

            // The name is free again.
            register(broker, owner, "patients", RESEARCH, "");
        }
    }

    /**
     * A withdrawal whose revocations never ran (the audit log failed, the broker died after the
     * withdrawal committed) still stops the dataset's running streams, and asking again finishes it.
     * The half-done state is made in the store directly, as the crashed broker would have left it.
     */
    @Test
    void aWithdrawalThatStoppedHalfwayStopsItsStreamsAndIsFinishedByAskingAgain() throws Exception {
        String url = TestDatabases.fresh("postgres", dir);
        BrokerConfig config = BrokerConfig.embedded(dir).withDatabase(url);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), 1_500_000, 256 * 1024);
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String datasetId = register(broker, owner, "patients", RESEARCH, "");
            String running = grant(broker, lab, datasetId, "scientific-research");
            HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            broker.uri().resolve("/v1/grants/" + running + "/stream"))
                    .header("Authorization", "Bearer " + lab).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();

            try (java.sql.Connection db = java.sql.DriverManager.getConnection(url);
                    var withdraw = db.prepareStatement("UPDATE datasets SET withdrawn_at = CURRENT_TIMESTAMP WHERE id = ?")) {
                withdraw.setString(1, datasetId);
                assertThat(withdraw.executeUpdate()).isEqualTo(1);
            }

            // Read slowly (about 3 MB/s for 30 MB): the store is asked every 2 s, not before every batch.
            assertCutOff(stream.body(), 20);
            Poll.until(() -> statusOf(broker, streamId, lab).getString("status").equals("aborted"), Duration.ofSeconds(30),
                    "the stream is recorded as aborted");
            assertThat(statusOf(broker, streamId, lab).getString("failure")).isEqualTo("revoked");

            JsonObject finished = json(TestHttp.delete(broker, "/v1/datasets/" + datasetId, owner, null), 200);
            assertThat(finished.getJsonArray("revokedGrants").getList()).containsExactly(running);
            assertThat(TestHttp.delete(broker, "/v1/datasets/" + datasetId, owner, null).statusCode()).isEqualTo(409);
            JsonObject listed = json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/grants", owner), 200)
                    .getJsonArray("grants").getJsonObject(0);
            assertThat(listed.getString("status")).isEqualTo("revoked");
        }
    }

    /** Reads the body to its end, pausing {@code pauseMillis} after each 64 KiB; it must break off, not end. */
    private static void assertCutOff(InputStream stream, long pauseMillis) throws IOException {
        try (InputStream body = stream) {
            assertThatThrownBy(() -> {
                byte[] buffer = new byte[1 << 16];
                while (body.read(buffer) >= 0) {
                    Thread.sleep(pauseMillis);
                }
                throw new AssertionError("the stream ended cleanly after its dataset was withdrawn");
            }).isInstanceOf(IOException.class);
        }
    }

    private static JsonObject statusOf(Broker broker, String streamId, String token) {
        try {
            return json(TestHttp.get(broker, "/v1/streams/" + streamId, token), 200);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void listsWhoHoldsGrantsWithWhatTheirStreamsSentAndRevokesOneGrantByOwnerOrHolderOnly(String kind) throws Exception {
        try (Broker broker = start(kind, 5000, 16 * 1024)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
            String other = TestHttp.devToken(broker, "trainer-9", "ml-corp", "data-consumer");
            String datasetId = register(broker, owner, "patients", OPEN, "");
            String first = grant(broker, lab, datasetId, "scientific-research");
            String second = grant(broker, other, datasetId, "statistics");
            JsonObject a = streamWhole(broker, first, lab);
            JsonObject b = streamWhole(broker, first, lab);

            JsonObject page = json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/grants", owner), 200);
            JsonArray grants = page.getJsonArray("grants");
            assertThat(page.containsKey("next")).isFalse();
            assertThat(grants.stream().map(g -> ((JsonObject) g).getString("id")).toList()).containsExactly(second, first);
            JsonObject used = grants.getJsonObject(1);
            assertThat(used.getJsonObject("holder"))
                    .isEqualTo(new JsonObject().put("subject", "trainer-7").put("organisation", "ai-lab"));
            assertThat(used.getString("purpose")).isEqualTo("scientific-research");
            assertThat(used.getString("project")).isEqualTo("ai-lab");
            assertThat(used.getString("status")).isEqualTo("active");
            assertThat(used.getLong("streams")).isEqualTo(2);
            assertThat(used.getLong("rows")).isEqualTo(a.getLong("rows") + b.getLong("rows")).isEqualTo(10_000);
            assertThat(used.getLong("bytes")).isEqualTo(a.getLong("bytes") + b.getLong("bytes"));
            assertThat(used.getString("lastUsedAt")).isEqualTo(b.getString("closedAt"));
            JsonObject unused = grants.getJsonObject(0);
            assertThat(unused.getLong("streams")).isZero();
            assertThat(unused.containsKey("lastUsedAt")).isFalse();

            // Another organisation: neither holder nor owner. Refused and on the owner's record.
            String intruder = TestHttp.devToken(broker, "mallory", "hospital-b", "data-owner");
            HttpResponse<String> foreign = TestHttp.delete(broker, "/v1/grants/" + first, intruder, null);
            assertThat(foreign.statusCode()).isEqualTo(403);
            HttpResponse<String> stranger = TestHttp.delete(broker, "/v1/grants/" + first, other, null);
            assertThat(stranger.statusCode()).isEqualTo(403);
            assertThat(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/grants", intruder).statusCode()).isEqualTo(403);
            String refusals = TestHttp.getText(broker, "/v1/audit?action=auth.failed&limit=100", owner);
            assertThat(refusals).contains("\"grant\":\"" + first + "\"", "\"code\":\"NOT_DATASET_OWNER\"",
                    "\"code\":\"NOT_GRANT_HOLDER\"", "\"subject\":\"trainer-9\"", "\"subject\":\"mallory\"");

            // The owner takes one back, with a reason; the holder gives up the other.
            JsonObject byOwner = json(TestHttp.delete(broker, "/v1/grants/" + first, owner,
                    "{\"reason\":\"the study ended\"}"), 200);
            assertThat(byOwner.getString("status")).isEqualTo("revoked");
            assertThat(byOwner.getString("revokedReason"))
                    .isEqualTo("revoked by the owner of dataset '" + datasetId + "': the study ended");
            JsonObject byHolder = json(TestHttp.delete(broker, "/v1/grants/" + second, other, null), 200);
            assertThat(byHolder.getString("revokedReason")).isEqualTo("revoked by its holder, who gave it up");
            assertThat(TestHttp.delete(broker, "/v1/grants/" + second, other, null).statusCode()).isEqualTo(409);

            HttpResponse<String> afterwards = TestHttp.get(broker, "/v1/grants/" + first + "/stream", lab);
            assertThat(afterwards.statusCode()).isEqualTo(403);
            assertThat(afterwards.body()).contains("was revoked by the owner of dataset '" + datasetId + "': the study ended");
            String revocations = TestHttp.getText(broker, "/v1/audit?action=grant.revoked&limit=100", owner);
            assertThat(revocations).contains("\"code\":\"REVOKED_BY_OWNER\"", "\"code\":\"GIVEN_UP_BY_HOLDER\"",
                    "the study ended");
            assertThat(revocations.split("\"action\":\"grant.revoked\"", -1)).hasSize(3);
            JsonArray listedAfter = json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/grants", owner), 200)
                    .getJsonArray("grants");
            assertThat(listedAfter.stream().map(g -> ((JsonObject) g).getString("status")).toList())
                    .containsExactly("revoked", "revoked");
        }
    }

    @Test
    void aDuplicateNameIsRefusedWith409NamingTheDatasetThatHasIt() throws Exception {
        try (Broker broker = start("h2", 100, 128 * 1024 * 1024)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String first = register(broker, owner, "patients", RESEARCH, "");
            HttpResponse<String> duplicate = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"patients\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"patients.parquet\"},\"policy\":" + RESEARCH + "}");
            assertThat(duplicate.statusCode()).isEqualTo(409);
            assertThat(new JsonObject(duplicate.body()).getString("message")).isEqualTo("organisation 'hospital-a'"
                    + " already has a dataset named 'patients': " + first + "; withdraw it first or choose another name");
            assertThat(new JsonObject(duplicate.body()).getString("error")).isEqualTo("dataset_name_taken");
            String auditor = TestHttp.devToken(broker, "eve", "regulator", "compliance-officer");
            assertThat(TestHttp.getText(broker, "/v1/audit?action=dataset.rejected&limit=10", auditor))
                    .contains("already has a dataset named 'patients'");
            assertThat(new JsonObject(TestHttp.getText(broker, "/v1/catalog", owner)).getJsonArray("datasets")).hasSize(1);
        }
    }

    @Test
    void aPurposeOutsideTheHierarchyIsRefusedWith400ListingTheKnownPurposes() throws Exception {
        try (Broker broker = start("h2", 100, 128 * 1024 * 1024)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String misspelled = RESEARCH.replace("scientific-research", "medical-reserch");
            String expected = "the policy names purpose [medical-reserch] that this broker does not know; known purposes:"
                    + " [clinical-research, commercial, marketing, medical-research, model-training, product-development,"
                    + " public-health, scientific-research, statistics] (the broker's purpose hierarchy, --purposes)";
            HttpResponse<String> registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"patients\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"patients.parquet\"},\"policy\":" + misspelled + "}");
            assertThat(registered.statusCode()).isEqualTo(400);
            assertThat(new JsonObject(registered.body()).getString("message")).isEqualTo(expected);
            assertThat(new JsonObject(registered.body()).getString("error")).isEqualTo("unknown_purpose");

            // In a prohibition, nested in a logical constraint, on a policy change: the same.
            String datasetId = register(broker, owner, "patients", RESEARCH, "");
            String nested = """
                    {"@type": "Set", "permission": [{"action": "use"}], "prohibition": [{"action": "use", "constraint": [
                      {"or": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "marketing"},
                              {"leftOperand": "purpose", "operator": "eq", "rightOperand": "advertsing"}]}]}]}""";
            HttpResponse<String> changed = TestHttp.put(broker, "/v1/datasets/" + datasetId + "/policy", owner, nested);
            assertThat(changed.statusCode()).isEqualTo(400);
            assertThat(changed.body()).contains("the policy names purpose [advertsing] that this broker does not know");
            assertThat(TestHttp.getText(broker, "/v1/audit?action=policy.rejected&limit=10", owner))
                    .contains("\"code\":\"UNKNOWN_PURPOSE\"");
            assertThat(json(TestHttp.get(broker, "/v1/datasets/" + datasetId + "/policy", owner), 200)
                    .getInteger("version")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void optOutsOfAnInt64SubjectColumnAreIntegersAndWithdrawThoseRows(String kind) throws Exception {
        try (Broker broker = start(kind, 100, 128 * 1024 * 1024)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String datasetId = register(broker, owner, "patients", OPEN, "\"subjectColumn\":\"id\",");
            String optOuts = "/v1/datasets/" + datasetId + "/opt-outs";

            HttpResponse<String> fraction = TestHttp.post(broker, optOuts, owner, "{\"ids\":[1, 2.5]}");
            assertThat(fraction.statusCode()).isEqualTo(400);
            assertThat(new JsonObject(fraction.body()).getString("message")).isEqualTo("opt-out id 2.5 is not an int64 id:"
                    + " subject column 'id' is int64 and takes a JSON integer, or a string of one");
            HttpResponse<String> word = TestHttp.post(broker, optOuts, owner, "{\"ids\":[\"seven\"]}");
            assertThat(word.statusCode()).isEqualTo(400);
            assertThat(word.body()).contains("opt-out id \\\"seven\\\" is not an int64 id");
            HttpResponse<String> huge = TestHttp.post(broker, optOuts, owner, "{\"ids\":[99999999999999999999]}");
            assertThat(huge.statusCode()).isEqualTo(400);
            assertThat(huge.body()).contains("an integer from -9223372036854775808 to 9223372036854775807");
            assertThat(TestHttp.getText(broker, "/v1/audit?action=optout.rejected&limit=10", owner))
                    .contains("opt-out id 2.5 is not an int64 id");

            // Integers, and strings of them; "007" is subject 7, given twice.
            JsonObject added = json(TestHttp.post(broker, optOuts, owner, "{\"ids\":[3, \"5\", 7, \"007\"]}"), 200);
            assertThat(added.getInteger("added")).isEqualTo(3);
            String grantId = grant(broker, lab, datasetId, "statistics");
            List<Long> rows = TestStreams.read(broker.uri(), grantId, lab, "").rows();
            assertThat(rows).hasSize(97).doesNotContain(3L, 5L, 7L).contains(0L, 4L, 99L);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aSubjectColumnSetByALaterPolicyVersionTakesOptOuts(String kind) throws Exception {
        try (Broker broker = start(kind, 100, 128 * 1024 * 1024)) {
            String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
            String datasetId = register(broker, owner, "patients", OPEN, "");
            String optOuts = "/v1/datasets/" + datasetId + "/opt-outs";
            HttpResponse<String> none = TestHttp.post(broker, optOuts, owner, "{\"ids\":[1]}");
            assertThat(none.statusCode()).isEqualTo(400);
            assertThat(none.body()).contains("has no subjectColumn", "set one with a new policy version");

            String policy = "/v1/datasets/" + datasetId + "/policy";
            HttpResponse<String> misplaced = TestHttp.put(broker, policy, owner,
                    OPEN.replace("\"@type\"", "\"subjectColumn\": \"id\", \"@type\""));
            assertThat(misplaced.statusCode()).isEqualTo(400);
            assertThat(misplaced.body()).contains("'subjectColumn' goes beside the policy, not in it");
            HttpResponse<String> unknown = TestHttp.put(broker, policy, owner, "{\"policy\":" + OPEN + ",\"subjectColumn\":\"ssn\"}");
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(unknown.body()).contains("subject column 'ssn' is not in the dataset");

            JsonObject changed = json(TestHttp.put(broker, policy, owner, "{\"policy\":" + OPEN + ",\"subjectColumn\":\"id\"}"), 200);
            assertThat(changed.getInteger("policyVersion")).isEqualTo(2);
            assertThat(json(TestHttp.get(broker, "/v1/datasets/" + datasetId, owner), 200).getString("subjectColumn"))
                    .isEqualTo("id");
            assertThat(json(TestHttp.post(broker, optOuts, owner, "{\"ids\":[10, 11]}"), 200).getInteger("added"))
                    .isEqualTo(2);
            String grantId = grant(broker, lab, datasetId, "statistics");
            assertThat(TestStreams.read(broker.uri(), grantId, lab, "").rows()).hasSize(98).doesNotContain(10L, 11L);

            // Recorded opt-outs are ids of that column: another column would let those subjects through.
            HttpResponse<String> moved = TestHttp.put(broker, policy, owner, "{\"policy\":" + OPEN + ",\"subjectColumn\":\"name\"}");
            assertThat(moved.statusCode()).isEqualTo(409);
            assertThat(moved.body()).contains("has 2 opt-out(s) recorded as ids of subject column 'id'");
            // A policy change in the old shape keeps the subject column.
            json(TestHttp.put(broker, policy, owner, OPEN), 200);
            JsonObject inForce = json(TestHttp.get(broker, policy, owner), 200);
            assertThat(inForce.getInteger("version")).isEqualTo(3);
            assertThat(inForce.getString("subjectColumn")).isEqualTo("id");
        }
    }
}
