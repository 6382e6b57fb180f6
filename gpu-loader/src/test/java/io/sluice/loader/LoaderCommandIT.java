package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;
import io.sluice.loader.cli.LoaderCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LoaderCommandIT {

    private static final List<List<TestStreams.Row>> DATASET = TestStreams.dataset(8, 25);

    @TempDir
    Path dir;

    private FakeBroker broker;

    @BeforeEach
    void start() throws IOException {
        broker = new FakeBroker().route("g-1", new FakeBroker.Dataset("d", DATASET));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void streamsAShardAndPrintsWhatReachedTheNodeAndTheCheckpoint() throws IOException {
        Path token = Files.writeString(dir.resolve("token"), FakeBroker.TOKEN + "\n");

        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--shard", "1", "--shards", "2", "--epoch", "3",
                "--seed", "11", "--token-file", token.toString(), "--pinned-mib", "16", "--slab-mib", "8", "--no-gpu",
                "--no-progress");

        assertThat(run.status()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("pinned arena  16\\.0 MiB \\(2 slabs of 8\\.0 MiB\\) made in \\d+ ms \\(\\d+ ms/GiB\\), "
                + "(locked \\(mlock\\), not registered with a device|pageable: neither locked nor registered \\(raise ulimit -l\\))"
                + ", NUMA first touch \\(((N\\d+ [0-9.]+%(, )?)+|pages per node unknown)\\)");
        assertThat(lines.get(1)).isEqualTo("device        none: no usable CUDA driver or --no-gpu; batches stay in pinned host memory");
        assertThat(lines).contains(
                "grant         g-1, shard 1 of 2, epoch 3, seed 11",
                "rows          100",
                "batches       4",
                "bytes         " + String.format("%,d", TestStreams.write(FakeBroker.order(DATASET,
                        "shard=1&shards=2&epoch=3&seed=11")).bytes().length) + " (0.0 MB)",
                "on device     no: none (pinned host batches)",
                "pinned        0 bytes in use now",
                "retries       0",
                "checkpoint    v1.e3.s1of2.seed11.p4");
        assertThat(lines).anyMatch(line -> line.matches("stream        d-1 on " + Pattern.quote(broker.uri().toString())
                + " from batch 0: 4 batches, [0-9,]+ bytes, sha256 [0-9a-f]{64}"));
        assertThat(broker.queries()).containsExactly("shard=1&shards=2&epoch=3&seed=11");
    }

    @Test
    void stopsAtALimitAndResumesFromThePrintedCheckpoint() {
        String[] common = {"--broker", broker.uri().toString(), "--grant", "g-1", "--token", FakeBroker.TOKEN,
                "--pinned-mib", "16", "--no-gpu", "--no-progress"};

        Run first = run(concat(common, "--seed", "5", "--limit-batches", "3"));
        assertThat(first.status()).isZero();
        assertThat(first.out()).contains("batches       3\n", "checkpoint    v1.e0.s0of1.seed5.p3\n");

        Run second = run(concat(common, "--resume", "v1.e0.s0of1.seed5.p3"));
        assertThat(second.status()).isZero();
        assertThat(second.out()).contains("batches       5\n", "rows          125\n", "checkpoint    v1.e0.s0of1.seed5.p8\n",
                "stream        d-2 on " + broker.uri() + " from batch 3: 5 batches");
        assertThat(broker.queries()).containsExactly("shard=0&shards=1&epoch=0&seed=5",
                "shard=0&shards=1&epoch=0&seed=5&from=3");
    }

    @Test
    void takesSeveralBrokersAndMovesOnFromOneThatDoesNotAnswer() throws IOException {
        URI nowhere;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nowhere = URI.create("http://127.0.0.1:" + closed.getLocalPort());
        }
        // Rank 2 of 3 starts on the third URL (2 mod 3): the one nobody listens on. Comma-separated and repeated mix.
        Run run = run("--broker", broker.uri() + ",http://127.0.0.2:1", "--broker", nowhere.toString(), "--grant", "g-1",
                "--shard", "2", "--shards", "3", "--token", FakeBroker.TOKEN, "--pinned-mib", "16", "--no-gpu",
                "--no-progress");

        assertThat(run.status()).as(run.err()).isZero();
        // Reconnects after a dropped connection count as retries; a first connection that moved on does not.
        assertThat(run.out()).contains("retries       0\n", "checkpoint    v1.e0.s2of3.noseed.p",
                "stream        d-1 on " + broker.uri() + " from batch 0: ");
        assertThat(broker.queries()).containsExactly("shard=2&shards=3&epoch=0");
    }

    @Test
    void getsItsTokenByTheClientCredentialsGrant() throws IOException {
        Path secret = Files.writeString(dir.resolve("client-secret"), "s3cr&t\n");
        List<String> forms = new CopyOnWriteArrayList<>();
        HttpServer keycloak = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        keycloak.createContext("/realms/sluice/protocol/openid-connect/token", exchange -> {
            forms.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = ("{\"access_token\":\"" + FakeBroker.TOKEN + "\",\"expires_in\":300,\"token_type\":\"Bearer\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        keycloak.start();
        try {
            Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--client-id", "node-7",
                    "--client-secret-file", secret.toString(), "--token-url", "http://127.0.0.1:" + keycloak.getAddress().getPort()
                            + "/realms/sluice/protocol/openid-connect/token", "--pinned-mib", "16", "--no-gpu", "--no-progress");

            assertThat(run.status()).as(run.err()).isZero();
            assertThat(run.out()).contains("batches       8\n");
            assertThat(forms).containsExactly("grant_type=client_credentials&client_id=node-7&client_secret=s3cr%26t");
        } finally {
            keycloak.stop(0);
        }
    }

    @Test
    void reportsARefusalAndExitsWithOne() {
        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", "stale", "--pinned-mib", "16",
                "--no-gpu", "--no-progress");

        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: broker refused stream of grant g-1: HTTP 401 unauthenticated: "
                + "a bearer token is required (requestId req-401)\n");
    }

    @Test
    void refusesToRunWithoutAToken() {
        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--pinned-mib", "16");

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).startsWith("no token: give --token, --token-file, --client-id/--client-secret-file/--token-url, "
                + "or set SLUICE_TOKEN\n");
        assertThat(broker.queries()).isEmpty();
    }

    @Test
    void refusesATokenFileWithALineBreakInsideWithoutSendingIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("hostile.token"),
                FakeBroker.TOKEN + "\r\nX-Admin: yes\n");

        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token-file", token.toString(),
                "--pinned-mib", "16", "--no-gpu", "--no-progress");

        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("CR, LF").doesNotContain(FakeBroker.TOKEN);
        assertThat(broker.queries()).as("nothing reached the broker").isEmpty();
    }

    @Test
    void takesTheReadTimeoutInIso8601OrSecondsAndRefusesAnythingElse() {
        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", "t", "--read-timeout", "soon");

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).contains("--read-timeout").contains("'soon' is not a duration");
        assertThat(run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", "t", "--read-timeout", "0",
                "--no-gpu").err()).contains("readTimeout must be > 0, was PT0S");
    }

    @Test
    void placesThePinnedArenaOnTheGivenNumaNodeAndSaysWhereItsPagesAre() {
        io.sluice.loader.internal.NumaSupport.assumeNodeZeroCanBePreferred();
        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", FakeBroker.TOKEN, "--pinned-mib", "4",
                "--slab-mib", "2", "--numa-node", "0", "--no-gpu", "--no-progress", "--limit-batches", "1");

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out().lines().findFirst().orElseThrow()).startsWith("pinned arena  4.0 MiB (2 slabs of 2.0 MiB)")
                .endsWith(", NUMA node 0 (100% of pages)");
    }

    @Test
    void placesNothingForAutoWithoutAGpu() {
        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", FakeBroker.TOKEN, "--pinned-mib", "4",
                "--numa-node", "auto", "--no-gpu", "--no-progress", "--limit-batches", "1");

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out().lines().findFirst().orElseThrow()).contains(", NUMA first touch (");
    }

    @Test
    void refusesANumaNodeThatIsNotANumberOrAutoOrNotOnline() {
        Run bad = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", "t", "--numa-node", "near");

        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("--numa-node").contains("'near' is not a NUMA placement: write a node number (0..1023) "
                + "or auto (the node of the GPU)");
        assertThat(run("--help").out()).contains("--numa-node=N|auto");

        java.util.Optional<List<Integer>> online = io.sluice.loader.internal.NumaNodes.system().online();
        org.junit.jupiter.api.Assumptions.assumeTrue(online.map(nodes -> !nodes.contains(63)).orElse(false),
                "no online-node list here, or node 63 is online");
        Run offline = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", "t", "--numa-node", "63",
                "--no-gpu", "--no-progress");
        assertThat(offline.status()).isEqualTo(2);
        assertThat(offline.err()).startsWith("--numa-node: NUMA node 63 is not online: the online nodes are "
                + online.get().getFirst());
        assertThat(broker.queries()).isEmpty();
    }

    @Test
    void rejectsABadCheckpointToken() {
        Run run = run("--broker", broker.uri().toString(), "--grant", "g-1", "--token", "t", "--resume", "p7");

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).startsWith("--resume: not a checkpoint token (expected like v1.e3.s1of4.seed42.p17): p7\n");
    }

    @Test
    void aReceiptFetchedWhileOtherRanksStreamSaysSoAndPrintsTheVerifyLineForThisRun() throws Exception {
        byte[] bytes = TestStreams.write(DATASET).bytes();
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        broker.route("g-2", new FakeBroker.Stream("st-rank0", bytes)).receipt("g-2", receiptJson("g-2",
                "{\"action\":\"grant.issued\",\"grant\":\"g-2\"}",
                "{\"action\":\"stream.opened\",\"grant\":\"g-2\",\"stream\":\"st-rank0\"}",
                "{\"action\":\"stream.opened\",\"grant\":\"g-2\",\"stream\":\"st-rank1\"}",
                "{\"action\":\"stream.closed\",\"bytes\":" + bytes.length + ",\"grant\":\"g-2\",\"sha256\":\"" + sha
                        + "\",\"stream\":\"st-rank0\"}"));
        Path receipt = dir.resolve("receipt.json");

        Run run = run("--broker", broker.uri().toString(), "--grant", "g-2", "--token", FakeBroker.TOKEN, "--shard", "0",
                "--shards", "2", "--pinned-mib", "16", "--no-gpu", "--no-progress", "--receipt", receipt.toString());

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(Files.readString(receipt)).contains("\"grant\":\"g-2\"");
        assertThat(run.out().lines()).containsSubsequence(
                "receipt       " + receipt + ": its stream.closed records match what this loader received",
                "              1 other stream(s) of the grant had no end at its checkpoint 4 (other ranks still running?):"
                        + " fetch the receipt again after the run, or verify with --allow-running",
                "              check its proofs with: sluice receipt verify " + receipt + " --public-key KEY --expect-sha256 "
                        + sha + " --expect-bytes " + bytes.length + " --allow-running");
    }

    /** A receipt as the broker shapes it; the loader reads its records' fields only, not their proofs. */
    private static String receiptJson(String grant, String... leaves) {
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < leaves.length; i++) {
            records.append(i == 0 ? "" : ",").append("{\"index\":").append(i).append(",\"leaf\":\"")
                    .append(java.util.Base64.getEncoder().encodeToString(leaves[i].getBytes(StandardCharsets.UTF_8)))
                    .append("\",\"proof\":[]}");
        }
        return "{\"format\":\"sluice-receipt/1\",\"grant\":\"" + grant + "\",\"treeSize\":" + leaves.length
                + ",\"records\":[" + records + "]}";
    }

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new LoaderCommand(() -> null));
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        int status = command.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private static String[] concat(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
