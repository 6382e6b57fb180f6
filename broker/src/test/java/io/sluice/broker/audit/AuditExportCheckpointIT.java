package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.Poll;
import io.sluice.broker.TestCli;
import io.sluice.broker.TestDatabases;
import io.sluice.broker.TestHttp;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleTree;
import io.sluice.broker.audit.tlog.NoteSigner;
import io.sluice.broker.audit.tlog.NoteVerificationException;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export ships the checkpoint its broker signed at its size, in the response ({@code Sluice-Audit-Checkpoint},
 * with the signer's key in {@code Sluice-Audit-Key}). Brokers on one store each sign with their own key and the
 * store keeps one note per size, whoever stored it first; a checkpoint taken from {@code /v1/audit/checkpoints}
 * would then verify with the key of whichever broker won, not of the broker that answered.
 */
class AuditExportCheckpointIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void anExportCarriesTheNoteItsBrokerSignedAtExactlyItsSize() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir.resolve("broker")))) {
            for (int i = 0; i < 3; i++) {
                assertThat(TestHttp.get(broker, "/v1/catalog", null).statusCode()).isEqualTo(401);
            }
            String officer = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
            String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
            String key = TestHttp.getText(broker, "/v1/audit/public-key", null).trim();

            java.util.Map<String, String> scopes = new java.util.LinkedHashMap<>();
            for (var export : java.util.List.of(TestHttp.get(broker, "/v1/audit/export", officer),
                    TestHttp.get(broker, "/v1/audit/export?format=csv&action=auth.failed", officer),
                    TestHttp.get(broker, "/v1/audit/export?format=fhir", owner),
                    TestHttp.get(broker, "/v1/audit/export", owner))) {
                assertThat(export.statusCode()).isEqualTo(200);
                scopes.put(java.util.Objects.toString(export.uri().getQuery(), "no filter") + " as " + (export.request().headers().firstValue("Authorization")
                        .orElseThrow().endsWith(owner) ? "owner" : "officer"),
                        export.headers().firstValue(AuditExportHeaders.SCOPE).orElseThrow());
                long treeSize = Long.parseLong(export.headers().firstValue("Sluice-Tree-Size").orElseThrow());
                assertThat(export.headers().firstValue("Sluice-Audit-Key")).as(export.uri().toString()).hasValue(key);
                Checkpoint signed = Checkpoint.parseBody(NoteVerifier.parse(key).verify(checkpointHeader(export)));
                assertThat(signed.size()).as(export.uri().toString()).isEqualTo(treeSize);
                assertThat(HexFormat.of().formatHex(signed.rootHash()))
                        .isEqualTo(storedAt(broker, officer, treeSize).path("rootHash").asText());
            }
            // Only the officer's unfiltered export is the whole log; a data owner's is theirs only, filter or not.
            assertThat(scopes).containsExactly(java.util.Map.entry("no filter as officer", "log"),
                    java.util.Map.entry("format=csv&action=auth.failed as officer", "subset"),
                    java.util.Map.entry("format=fhir as owner", "subset"), java.util.Map.entry("no filter as owner", "subset"));
        }
    }

    /**
     * Broker a stores its note at the size broker b's export ends at, after b appended the export's record and
     * before b signs (what a's one-second signer does when it wins that race, forced here by holding b's signing
     * back with a table lock). The export's checkpoint file must still be b's, and verify with b's key.
     */
    @Test
    void anExportFromOneBrokerOfASharedStoreVerifiesWithThatBrokersKeyWhenAnotherStoredTheSize() throws Exception {
        String url = TestDatabases.fresh("postgres", dir);
        BrokerConfig configOfA = BrokerConfig.embedded(dir.resolve("a")).withDatabase(url);
        try (Broker a = Broker.start(configOfA);
                Broker b = Broker.start(BrokerConfig.embedded(dir.resolve("b")).withDatabase(url))) {
            for (int i = 0; i < 4; i++) {
                assertThat(TestHttp.get(i % 2 == 0 ? a : b, "/v1/catalog", null).statusCode()).isEqualTo(401);
            }
            String officerOnA = TestHttp.devToken(a, "ines", "authority", "compliance-officer");
            String officerOnB = TestHttp.devToken(b, "ines", "authority", "compliance-officer");
            NoteVerifier keyOfA = NoteVerifier.parse(TestHttp.getText(a, "/v1/audit/public-key", null).trim());
            NoteVerifier keyOfB = NoteVerifier.parse(TestHttp.getText(b, "/v1/audit/public-key", null).trim());
            assertThat(keyOfB.verifierKey()).isNotEqualTo(keyOfA.verifierKey());
            Path keyFileOfB = dir.resolve("b.pub");
            Files.writeString(keyFileOfB, keyOfB.verifierKey() + "\n");
            long before = treeSize(a, officerOnA);

            Path out = dir.resolve("audit.jsonl");
            CompletableFuture<TestCli.Result> exported;
            long size;
            String noteOfA;
            try (Connection store = DriverManager.getConnection(url)) {
                store.setAutoCommit(false);
                try (Statement lock = store.createStatement()) {
                    // Every read of the checkpoints waits now, b's signing for its export among them.
                    lock.execute("LOCK TABLE audit_checkpoints IN ACCESS EXCLUSIVE MODE");
                }
                exported = CompletableFuture.supplyAsync(() -> TestCli.run("audit", "export", "--broker",
                        b.uri().toString(), "--token", officerOnB, "--out", out.toString()));
                size = exportRecordOf(a, officerOnA, before) + 1;
                noteOfA = signedBy(configOfA, a, officerOnA, size);
                try (PreparedStatement insert = store.prepareStatement("INSERT INTO audit_checkpoints"
                        + " (tree_size, root_hash, note, signed_at) VALUES (?, ?, ?, ?)")) {
                    insert.setLong(1, size);
                    insert.setString(2, HexFormat.of().formatHex(Checkpoint.parseBody(keyOfA.verify(noteOfA)).rootHash()));
                    insert.setString(3, noteOfA);
                    insert.setTimestamp(4, Timestamp.from(Instant.now()));
                    insert.executeUpdate();
                }
                store.commit();
            }
            TestCli.Result result = exported.get(60, TimeUnit.SECONDS);
            assertThat(result.exitCode()).as(result.output()).isZero();

            // The store's note at the export's size is a's: the list would have handed out a note b's key refuses.
            JsonNode listed = storedAt(b, officerOnB, size);
            assertThat(listed.path("note").asText()).isEqualTo(noteOfA);
            assertThatThrownBy(() -> keyOfB.verify(listed.path("note").asText()))
                    .isInstanceOf(NoteVerificationException.class).hasMessageContaining("no signature by key");

            // What export wrote is b's note at that size, and b's key beside it.
            Path checkpoint = Path.of(out + ".checkpoint");
            Path writtenKey = Path.of(out + ".pub");
            assertThat(result.output()).contains("wrote the checkpoint signed at size " + String.format("%,d", size)
                    + ", covering every record in the export, to " + checkpoint + ", and the key of the broker that"
                    + " signed it to " + writtenKey + " (it names the signer and proves nothing by itself: compare it"
                    + " with a key you hold from elsewhere)");
            assertThat(Checkpoint.parseBody(keyOfB.verify(Files.readString(checkpoint))).size()).isEqualTo(size);
            assertThat(Files.readString(writtenKey)).isEqualTo(keyOfB.verifierKey() + "\n");
            assertThat(Files.readAllLines(out)).hasSize((int) size);
            for (Path key : java.util.List.of(keyFileOfB, writtenKey)) {
                TestCli.Result verified = TestCli.run("audit", "verify", "--file", out.toString(), "--public-key",
                        key.toString(), "--state", dir.resolve("state-" + key.getFileName()).toString());
                assertThat(verified.exitCode()).as(verified.output()).isZero();
                assertThat(verified.output()).startsWith("OK: " + size + " records; 1 signed checkpoints verified,"
                        + " the latest at size " + size + " ");
                // The key that came with the export only names the signer: verify says so.
                assertThat(verified.output().contains("WARNING: the key is the one this export came with"))
                        .isEqualTo(key.equals(writtenKey));
            }

            // The list's note beside the same file, as the CLI wrote it before: b's key does not verify it.
            Path old = dir.resolve("old.jsonl");
            Files.copy(out, old);
            Files.writeString(Path.of(old + ".checkpoint"), listed.path("note").asText());
            TestCli.Result refused = TestCli.run("audit", "verify", "--file", old.toString(), "--public-key",
                    keyFileOfB.toString(), "--state", dir.resolve("state-old").toString());
            assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
        }
    }

    private static String checkpointHeader(HttpResponse<String> export) {
        String encoded = export.headers().firstValue("Sluice-Audit-Checkpoint").orElseThrow();
        assertThat(encoded).matches("[A-Za-z0-9+/]+={0,2}");
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }

    private static JsonNode storedAt(Broker broker, String token, long size) throws Exception {
        JsonNode stored = JSON.readTree(TestHttp.getText(broker, "/v1/audit/checkpoints?limit=1&after=" + (size - 1), token))
                .path("checkpoints").path(0);
        assertThat(stored.path("size").asLong()).as("a stored checkpoint at size %d", size).isEqualTo(size);
        return stored;
    }

    private static long treeSize(Broker broker, String token) throws Exception {
        return JSON.readTree(TestHttp.getText(broker, "/v1/audit/entries?start=0&end=0", token)).path("treeSize").asLong();
    }

    /** Waits for the export's {@code audit.exported} record after {@code from} (read without the checkpoints) and returns its index. */
    private static long exportRecordOf(Broker broker, String token, long from) throws Exception {
        long[] index = {-1};
        Poll.until(() -> {
            try {
                JsonNode entries = JSON.readTree(TestHttp.getText(broker, "/v1/audit/entries?start=" + from + "&end="
                        + (from + 100), token)).path("entries");
                for (JsonNode entry : entries) {
                    JsonNode record = JSON.readTree(Base64.getDecoder().decode(entry.path("leaf").asText()));
                    if (record.path("action").asText().equals("audit.exported")) {
                        index[0] = entry.path("index").asLong();
                    }
                }
                return index[0] >= 0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, Duration.ofSeconds(30), "the export's audit.exported record");
        return index[0];
    }

    /** The note broker a signs at {@code size}, made from its key file and the leaves, without the locked table. */
    private static String signedBy(BrokerConfig config, Broker broker, String token, long size) throws Exception {
        MerkleTree tree = new MerkleTree();
        JsonNode entries = JSON.readTree(TestHttp.getText(broker, "/v1/audit/entries?start=0&end=" + size, token))
                .path("entries");
        assertThat(entries).hasSize((int) size);
        entries.forEach(entry -> tree.append(MerkleHash.leaf(Base64.getDecoder().decode(entry.path("leaf").asText()))));
        NoteSigner signer = AuditSigningKey.loadOrCreate(config.dataDir(), config.auditOrigin());
        return signer.sign(new Checkpoint(config.auditOrigin(), size, tree.root()).body());
    }
}
