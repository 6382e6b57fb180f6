package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sluice.broker.TestCli;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.NoteSigner;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code sluice audit export} gets the checkpoint it writes beside an export: from the export's own
 * response headers, checked, and never from {@code /v1/audit/checkpoints}. A small HTTP server stands in for
 * the broker, answers with the headers each test gives it and records what was asked.
 */
class AuditExportCommandTest {
    private static final String ORIGIN = "sluice.local/audit";
    private static final int RECORDS = 3;
    private static final NoteSigner SIGNER = NoteSigner.generate(ORIGIN);

    @TempDir
    Path dir;

    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private HttpServer server;

    @BeforeEach
    void startFakeBroker() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().getPath());
            byte[] body = exchange.getRequestURI().getPath().equals("/v1/audit/export")
                    ? "{\"index\":0}\n{\"index\":1}\n{\"index\":2}\n".getBytes(StandardCharsets.UTF_8)
                    : "{\"checkpoints\": []}".getBytes(StandardCharsets.UTF_8);
            headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        headers.put("Sluice-Tree-Size", Integer.toString(RECORDS));
    }

    @AfterEach
    void stopFakeBroker() {
        server.stop(0);
    }

    @Test
    void writesTheCheckpointAndKeyOfTheExportsOwnResponse() throws Exception {
        String note = noteAt(RECORDS);
        headers.put("Sluice-Audit-Checkpoint", base64(note));
        headers.put("Sluice-Audit-Key", SIGNER.verifierKey());

        TestCli.Result exported = export();

        assertThat(exported.exitCode()).as(exported.output()).isZero();
        assertThat(Files.readString(dir.resolve("audit.jsonl.checkpoint"))).isEqualTo(note);
        assertThat(Files.readString(dir.resolve("audit.jsonl.pub"))).isEqualTo(SIGNER.verifierKey() + "\n");
        assertThat(asked).containsExactly("/v1/audit/export");
    }

    @Test
    void refusesAnExportWithoutItsCheckpoint() throws Exception {
        headers.put("Sluice-Audit-Key", SIGNER.verifierKey());

        assertRefused("sluice: " + url() + "/v1/audit/export?format=jsonl sent no checkpoint with the export (header"
                + " Sluice-Audit-Checkpoint): the broker is older than this CLI; nothing written");
    }

    @Test
    void refusesACheckpointThatIsNotBase64() throws Exception {
        headers.put("Sluice-Audit-Checkpoint", "not base64!");
        headers.put("Sluice-Audit-Key", SIGNER.verifierKey());

        assertRefused("sluice: " + url() + "/v1/audit/export?format=jsonl sent a checkpoint (header Sluice-Audit-Checkpoint)"
                + " that is not the base64 of a UTF-8 note: Illegal base64 character 20; nothing written");
    }

    @Test
    void refusesACheckpointAtAnotherSizeThanTheExportEndsAt() throws Exception {
        headers.put("Sluice-Audit-Checkpoint", base64(noteAt(RECORDS - 1)));
        headers.put("Sluice-Audit-Key", SIGNER.verifierKey());

        assertRefused("sluice: the export's checkpoint (header Sluice-Audit-Checkpoint) is signed at size 2, but the export"
                + " ends at tree size 3; nothing written");
    }

    @Test
    void refusesACheckpointTheNamedKeyDidNotSign() throws Exception {
        NoteSigner other = NoteSigner.generate(ORIGIN);
        headers.put("Sluice-Audit-Checkpoint", base64(noteAt(RECORDS)));
        headers.put("Sluice-Audit-Key", other.verifierKey());

        assertRefused("sluice: the export's checkpoint (header Sluice-Audit-Checkpoint) does not verify with the key "
                + url() + "/v1/audit/export?format=jsonl named (header Sluice-Audit-Key): note has no signature by key "
                + String.join("+", List.of(other.verifierKey().split("\\+", 3)).subList(0, 2)) + "; nothing written");
    }

    @Test
    void aDataOwnersExportIsWrittenWithoutACheckpointFileSinceItIsNotTheWholeLog() throws Exception {
        headers.put("Sluice-Tree-Size", Integer.toString(RECORDS + 40)); // the log is longer than the owner's part
        headers.put("Sluice-Audit-Checkpoint", base64(noteAt(RECORDS + 40)));
        headers.put("Sluice-Audit-Key", SIGNER.verifierKey());
        headers.put("Sluice-Export-Scope", "subset");

        TestCli.Result exported = export();

        assertThat(exported.exitCode()).as(exported.output()).isZero();
        assertThat(Files.readAllLines(dir.resolve("audit.jsonl"))).hasSize(RECORDS);
        assertThat(dir.resolve("audit.jsonl.checkpoint")).doesNotExist();
        assertThat(exported.output()).contains("records of your organisation's datasets with an index below "
                + (RECORDS + 40) + "; an export of part of the log has no checkpoint file");
    }

    @Test
    void aDownloadThatEndsShortOfItsTreeSizeWritesNothing() throws Exception {
        headers.put("Sluice-Tree-Size", Integer.toString(RECORDS + 1));
        headers.put("Sluice-Audit-Checkpoint", base64(noteAt(RECORDS + 1)));
        headers.put("Sluice-Audit-Key", SIGNER.verifierKey());

        assertRefused("sluice: the export holds " + RECORDS + " records but the broker ended it at tree size "
                + (RECORDS + 1) + ": the download was cut short; nothing written, export again");
    }

    /** Refused before anything is written: an earlier export under the same name stays as it was, whole. */
    private void assertRefused(String message) throws IOException {
        Files.writeString(dir.resolve("audit.jsonl"), "earlier\n");
        Files.writeString(dir.resolve("audit.jsonl.checkpoint"), "earlier checkpoint");
        Files.writeString(dir.resolve("audit.jsonl.pub"), "earlier key");

        TestCli.Result exported = export();

        assertThat(exported.exitCode()).as(exported.output()).isEqualTo(2);
        assertThat(exported.output()).endsWith(message + "\n");
        assertThat(dir.resolve("audit.jsonl")).hasContent("earlier");
        assertThat(dir.resolve("audit.jsonl.checkpoint")).hasContent("earlier checkpoint");
        assertThat(dir.resolve("audit.jsonl.pub")).hasContent("earlier key");
        try (var files = Files.list(dir)) {
            assertThat(files.map(path -> path.getFileName().toString())).as("no partial download left")
                    .containsExactlyInAnyOrder("audit.jsonl", "audit.jsonl.checkpoint", "audit.jsonl.pub");
        }
        assertThat(asked).containsExactly("/v1/audit/export");
    }

    private TestCli.Result export() {
        return TestCli.run("audit", "export", "--broker", url(), "--token", "t", "--out", dir.resolve("audit.jsonl").toString());
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static String noteAt(long size) {
        return SIGNER.sign(new Checkpoint(ORIGIN, size, new byte[32]).body());
    }

    private static String base64(String note) {
        return Base64.getEncoder().encodeToString(note.getBytes(StandardCharsets.UTF_8));
    }
}
