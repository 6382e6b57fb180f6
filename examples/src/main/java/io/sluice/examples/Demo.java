package io.sluice.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.HostBatch;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.StreamRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./sluice demo}: one dataset end to end on embedded defaults. A hospital registers a
 * synthetic patient table with a policy, an AI lab obtains a grant and streams it through the
 * GPU loader into a training loop, a marketing request is denied, and a compliance officer reads
 * the audit trail.
 */
@Command(name = "sluice demo", mixinStandardHelpOptions = true,
        versionProvider = io.sluice.broker.cli.SluiceCommand.Version.class,
        description = {"Runs the end-to-end scenario: register, grant, stream, train, deny, audit.",
            "Everything runs in this process on 127.0.0.1: a broker on embedded defaults and a training job."},
        footer = {"", "Examples:", "  ./sluice demo", "  ./sluice demo --rows 100000 --epochs 1"})
public final class Demo implements Callable<Integer> {

    /** The policy the hospital attaches: research by ai-lab only, names never leave. */
    public static final String POLICY = """
            {
              "@context": ["http://www.w3.org/ns/odrl.jsonld", {"sluice": "https://sluice.dev/ns/"}],
              "@type": "Set",
              "permission": [{
                "action": "use",
                "constraint": [
                  {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                  {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}
                ],
                "duty": [{"action": "sluice:drop", "target": ["name"]}]
              }],
              "prohibition": [{"action": "distribute"}]
            }
            """;

    private static final String MARKER = ".sluice-demo";
    private static final long REPORT_EVERY_ROWS = 200_000;

    @Option(names = "--rows", defaultValue = "1000000", description = "patients to generate (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = "--epochs", defaultValue = "2", description = "training epochs, one stream each (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--data-dir", defaultValue = "data/demo",
            description = "where the demo's broker keeps its database and sources; wiped at start (default: ${DEFAULT-VALUE})")
    Path dataDir;

    private final PrintStream out = System.out;
    private int progressCalls;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Demo()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        if (rows < 1000 || epochs < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rows must be >= 1000 and --epochs >= 1");
        }
        deleteTree(dataDir);
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve(MARKER), "made by ./sluice demo; wiped at every run\n");
        BrokerConfig config = BrokerConfig.embedded(dataDir);
        Path file = config.sourcesDir().resolve("hospital-a").resolve("patients.parquet");

        step("1/6", "hospital-a generates a synthetic patient table");
        long started = System.nanoTime();
        HospitalDataset.write(file, rows, 42, written -> progress("  writing %,d / %,d rows", written, rows));
        out.printf("%n  %s: %,d rows, %.1f MB, %.1f s%n", file, rows, Files.size(file) / 1e6, seconds(started));

