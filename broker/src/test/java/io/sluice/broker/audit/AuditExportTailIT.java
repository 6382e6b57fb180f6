package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.TestCli;
import io.sluice.broker.TestHttp;
import io.sluice.broker.audit.tlog.CanonicalJson;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export's end: the records after its checkpoint (the tail) are what a forger would touch, so an
 * export must end at a checkpoint that covers it, and {@code sluice audit verify --file} must refuse
 * what no checkpoint covers.
 */
class AuditExportTailIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 12;

    @TempDir
    Path dir;

    private Broker broker;
    private String auditor;
    private Path key;

    @BeforeEach
    void startBrokerWithRecords() throws Exception {
        broker = Broker.start(BrokerConfig.embedded(dir.resolve("broker")));
        auditor = logWithRecords(RECORDS);
        key = dir.resolve("audit.pub");
        Files.writeString(key, TestHttp.getText(broker, "/v1/audit/public-key", null));
    }

    @AfterEach
    void stopBroker() {
        broker.close();
    }

    @Test
    void anExportEndsWithItsOwnRecordUnderACheckpointSignedAtItsSize() throws Exception {
        Path export = export("audit.jsonl");
        List<String> lines = Files.readAllLines(export);
        Checkpoint checkpoint = checkpointOf(export);

        assertThat(checkpoint.size()).isEqualTo(lines.size());
        assertThat(JSON.readTree(lines.getLast()).path("action").asText()).isEqualTo("audit.exported");
        TestCli.Result verified = verify(export, "state");
        assertThat(verified.exitCode()).isZero();
        assertThat(verified.output()).isEqualTo("OK: " + lines.size() + " records; 1 signed checkpoints verified, the latest"
                + " at size " + lines.size() + " (root " + HexFormat.of().formatHex(checkpoint.rootHash()) + ") by "
                + origin() + "\n");
    }

    @Test
    void editingTheLastRecordOfAnExportFailsNamingIt() throws Exception {
        Path export = export("audit.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        int last = lines.size() - 1;
        assertThat(lines.get(last)).contains("\"format\":\"jsonl\"");
        lines.set(last, lines.get(last).replace("\"format\":\"jsonl\"", "\"format\":\"csv\""));
        Files.write(export, lines);

        TestCli.Result verified = verify(export, "state");
        assertThat(verified.exitCode()).isEqualTo(1);
        assertThat(verified.output()).isEqualTo("FAILED: record " + last + " was modified: the records up to it do not"
                + " match the checkpoint signed at size " + lines.size() + " (records 0.." + last + " are suspect)\n");
    }

    @Test
    void aForgedRecordAppendedToAnExportFailsAndIsNeverCountedAsVerified() throws Exception {
        Path export = export("audit.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        int size = lines.size();
        lines.add(forgedSuccessorOf(lines.getLast(), size));
        Files.write(export, lines);

        TestCli.Result refused = verify(export, "state");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.output()).isEqualTo("FAILED: 1 record (index " + size + ") is not covered by a signed"
                + " checkpoint, which covers records 0.." + (size - 1) + ": it may have been altered or appended;"
                + " pass --accept-unsigned-tail to accept it unverified\n");

        TestCli.Result accepted = verify(export, "state", "--accept-unsigned-tail");
        assertThat(accepted.exitCode()).isZero();
        assertThat(accepted.output()).startsWith("OK: " + size + " of " + (size + 1) + " records verified; 1 record"
                + " (index " + size + ") after the last signed checkpoint NOT verified (--accept-unsigned-tail);"
                + " 1 signed checkpoints verified, the latest at size " + size + " ");
    }

    @Test
    void aTruncatedExportFailsOnTheRecordsItsCheckpointCoversButItLacks() throws Exception {
        Path export = export("audit.jsonl");
        List<String> lines = Files.readAllLines(export);
        int size = lines.size();
        Files.write(export, lines.subList(0, size - 2));

        TestCli.Result verified = verify(export, "state", "--accept-unsigned-tail");
        assertThat(verified.exitCode()).isEqualTo(1);
        assertThat(verified.output()).isEqualTo("FAILED: checkpoint at size " + size + " is signed, but only "
                + (size - 2) + " records are there: records " + (size - 2) + ".." + (size - 1) + " were deleted\n");
    }

    @Test
    void aGenuineUnsignedTailFailsUnlessAcceptedAndIsThenCounted() throws Exception {
        Path export = export("audit.jsonl");
        int size = Files.readAllLines(export).size();
        // An older genuine checkpoint beside the export, as the CLI wrote before exports ended at one:
        // the records after it are real but no signature covers them.
        JsonNode older = null;
        for (JsonNode checkpoint : JSON.readTree(TestHttp.getText(broker, "/v1/audit/checkpoints?limit=1000", auditor))
                .path("checkpoints")) {
            if (checkpoint.path("size").asLong() >= RECORDS && checkpoint.path("size").asLong() < size) {
                older = checkpoint;
            }
        }
        assertThat(older).as("a checkpoint below the export's size %d", size).isNotNull();
        long covered = older.path("size").asLong();
        long unsigned = size - covered;
        Files.writeString(Path.of(export + ".checkpoint"), older.path("note").asText());
        String tail = unsigned == 1 ? "1 record (index " + covered + ")"
                : unsigned + " records (index " + covered + ".." + (size - 1) + ")";

        TestCli.Result refused = verify(export, "state");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.output()).startsWith("FAILED: " + tail + (unsigned == 1 ? " is" : " are")
                + " not covered by a signed checkpoint, which covers records 0.." + (covered - 1) + ": ");

        TestCli.Result accepted = verify(export, "state", "--accept-unsigned-tail");
        assertThat(accepted.exitCode()).isZero();
        assertThat(accepted.output()).isEqualTo("OK: " + covered + " of " + size + " records verified; " + tail
                + " after the last signed checkpoint NOT verified (--accept-unsigned-tail); 1 signed checkpoints"
                + " verified, the latest at size " + covered + " (root " + older.path("rootHash").asText() + ") by "
                + origin() + "\n");
    }

    @Test
    void anOlderExportDoesNotMoveTheRememberedCheckpointBack() throws Exception {
        Path first = export("first.jsonl");
        long firstSize = checkpointOf(first).size();
        logWithRecords(3);
        Path second = export("second.jsonl");
        long secondSize = checkpointOf(second).size();
        assertThat(secondSize).isGreaterThan(firstSize);

        assertThat(verify(second, "state").output()).startsWith("OK: " + secondSize + " records; ");
        Path stateFile = dir.resolve("state").resolve("audit-verify-state.json");
        String remembered = Files.readString(stateFile);
        assertThat(JSON.readTree(remembered).path(origin()).path("size").asLong()).isEqualTo(secondSize);

        TestCli.Result older = verify(first, "state");
        assertThat(older.exitCode()).isZero();
        assertThat(older.output()).startsWith("OK: " + firstSize + " records; ")
                .endsWith("\nthis export is older than the checkpoint verified before (size " + secondSize + "): it was"
                        + " checked against its own checkpoint only; the remembered checkpoint stays at size "
                        + secondSize + "\n");
        assertThat(Files.readString(stateFile)).isEqualTo(remembered);

        // The newer export still verifies against what is remembered.
        assertThat(verify(second, "state").output()).startsWith("OK: " + secondSize + " records; ");
    }

    @Test
    void verifyAgainstTheBrokerFetchesNoRecordPastTheCheckpointItSigned() throws Exception {
        TestCli.Result verified = TestCli.run("audit", "verify", "--broker", broker.uri().toString(), "--token", auditor,
                "--public-key", key.toString(), "--state", dir.resolve("state").toString());
        assertThat(verified.exitCode()).isZero();
        assertThat(verified.output()).startsWith("OK: " + RECORDS + " records; ").doesNotContain("NOT verified");
    }

    /** A record that links to {@code last} and claims the next index: what a forger with the file can write. */
    private static String forgedSuccessorOf(String last, long index) throws Exception {
        Map<String, Object> forged = new LinkedHashMap<>();
        forged.put("index", index);
        forged.put("time", "2026-01-01T00:00:00Z");
        forged.put("action", "grant.accepted");
        forged.put("actor", Map.of("subject", "mallory", "organisation", "ai-lab"));
        forged.put("prev", HexFormat.of().formatHex(MerkleHash.leaf(last.getBytes(StandardCharsets.UTF_8))));
        return new String(CanonicalJson.encode(forged), StandardCharsets.UTF_8);
    }

    private Path export(String name) {
        Path export = dir.resolve(name);
        TestCli.Result exported = TestCli.run("audit", "export", "--broker", broker.uri().toString(), "--token", auditor,
                "--out", export.toString());
        assertThat(exported.exitCode()).as(exported.output()).isZero();
        return export;
    }

    private static Checkpoint checkpointOf(Path export) throws Exception {
        String note = Files.readString(Path.of(export + ".checkpoint"));
        return Checkpoint.parseBody(note.substring(0, note.indexOf("\n\n") + 1));
    }

    private String origin() throws Exception {
        return NoteVerifier.parse(Files.readString(key).trim()).name();
    }

    private TestCli.Result verify(Path export, String state, String... more) {
        List<String> args = new ArrayList<>(List.of("audit", "verify", "--file", export.toString(),
                "--public-key", key.toString(), "--state", dir.resolve(state).toString()));
        args.addAll(List.of(more));
        return TestCli.run(args.toArray(String[]::new));
    }

    /** Appends {@code count} refusals and waits until a checkpoint covers them; returns an auditor token. */
    private String logWithRecords(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            assertThat(TestHttp.get(broker, "/v1/catalog", null).statusCode()).isEqualTo(401);
        }
        String token = TestHttp.devToken(broker, "ines", "authority", "compliance-officer");
        long target = JSON.readTree(TestHttp.getText(broker, "/v1/audit/entries?start=0&end=0", token))
                .path("treeSize").asLong();
        TestHttp.awaitCheckpoint(broker, token, target);
        return token;
    }
}
