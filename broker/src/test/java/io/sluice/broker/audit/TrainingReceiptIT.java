package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestCli;
import io.sluice.broker.TestDatabases;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestParquet;
import io.sluice.broker.TestPolicies;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training receipts against a real broker: a grant with two streams gets a receipt that verifies
 * offline and matches what the client itself received; each way of tampering with it fails with
 * the message that names it; only the holder's organisation, the owning data owner and compliance
 * officers read it.
 */
class TrainingReceiptIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** One broker with a dataset, a lab's grant on it read twice, and what the lab received. */
    private record Setup(Broker broker, String owner, String lab, String dataset, String grant,
            List<Received> streams, NoteVerifier key, Path keyFile) {}

    private record Received(String streamId, long bytes, String sha256) {}

    private Setup setUp(Path data) throws Exception {
        BrokerConfig config = BrokerConfig.embedded(data);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), 5_000);
        Broker broker = Broker.start(config);
        String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
        String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
        String dataset = TestHttp.id(created(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"patients\","
                + "\"source\":{\"type\":\"parquet\",\"path\":\"patients.parquet\"},\"policy\":"
                + TestPolicies.SCIENTIFIC_RESEARCH + "}")));
        String grant = grant(broker, lab, dataset);
        List<Received> streams = List.of(read(broker, grant, lab, "shard=0&shards=2"), read(broker, grant, lab, "shard=1&shards=2"));
        String key = TestHttp.getText(broker, "/v1/audit/public-key", null);
        Path keyFile = data.resolve("audit.pub");
        Files.writeString(keyFile, key);
        return new Setup(broker, owner, lab, dataset, grant, streams, NoteVerifier.parse(key.trim()), keyFile);
    }

    @Test
    void aGrantWithTwoStreamsHasAReceiptThatVerifiesAndMatchesWhatTheClientReceived() throws Exception {
        Setup s = setUp(dir.resolve("a"));
        try (Broker broker = s.broker()) {
            String text = receipt(broker, s.grant(), s.lab(), "");
            TrainingReceipt receipt = TrainingReceipt.parse(text);
            assertThat(receipt.grant()).isEqualTo(s.grant());
            assertThat(receipt.dataset()).isEqualTo(s.dataset());
            assertThat(receipt.purpose()).isEqualTo("scientific-research");
            assertThat(receipt.holderOrganisation()).isEqualTo("ai-lab");
            assertThat(receipt.records()).as("grant.issued and two streams' opening and end").hasSize(5);

            ReceiptVerifier.Expectations received = new ReceiptVerifier.Expectations(
                    List.of(s.streams().get(0).sha256(), s.streams().get(1).sha256()),
                    OptionalLong.of(s.streams().get(0).bytes() + s.streams().get(1).bytes()), Optional.empty());
            ReceiptVerifier.Result result = new ReceiptVerifier(s.key()).verify(receipt, received);
            assertThat(result.problem()).isEmpty();
            assertThat(result.streams()).extracting(ReceiptVerifier.StreamUse::stream)
                    .containsExactly(s.streams().get(0).streamId(), s.streams().get(1).streamId());
            assertThat(result.rows()).as("the two shards cover the dataset once").isEqualTo(5_000);
            assertThat(result.streams()).allMatch(ReceiptVerifier.StreamUse::completed);

            assertThat(receipt(broker, s.grant(), s.lab(), "")).as("asked again: the same receipt, the same checkpoint")
                    .isEqualTo(text);

            Path file = dir.resolve("receipt.json");
            Files.writeString(file, text);
            TestCli.Result cli = TestCli.run("receipt", "verify", file.toString(), "--public-key", s.keyFile().toString(),
                    "--expect-sha256", s.streams().get(0).sha256() + "," + s.streams().get(1).sha256(),
                    "--expect-bytes", Long.toString(s.streams().get(0).bytes() + s.streams().get(1).bytes()));
            assertThat(cli.exitCode()).as(cli.output()).isZero();
            assertThat(cli.output())
                    .contains("grant         " + s.grant() + ", held by trainer-7@ai-lab, purpose scientific-research")
                    .contains("stream        " + s.streams().get(0).streamId() + " shard 0 of 2, epoch 0: closed")
                    .contains("sha256 " + s.streams().get(1).sha256())
                    .contains("total         2 stream(s), 2 completed: 5,000 rows, "
                            + String.format("%,d", s.streams().get(0).bytes() + s.streams().get(1).bytes()) + " bytes")
                    .contains("OK: 5 records of grant " + s.grant());

            // One rank checks its own stream: its digest names the stream its bytes are compared with.
            TestCli.Result oneRank = TestCli.run("receipt", "verify", file.toString(), "--public-key", s.keyFile().toString(),
                    "--expect-sha256", s.streams().get(0).sha256(), "--expect-bytes", Long.toString(s.streams().get(0).bytes()));
            assertThat(oneRank.exitCode()).as(oneRank.output()).isZero();

            TestCli.Result wrongBytes = TestCli.run("receipt", "verify", file.toString(), "--public-key",
                    s.keyFile().toString(), "--expect-bytes", "17");
            assertThat(wrongBytes.exitCode()).isEqualTo(1);
            assertThat(wrongBytes.output()).contains("FAILED: the receipt's completed streams add up to "
                    + String.format("%,d", s.streams().get(0).bytes() + s.streams().get(1).bytes()) + " bytes, not the 17 expected");
        }
    }

    @Test
    void eachWayOfTamperingFailsNamingWhatWasWrong() throws Exception {
        Setup s = setUp(dir.resolve("a"));
        Setup other = setUp(dir.resolve("b"));
        try (Broker broker = s.broker(); Broker second = other.broker()) {
            // Another grant on the same log, issued before the first grant's streams ended: under the same checkpoint.
            String otherGrant = grant(broker, s.lab(), s.dataset());
            read(broker, s.grant(), s.lab(), "shard=0&shards=1");
            ObjectNode receipt = (ObjectNode) JSON.readTree(receipt(broker, s.grant(), s.lab(), ""));
            ReceiptVerifier verifier = new ReceiptVerifier(s.key());
            assertThat(verifier.verify(TrainingReceipt.parse(receipt.toString()), ReceiptVerifier.Expectations.NONE).problem())
                    .isEmpty();
            int closed = position(receipt, "stream.closed");
            long closedIndex = receipt.path("records").get(closed).path("index").asLong();
            String closedStream = leaf(receipt, closed).path("stream").asText();

            assertThat(problem(verifier, receipt, r -> withLeaf(r, closed, leaf -> leaf.put("bytes",
                    leaf.path("bytes").asLong() + 1))))
                    .isEqualTo("record " + closedIndex + " (stream.closed of stream " + closedStream
                            + ") is not in the log at the checkpoint of size " + receipt.path("treeSize").asLong()
                            + ": its bytes were altered, or its proof is from another log");

            long openedIndex = receipt.path("records").get(position(receipt, "stream.opened")).path("index").asLong();
            assertThat(problem(verifier, receipt, r -> {
                ((ArrayNode) r.path("records")).remove(closed);
                return r;
            })).isEqualTo("stream " + closedStream + " has no end at checkpoint " + receipt.path("treeSize").asLong()
                    + ": still running? fetch the receipt again after the run, or pass --allow-running");

            int opened = position(receipt, "stream.opened");
            String openedStream = leaf(receipt, opened).path("stream").asText();
            assertThat(problem(verifier, receipt, r -> {
                ((ArrayNode) r.path("records")).add(r.path("records").get(closed).deepCopy());
                return r;
            })).as("a duplicated record").isEqualTo("record " + closedIndex + " (stream.closed of stream " + closedStream
                    + ") appears twice");
            assertThat(problem(verifier, receipt, r -> {
                ((ArrayNode) r.path("records")).remove(opened);
                return r;
            })).as("a stream.closed without its stream.opened").isEqualTo("stream " + openedStream + " ended (record "
                    + closedIndexOf(receipt, openedStream) + ") but the receipt has no record of its opening"
                    + " (stream.opened): a record was dropped");
            assertThat(new ReceiptVerifier(s.key()).verify(TrainingReceipt.parse(receipt.toString()),
                    ReceiptVerifier.Expectations.NONE, ReceiptVerifier.RunningStreams.ALLOW).ok()).isTrue();

            assertThat(problem(verifier, receipt, r -> r.put("treeSize", r.path("treeSize").asLong() + 1)))
                    .as("a treeSize field that disagrees with the checkpoint")
                    .isEqualTo("the receipt says treeSize " + (receipt.path("treeSize").asLong() + 1)
                            + " but its signed checkpoint is at size " + receipt.path("treeSize").asLong());

            ObjectNode foreign = (ObjectNode) JSON.readTree(receipt(second, other.grant(), other.lab(), ""));
            JsonNode foreignProof = foreign.path("records").get(position(foreign, "stream.closed")).path("proof");
            assertThat(problem(verifier, receipt, r -> {
                ((ObjectNode) r.path("records").get(closed)).set("proof", foreignProof);
                return r;
            })).endsWith("is not in the log at the checkpoint of size " + receipt.path("treeSize").asLong()
                    + ": its bytes were altered, or its proof is from another log");
            assertThat(verifier.verify(TrainingReceipt.parse(foreign.toString()), ReceiptVerifier.Expectations.NONE)
                    .problem().orElseThrow())
                    .as("a whole receipt of another log")
                    .startsWith("the receipt's checkpoint is not signed by the log's key " + s.key().name()
                            + ": note has no signature by key");

            assertThat(problem(verifier, receipt, r -> r.put("checkpoint", forgedSignature(r.path("checkpoint").asText()))))
                    .startsWith("the receipt's checkpoint is not signed by the log's key " + s.key().name() + ": bad signature by key")
                    .endsWith("the note was altered");

            // The other grant's grant.issued record, with a true proof against this receipt's checkpoint.
            String otherReceipt = receipt(broker, otherGrant, s.lab(), "");
            JsonNode otherIssued = JSON.readTree(otherReceipt).path("records").get(0);
            long otherIndex = otherIssued.path("index").asLong();
            JsonNode proof = JSON.readTree(TestHttp.getText(broker, "/v1/audit/proof/inclusion?index=" + otherIndex
                    + "&size=" + receipt.path("treeSize").asLong(), s.lab())).path("hashes");
            assertThat(problem(verifier, receipt, r -> {
                ((ArrayNode) r.path("records")).addObject().put("index", otherIndex)
                        .put("leaf", otherIssued.path("leaf").asText()).set("proof", proof);
                return r;
            })).isEqualTo("record " + otherIndex + " (grant.issued) belongs to grant " + otherGrant + ", not to grant "
                    + s.grant());

            assertThat(problem(verifier, receipt, r -> r.put("purpose", "marketing")))
                    .startsWith("the receipt says purpose 'marketing' but the grant.issued record");
        }
    }

    @Test
    void aConsistencyProofLinksTheReceiptsCheckpointToALaterOne() throws Exception {
        Setup s = setUp(dir.resolve("a"));
        try (Broker broker = s.broker()) {
            long anchored = JSON.readTree(receipt(broker, s.grant(), s.lab(), "")).path("treeSize").asLong();
            grant(broker, s.lab(), s.dataset()); // the log grows past the receipt's checkpoint
            HttpResponse<String> checkpoint = TestHttp.get(broker, "/v1/audit/checkpoint", s.lab());
            long later = Long.parseLong(checkpoint.headers().firstValue("Sluice-Tree-Size").orElseThrow());
            assertThat(later).isGreaterThan(anchored);
            Path laterFile = dir.resolve("later.checkpoint");
            Files.writeString(laterFile, checkpoint.body());

            String text = receipt(broker, s.grant(), s.lab(), "?consistencyTo=" + later);
            assertThat(JSON.readTree(text).path("treeSize").asLong()).as("still anchored where it was").isEqualTo(anchored);
            Path file = dir.resolve("receipt.json");
            Files.writeString(file, text);
            TestCli.Result ok = TestCli.run("receipt", "verify", file.toString(), "--public-key", s.keyFile().toString(),
                    "--consistency-to", laterFile.toString());
            assertThat(ok.exitCode()).as(ok.output()).isZero();
            assertThat(ok.output()).contains("consistency   the checkpoint is a prefix of the checkpoint at size " + later
                    + " (verified)");

            Files.writeString(file, receipt(broker, s.grant(), s.lab(), ""));
            TestCli.Result missing = TestCli.run("receipt", "verify", file.toString(), "--public-key",
                    s.keyFile().toString(), "--consistency-to", laterFile.toString());
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.output()).contains("FAILED: the receipt has no consistency proof to size " + later
                    + ": fetch it with GET /v1/grants/" + s.grant() + "/receipt?consistencyTo=" + later);

            ObjectNode bent = (ObjectNode) JSON.readTree(text);
            ArrayNode hashes = (ArrayNode) bent.path("consistency").path("proof");
            hashes.set(0, hashes.get(hashes.size() - 1));
            hashes.add(hashes.get(0));
            assertThat(new ReceiptVerifier(s.key()).verify(TrainingReceipt.parse(bent.toString()),
                    ReceiptVerifier.Expectations.NONE).problem().orElseThrow())
                    .isEqualTo("the receipt's checkpoint (size " + anchored + ") is not proven a prefix of the later"
                            + " checkpoint (size " + later + "): the log was rewritten between them, or the proof is from"
                            + " another log");

            assertThat(get(broker, "/v1/grants/" + s.grant() + "/receipt?consistencyTo=" + (anchored - 1), s.lab())
                    .statusCode()).isEqualTo(400);
            assertThat(get(broker, "/v1/grants/" + s.grant() + "/receipt?consistencyTo=latest", s.lab()).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void onlyTheHolderTheOwnerAndComplianceReadReceipts() throws Exception {
        Setup s = setUp(dir.resolve("a"));
        try (Broker broker = s.broker()) {
            String colleague = TestHttp.devToken(broker, "trainer-8", "ai-lab", "data-consumer");
            String eve = TestHttp.devToken(broker, "eve", "other-lab", "data-consumer");
            String otherOwner = TestHttp.devToken(broker, "oscar", "clinic-b", "data-owner");
            String auditor = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
            String path = "/v1/grants/" + s.grant() + "/receipt";
            assertThat(get(broker, path, s.lab()).statusCode()).isEqualTo(200);
            assertThat(get(broker, path, s.owner()).statusCode()).isEqualTo(200);
            assertThat(get(broker, path, auditor).statusCode()).isEqualTo(200);
            // As for the grant's streams and its revocation: the holder is a subject of an organisation, not the organisation.
            for (String stranger : List.of(colleague, eve, otherOwner)) {
                HttpResponse<String> refused = get(broker, path, stranger);
                assertThat(refused.statusCode()).isEqualTo(403);
                assertThat(JSON.readTree(refused.body()).path("message").asText()).isEqualTo("grant '" + s.grant()
                        + "' is neither held by the caller nor on a dataset of its organisation");
            }
            assertThat(get(broker, "/v1/grants/gr-none/receipt", s.lab()).statusCode()).isEqualTo(404);
            JsonNode audit = JSON.readTree(TestHttp.getText(broker, "/v1/audit?action=auth.failed&dataset=" + s.dataset(),
                    auditor));
            assertThat(audit.path("records")).extracting(r -> r.path("actor").path("subject").asText()
                    + " " + r.path("grant").asText() + " " + r.path("reasons").get(0).path("code").asText()
                    + " " + r.path("message").asText())
                    .containsExactly(
                            "trainer-8 " + s.grant() + " NOT_GRANT_HOLDER reading the training receipt refused: grant '"
                                    + s.grant() + "' is neither held by the caller nor on a dataset of its organisation",
                            "eve " + s.grant() + " NOT_GRANT_HOLDER reading the training receipt refused: grant '"
                                    + s.grant() + "' is neither held by the caller nor on a dataset of its organisation",
                            "oscar " + s.grant() + " NOT_DATASET_OWNER reading the training receipt refused: grant '"
                                    + s.grant() + "' is neither held by the caller nor on a dataset of its organisation");

            String second = grant(broker, colleague, s.dataset());
            String receipts = "/v1/datasets/" + s.dataset() + "/receipts";
            JsonNode page = JSON.readTree(TestHttp.getText(broker, receipts + "?limit=1", s.owner()));
            assertThat(page.path("receipts")).singleElement()
                    .satisfies(r -> assertThat(r.path("grant").asText()).isEqualTo(second));
            JsonNode next = JSON.readTree(TestHttp.getText(broker, receipts + "?limit=1&after=" + page.path("next").asText(),
                    s.owner()));
            assertThat(next.path("receipts")).singleElement().satisfies(r -> {
                assertThat(r.path("grant").asText()).isEqualTo(s.grant());
                assertThat(new ReceiptVerifier(s.key()).verify(TrainingReceipt.parse(r.toString()),
                        ReceiptVerifier.Expectations.NONE).ok()).isTrue();
            });
            assertThat(next.has("next")).isFalse();
            assertThat(get(broker, receipts, auditor).statusCode()).isEqualTo(200);
            assertThat(get(broker, receipts, otherOwner).statusCode()).isEqualTo(403);
            assertThat(get(broker, receipts, s.lab()).statusCode()).as("a consumer is no owner").isEqualTo(403);
            assertThat(get(broker, receipts + "?limit=101", s.owner()).statusCode()).isEqualTo(400);
        }
    }

    /**
     * Two brokers on one store each sign with their own key and the store keeps one checkpoint per
     * size, whoever signed it: each broker's receipt, and its consistency target, must be its own
     * note, or verification with that broker's public key fails for whichever broker did not store it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void eachBrokerOfAStoreAnchorsReceiptsAtItsOwnSignedCheckpoints(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        Path sources = dir.resolve("sources");
        TestParquet.write(sources.resolve("hospital-a/patients.parquet"), 2_000);
        try (Broker a = Broker.start(BrokerConfig.embedded(dir.resolve("a")).withSourcesDir(sources).withDatabase(url));
                Broker b = Broker.start(BrokerConfig.embedded(dir.resolve("b")).withSourcesDir(sources).withDatabase(url))) {
            String owner = TestHttp.devToken(a, "dr-weber", "hospital-a", "data-owner");
            String labOnA = TestHttp.devToken(a, "trainer-7", "ai-lab", "data-consumer");
            String labOnB = TestHttp.devToken(b, "trainer-7", "ai-lab", "data-consumer");
            String dataset = TestHttp.id(created(TestHttp.post(a, "/v1/datasets", owner, "{\"name\":\"patients\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"patients.parquet\"},\"policy\":"
                    + TestPolicies.SCIENTIFIC_RESEARCH + "}")));
            String grant = grant(a, labOnA, dataset);
            read(a, grant, labOnA, "shard=0&shards=2");
            read(b, grant, labOnB, "shard=1&shards=2");
            // Broker a stores a checkpoint covering the grant's records now, before broker b's timer can.
            long stored = Long.parseLong(TestHttp.get(a, "/v1/audit/checkpoint", labOnA).headers()
                    .firstValue("Sluice-Tree-Size").orElseThrow());
            NoteVerifier keyOfA = NoteVerifier.parse(TestHttp.getText(a, "/v1/audit/public-key", null).trim());
            NoteVerifier keyOfB = NoteVerifier.parse(TestHttp.getText(b, "/v1/audit/public-key", null).trim());
            assertThat(keyOfA.verifierKey()).isNotEqualTo(keyOfB.verifierKey());

            TrainingReceipt fromA = TrainingReceipt.parse(receipt(a, grant, labOnA, ""));
            TrainingReceipt fromB = TrainingReceipt.parse(receipt(b, grant, labOnB, ""));
            assertThat(fromB.treeSize()).as("both at the smallest stored checkpoint covering the records")
                    .isEqualTo(fromA.treeSize()).isLessThanOrEqualTo(stored);
            assertThat(new ReceiptVerifier(keyOfA).verify(fromA, ReceiptVerifier.Expectations.NONE).problem()).isEmpty();
            assertThat(new ReceiptVerifier(keyOfB).verify(fromB, ReceiptVerifier.Expectations.NONE).problem()).isEmpty();
            assertThat(TrainingReceipt.parse(receipt(b, grant, labOnB, "")).toJsonText())
                    .as("b's own note is deterministic: asked again, the same receipt").isEqualTo(fromB.toJsonText());

            // A later checkpoint that one of the two stored: each broker's consistency proof leads to its own note.
            grant(a, labOnA, dataset);
            long later = Long.parseLong(TestHttp.get(a, "/v1/audit/checkpoint", labOnA).headers()
                    .firstValue("Sluice-Tree-Size").orElseThrow());
            for (var broker : List.of(java.util.Map.entry(a, keyOfA), java.util.Map.entry(b, keyOfB))) {
                String token = broker.getKey() == a ? labOnA : labOnB;
                for (String to : List.of(Long.toString(later), "latest")) {
                    TrainingReceipt proven = TrainingReceipt.parse(receipt(broker.getKey(), grant, token, "?consistencyTo=" + to));
                    ReceiptVerifier.Result result = new ReceiptVerifier(broker.getValue()).verify(proven,
                            ReceiptVerifier.Expectations.NONE);
                    assertThat(result.problem()).as("consistencyTo=%s on broker %s", to, broker.getKey().uri()).isEmpty();
                    assertThat(result.consistentWith()).isPresent();
                }
            }
        }
    }

    /**
     * A store whose records were written before migration 7 (its column and index taken away again,
     * its row in Flyway's history too, so the next start migrates it as an older store) gives, once
     * migrated, the same receipts byte for byte; and what the broker appends after that is found
     * through the column its writer fills.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void receiptsAreTheSameAfterMigrationSevenFillsTheGrantColumnOfAnOlderStore(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        Path sources = dir.resolve("sources");
        TestParquet.write(sources.resolve("hospital-a/patients.parquet"), 2_000);
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("a")).withSourcesDir(sources).withDatabase(url);
        String dataset;
        List<String> grants;
        List<String> before = new java.util.ArrayList<>();
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
            dataset = TestHttp.id(created(TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"patients\","
                    + "\"source\":{\"type\":\"parquet\",\"path\":\"patients.parquet\"},\"policy\":"
                    + TestPolicies.SCIENTIFIC_RESEARCH + "}")));
            grants = List.of(grant(broker, lab, dataset), grant(broker, lab, dataset), grant(broker, lab, dataset));
            read(broker, grants.get(0), lab, "shard=0&shards=2");
            read(broker, grants.get(1), lab, "shard=0&shards=1");
            read(broker, grants.get(0), lab, "shard=1&shards=2");
            for (String grant : grants) {
                before.add(receipt(broker, grant, lab, ""));
            }
            before.add(TestHttp.getText(broker, "/v1/datasets/" + dataset + "/receipts", owner));
        }
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url);
                java.sql.Statement statement = connection.createStatement()) {
            statement.execute("DROP INDEX audit_log_grant");
            statement.execute("ALTER TABLE audit_log DROP COLUMN grant_id");
            assertThat(statement.executeUpdate("DELETE FROM \"flyway_schema_history\" WHERE \"version\" = '7'")).isOne();
        }

        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
            List<String> after = new java.util.ArrayList<>();
            for (String grant : grants) {
                after.add(receipt(broker, grant, lab, ""));
            }
            after.add(TestHttp.getText(broker, "/v1/datasets/" + dataset + "/receipts", owner));
            assertThat(after).isEqualTo(before);
            assertThat(TrainingReceipt.parse(before.get(0)).records()).as("grant.issued, two streams").hasSize(5);
            assertThat(TrainingReceipt.parse(before.get(2)).records()).as("grant.issued only").hasSize(1);
            try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url)) {
                assertThat(grantColumnMismatches(connection)).isEmpty();
            }

            read(broker, grants.get(2), lab, "shard=0&shards=1");
            TrainingReceipt grown = TrainingReceipt.parse(receipt(broker, grants.get(2), lab, ""));
            assertThat(grown.records()).extracting(r -> leafField(r.leaf(), "action"))
                    .containsExactly("grant.issued", "stream.opened", "stream.closed");
            try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url)) {
                assertThat(grantColumnMismatches(connection)).as("rows the writer appended").isEmpty();
            }
        }
    }

    /** Rows whose grant_id is not the grant their record names, as "index: column vs record". */
    private static List<String> grantColumnMismatches(java.sql.Connection connection) throws Exception {
        List<String> mismatches = new java.util.ArrayList<>();
        try (java.sql.Statement statement = connection.createStatement();
                java.sql.ResultSet rows = statement.executeQuery("SELECT idx, grant_id, record_json FROM audit_log")) {
            while (rows.next()) {
                String named = leafField(rows.getString(3).getBytes(StandardCharsets.UTF_8), "grant");
                if (!java.util.Objects.equals(rows.getString(2), named)) {
                    mismatches.add(rows.getLong(1) + ": " + rows.getString(2) + " vs " + named);
                }
            }
        }
        return mismatches;
    }

    private static String leafField(byte[] leaf, String field) {
        try {
            return JSON.readTree(leaf).path(field).asText(null);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String problem(ReceiptVerifier verifier, ObjectNode receipt, UnaryOperator<ObjectNode> tamper) {
        TrainingReceipt tampered = TrainingReceipt.parse(tamper.apply(receipt.deepCopy()).toString());
        return verifier.verify(tampered, ReceiptVerifier.Expectations.NONE).problem().orElse("(verified)");
    }

    /** The index of the stream.closed record of {@code stream} in the receipt. */
    private static long closedIndexOf(JsonNode receipt, String stream) {
        for (int i = 0; i < receipt.path("records").size(); i++) {
            ObjectNode record = leaf(receipt, i);
            if (record.path("action").asText().equals("stream.closed") && record.path("stream").asText().equals(stream)) {
                return record.path("index").asLong();
            }
        }
        throw new AssertionError("no stream.closed record of " + stream + " in the receipt");
    }

    private static int position(JsonNode receipt, String action) {
        for (int i = 0; i < receipt.path("records").size(); i++) {
            if (leaf(receipt, i).path("action").asText().equals(action)) {
                return i;
            }
        }
        throw new AssertionError("no " + action + " record in the receipt");
    }

    private static ObjectNode leaf(JsonNode receipt, int position) {
        try {
            return (ObjectNode) JSON.readTree(Base64.getDecoder().decode(receipt.path("records").get(position).path("leaf").asText()));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The receipt with one record's bytes changed (canonical form kept: the fields stay sorted). */
    private static ObjectNode withLeaf(ObjectNode receipt, int position, java.util.function.Consumer<ObjectNode> change) {
        ObjectNode leaf = leaf(receipt, position);
        change.accept(leaf);
        ((ObjectNode) receipt.path("records").get(position)).put("leaf",
                Base64.getEncoder().encodeToString(CanonicalJsonOf.bytes(leaf)));
        return receipt;
    }

    /** The note with its signature's last byte changed. */
    private static String forgedSignature(String note) {
        int line = note.lastIndexOf("\n— ");
        int space = note.indexOf(' ', line + 3);
        String signature = note.substring(space + 1, note.length() - 1);
        byte[] bytes = Base64.getDecoder().decode(signature);
        bytes[bytes.length - 1] ^= 1;
        return note.substring(0, space + 1) + Base64.getEncoder().encodeToString(bytes) + "\n";
    }

    private static String grant(Broker broker, String token, String dataset) throws Exception {
        return TestHttp.id(created(TestHttp.post(broker, "/v1/grants", token,
                "{\"dataset\":\"" + dataset + "\",\"purpose\":\"scientific-research\"}")));
    }

    private static String created(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return response.body();
    }

    /** Reads one stream whole, as a client would, and hashes what arrived. */
    private static Received read(Broker broker, String grant, String token, String query) throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(broker.uri().resolve(
                        "/v1/grants/" + grant + "/stream?" + query)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return new Received(response.headers().firstValue("Sluice-Stream-Id").orElseThrow(), response.body().length,
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(response.body())));
    }

    private static String receipt(Broker broker, String grant, String token, String query) throws Exception {
        HttpResponse<String> response = get(broker, "/v1/grants/" + grant + "/receipt" + query, token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static HttpResponse<String> get(Broker broker, String path, String token) throws Exception {
        return TestHttp.get(broker, path, token);
    }

    /** RFC 8785 bytes of a record, as the log writes them. */
    private static final class CanonicalJsonOf {
        static byte[] bytes(ObjectNode record) {
            return io.sluice.broker.audit.tlog.CanonicalJson.encode(JSON.convertValue(record, java.util.Map.class));
        }
    }
}
