package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.audit.AuditSigningKey;
import io.sluice.broker.cli.SluiceCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Brokers as real processes: killed with SIGKILL mid-traffic, and two appending to one PostgreSQL. */
class BrokerProcessIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    private static final Pattern CHECKPOINT_SIZE = Pattern.compile("\\n(\\d+)\\n");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aBrokerKilledWhileTwentyClientsStreamLosesNoAcknowledgedRecord(String kind) throws Exception {
        Path data = dir.resolve("data");
        Path sources = dir.resolve("sources");
        String url = kind.equals("h2")
                ? "jdbc:h2:file:" + data.resolve("sluice") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0"
                : TestDatabases.fresh(kind, dir);
        TestParquet.write(sources.resolve("hospital-a/small.parquet"));
        Files.createDirectories(data);

        Set<String> grants = ConcurrentHashMap.newKeySet();
        Set<String> streams = ConcurrentHashMap.newKeySet();
        String trustedState;
        try (BrokerProcess broker = BrokerProcess.start(data, sources, url)) {
            String owner = TestHttp.devToken(broker.uri(), "owner", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker.uri(), "lab", "ai-lab", "data-consumer");
            String auditor = TestHttp.devToken(broker.uri(), "ines", "authority", "compliance-officer");
            var registered = TestHttp.post(broker.uri(), "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                    + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}");
            String datasetId = TestHttp.id(registered.body());

            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService clients = Executors.newFixedThreadPool(20);
            for (int c = 0; c < 20; c++) {
                clients.execute(() -> grantAndStreamUntil(stop, broker.uri(), lab, datasetId, grants, streams));
            }
            Poll.until(() -> grants.size() >= 5 && streams.size() >= 5, Duration.ofSeconds(60),
                    "five grants and five streams acknowledged");
            String note = TestHttp.getText(broker.uri(), "/v1/audit/checkpoint", auditor);
            trustedState = trustedState(note);
            // Killed while records after the trusted checkpoint are being appended.
            int grantsAtCheckpoint = grants.size();
            Poll.until(() -> grants.size() > grantsAtCheckpoint + 2, Duration.ofSeconds(60),
                    "more grants after the checkpoint");
            broker.kill();
            stop.set(true);
            clients.shutdown();
            assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(grants).as("acknowledged grants before the kill").isNotEmpty();
        assertThat(streams).as("acknowledged streams before the kill").isNotEmpty();

        try (BrokerProcess restarted = BrokerProcess.start(data, sources, url)) {
            String auditor = TestHttp.devToken(restarted.uri(), "ines", "authority", "compliance-officer");
            assertThat(recorded(restarted.uri(), auditor, "grant.issued", "grant")).containsAll(grants);
            assertThat(recorded(restarted.uri(), auditor, "stream.opened", "stream")).containsAll(streams);

            Path state = dir.resolve("verify-state");
            Files.createDirectories(state);
            Files.writeString(state.resolve("audit-verify-state.json"), trustedState);
            Path key = data.resolve(AuditSigningKey.PUBLIC_KEY_FILE);
            Cli verified = cli("audit", "verify", "--broker", restarted.uri().toString(), "--token", auditor,
                    "--public-key", key.toString(), "--state", state.toString());
            assertThat(verified.output()).startsWith("OK: ");
            assertThat(verified.exitCode()).isZero();
        }
    }

    @Test
    void twoBrokerProcessesOnOnePostgresKeepOneVerifiableLog() throws Exception {
        String url = TestDatabases.fresh("postgres", dir);
        Path sources = dir.resolve("sources");
        Files.createDirectories(sources);
        Path dataA = dir.resolve("a");
        Path dataB = dir.resolve("b");
        Files.createDirectories(dataA);
        Files.createDirectories(dataB);
        try (BrokerProcess a = BrokerProcess.start(dataA, sources, url)) {
            // Brokers of one data space share the log's signing key, so one public key verifies every checkpoint.
            Files.copy(dataA.resolve(AuditSigningKey.PRIVATE_KEY_FILE), dataB.resolve(AuditSigningKey.PRIVATE_KEY_FILE));
            try (BrokerProcess b = BrokerProcess.start(dataB, sources, url)) {
                HttpClient http = HttpClient.newHttpClient();
                ExecutorService threads = Executors.newFixedThreadPool(8);
                for (int t = 0; t < 8; t++) {
                    URI target = (t % 2 == 0 ? a : b).uri();
                    threads.execute(() -> {
                        for (int i = 0; i < 100; i++) {
                            try {
                                http.send(HttpRequest.newBuilder(target.resolve("/v1/catalog")).build(),
                                        HttpResponse.BodyHandlers.discarding());
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    });
                }
                threads.shutdown();
                assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

                for (BrokerProcess broker : List.of(a, b)) {
                    String auditor = TestHttp.devToken(broker.uri(), "ines", "authority", "compliance-officer");
                    Cli verified = cli("audit", "verify", "--broker", broker.uri().toString(), "--token", auditor,
                            "--public-key", dataA.resolve(AuditSigningKey.PUBLIC_KEY_FILE).toString(),
                            "--state", dir.resolve("verify-state-" + broker.uri().getPort()).toString());
                    assertThat(verified.output()).startsWith("OK: 800 records");
                }
            }
        }
    }

    private static void grantAndStreamUntil(AtomicBoolean stop, URI broker, String token, String datasetId,
            Set<String> grants, Set<String> streams) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        while (!stop.get()) {
            try {
                var granted = TestHttp.post(broker, "/v1/grants", token,
                        "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"scientific-research\"}");
                if (granted.statusCode() != 201) {
                    continue;
                }
                String grantId = TestHttp.id(granted.body());
                grants.add(grantId);
                HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(
                                broker.resolve("/v1/grants/" + grantId + "/stream"))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
                // Headers received: the stream's opening is on record.
                stream.headers().firstValue("Sluice-Stream-Id").ifPresent(streams::add);
                try (var body = stream.body()) {
                    body.transferTo(java.io.OutputStream.nullOutputStream());
                }
            } catch (Exception e) {
                return; // the broker was killed
            }
        }
    }

    private static Set<String> recorded(URI broker, String token, String action, String field) throws Exception {
        Set<String> values = new HashSet<>();
        long after = -1;
        Pattern pattern = Pattern.compile("\"" + field + "\":\"([^\"]+)\"");
        while (true) {
            String page = TestHttp.getText(broker, "/v1/audit?action=" + action + "&limit=1000&after=" + after, token);
            Matcher matcher = pattern.matcher(page);
            int found = 0;
            while (matcher.find()) {
                values.add(matcher.group(1));
                found++;
            }
            Matcher next = Pattern.compile("\"next\":(\\d+)").matcher(page);
            if (found == 0 || !next.find()) {
                return values;
            }
            after = Long.parseLong(next.group(1));
        }
    }

    /** The verifier's state file content trusting this checkpoint (size and root from the note). */
    private static String trustedState(String note) {
        String[] lines = note.split("\n");
        byte[] root = java.util.Base64.getDecoder().decode(lines[2]);
        return "{\"" + lines[0] + "\":{\"size\":" + Long.parseLong(lines[1]) + ",\"rootHash\":\""
                + java.util.HexFormat.of().formatHex(root) + "\"}}";
    }

    record Cli(int exitCode, String output) {}

    private static Cli cli(String... args) {
        StringWriter out = new StringWriter();
        CommandLine commandLine = SluiceCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(out, true));
        return new Cli(commandLine.execute(args), out.toString());
    }
}