        try (Broker broker = Broker.start(config)) {
            out.println("  broker listening on " + broker.uri() + " (embedded H2, development token issuer)");
            BrokerClient client = new BrokerClient(broker.uri());
            String hospital = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            String auditor = client.devToken("inspector-ines", "ehds-authority", List.of("compliance-officer"));

            step("2/6", "hospital-a registers the table with a usage policy");
            ObjectNode registration = BrokerClient.json().createObjectNode()
                    .put("name", "cardiology-patients")
                    .put("description", "Synthetic cardiology cohort with lab values and diagnosis");
            registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
            registration.set("policy", BrokerClient.json().readTree(POLICY));
            JsonNode dataset = client.post("/v1/datasets", Optional.of(hospital), registration).orThrow();
            String datasetId = dataset.path("id").asText();
            out.printf("  dataset %s, version %s…, %,d rows%n", datasetId,
                    dataset.path("version").asText().substring(0, 12), dataset.path("rows").asLong());
            out.println("  policy: purpose medical-research, organisation ai-lab, drop [name], no distribution");

            step("3/6", "ai-lab asks for the data for medical research");
            JsonNode grant = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "medical-research")).orThrow();
            out.printf("  grant %s: columns %s, transforms %s, expires %s%n", grant.path("id").asText(),
                    grant.path("columns"), grant.path("transforms"), grant.path("expiresAt").asText());

            step("4/6", "ai-lab streams the grant through the GPU loader and trains a classifier");
            train(broker, grant.path("id").asText(), lab);

            step("5/6", "ai-lab asks for the same data for marketing");
            BrokerClient.Response denied = client.post("/v1/grants", Optional.of(lab),
                    BrokerClient.json().createObjectNode().put("dataset", datasetId).put("purpose", "marketing"));
            out.printf("  %d %s: %s%n", denied.status(), denied.body().path("error").asText(),
                    denied.body().path("message").asText());
            for (JsonNode reason : denied.body().path("reasons")) {
                out.printf("    reason %s: %s%n", reason.path("code").asText(), reason.path("message").asText());
            }

            step("6/6", "the compliance officer reads the audit trail");
            printAudit(client.get("/v1/audit", Optional.of(auditor), Map.of("limit", "1000")).orThrow());
        }
        out.println();
        out.println("Done. Run it yourself: ./sluice serve, then see README.md for each role's first steps.");
        return 0;
    }

    private void train(Broker broker, String grantId, String token) {
        LogisticRegression model = new LogisticRegression(0.05);
        // 256 MiB of pinned memory is plenty for this dataset's batches and quick to lock.
        try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()).withPinnedLimitBytes(256L << 20))) {
            out.println("  loader: " + (loader.gpuAvailable()
                    ? "CUDA driver found" : "no CUDA driver here; batches land in pinned host memory"));
            for (int epoch = 0; epoch < epochs; epoch++) {
                model.resetHoldOut();
                long started = System.nanoTime();
                try (GrantStream stream = loader.open(grantId, new StreamRequest(0, 1, epoch), () -> token)) {
                    if (epoch == 0) {
                        out.println("  columns received: " + stream.schema().getFields().stream()
                                .map(f -> f.getName()).toList());
                    }
                    // Report after the first batch, to show where the loss starts, then at intervals.
                    long nextReport = 1;
                    while (stream.hasNext()) {
                        try (HostBatch batch = stream.next()) {
                            model.train(batch.root());
                        }
                        if (stream.rows() >= nextReport || !stream.hasNext()) {
                            nextReport = (stream.rows() / REPORT_EVERY_ROWS + 1) * REPORT_EVERY_ROWS;
                            out.printf("  epoch %d  %,9d rows  %6.1f MB  %5.0f MB/s  training log-loss %.4f%n",
                                    epoch + 1, stream.rows(), stream.bytesReceived() / 1e6,
                                    stream.bytesReceived() / 1e6 / seconds(started), model.takeMeanLoss());
                        }
                    }
                    out.printf("  epoch %d done: stream %s, hold-out accuracy %.3f on %,d patients never trained on"
                                    + " (always guessing the commoner label: %.3f)%n",
                            epoch + 1, stream.streamId(), model.holdOutAccuracy(), model.holdOutRows(),
                            model.holdOutMajorityAccuracy());
                }
            }
        }
    }

    private void printAudit(JsonNode page) {
        out.printf("  %-5s %-24s %-18s %-26s %-16s %s%n", "index", "time", "action", "actor", "outcome", "details");
        for (JsonNode record : page.path("records")) {
            JsonNode actor = record.path("actor");
            StringBuilder details = new StringBuilder();
            for (String field : List.of("dataset", "purpose", "grant", "stream", "rows", "bytes", "sha256")) {
                if (record.has(field)) {
                    String value = record.path(field).asText();
                    details.append(field).append('=')
                            .append(field.equals("sha256") ? value.substring(0, 16) + "…" : value).append(' ');
                }
            }
            for (JsonNode reason : record.path("reasons")) {
                details.append(reason.path("code").asText()).append(' ');
            }
            out.printf("  %-5d %-24s %-18s %-26s %-16s %s%n", record.path("index").asLong(),
                    record.path("time").asText().substring(0, Math.min(23, record.path("time").asText().length())),
                    record.path("action").asText(),
                    actor.path("subject").asText() + "@" + actor.path("organisation").asText(),
                    record.path("outcome").asText(), details.toString().trim());
        }
        out.println("  every record is a leaf of a Merkle tree whose root the broker signs each second, and names the record");
        out.println("  before it: check it without trusting the broker with ./sluice audit verify (see README.md)");
    }

    private void step(String number, String title) {
        out.printf("%n[%s] %s%n", number, title);
    }

    /** A line that rewrites itself on a terminal; in a log, only every fifth call is kept. */
    private void progress(String format, Object... args) {
        boolean terminal = System.console() != null && System.console().isTerminal();
        if (terminal) {
            out.print("\r" + String.format(format, args));
            out.flush();
        } else if (++progressCalls % 5 == 0) {
            out.println(String.format(format, args));
        }
    }

    private static double seconds(long startedNanos) {
        return Math.max(1e-9, (System.nanoTime() - startedNanos) / 1e9);
    }

    /** Wipes the demo's own directory; refuses any directory the demo did not create. */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.exists(dir.resolve(MARKER))) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(dir + " exists and was not made by the demo; choose another --data-dir");
                }
            }
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
