package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.cli.SluiceCommand;
import io.sluice.loader.cli.LoaderCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A training run's receipt, end to end: {@code sluice load --receipt} streams a grant through the
 * loader, fetches the grant's receipt, checks it against what it received and writes it; then
 * {@code sluice receipt verify} accepts it offline with the log's public key.
 */
class TrainingReceiptIT {
    @TempDir
    Path dir;

    private record Run(int exitCode, String output) {}

    @Test
    void theLoaderWritesAReceiptThatVerifiesOffline() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir.resolve("data"));
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), 20_000, 7, n -> {});
        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("dr-weber", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("trainer-7", "ai-lab", List.of("data-consumer"));
            var registration = BrokerClient.json().createObjectNode().put("name", "patients");
            registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
            registration.set("policy", BrokerClient.json().readTree("""
                    {"@type": "Set", "permission": [{"action": "use", "constraint": [
                      {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]}]}]}"""));
            String dataset = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            String grant = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", dataset).put("purpose", "medical-research")).orThrow().path("id").asText();
            Path token = dir.resolve("lab.token");
            Files.writeString(token, lab);
            Path receipt = dir.resolve("receipt.json");

            Run load = run(new CommandLine(new LoaderCommand(() -> null)), "--broker", broker.uri().toString(),
                    "--grant", grant, "--token-file", token.toString(), "--pinned-mib", "64", "--slab-mib", "16",
                    "--no-gpu", "--no-progress", "--receipt", receipt.toString());
            assertThat(load.exitCode()).as(load.output()).isZero();
            assertThat(load.output()).contains("receipt       " + receipt
                    + ": its stream.closed records match what this loader received");
            JsonNode written = BrokerClient.json().readTree(receipt.toFile());
            assertThat(written.path("grant").asText()).isEqualTo(grant);

            Matcher stream = Pattern.compile("stream +(st-\\S+) on \\S+ from batch 0: [\\d,]+ batches, ([\\d,]+) bytes,"
                    + " sha256 ([0-9a-f]{64})").matcher(load.output());
            assertThat(stream.find()).as(load.output()).isTrue();
            Path key = dir.resolve("audit.pub");
            Files.writeString(key, client.getText("/v1/audit/public-key", Optional.empty()));
            // The line the loader prints is the check to run: this run's digest and bytes, the log's key.
            String prefix = "              check its proofs with: sluice ";
            String printed = load.output().lines().filter(line -> line.startsWith(prefix)).findFirst().orElseThrow();
            assertThat(printed).isEqualTo(prefix + "receipt verify " + receipt + " --public-key KEY --expect-sha256 "
                    + stream.group(3) + " --expect-bytes " + stream.group(2).replace(",", ""));
            Run verify = run(SluiceCommand.commandLine(), printed.substring(prefix.length()).replace("KEY", key.toString())
                    .split(" "));
            assertThat(verify.exitCode()).as(verify.output()).isZero();
            assertThat(verify.output())
                    .contains("stream        " + stream.group(1) + " shard 0 of 1, epoch 0: closed, 20,000 rows")
                    .contains("sha256 " + stream.group(3))
                    .contains("OK: 3 records of grant " + grant);
        }
    }

    private static Run run(CommandLine command, String... args) {
        StringWriter out = new StringWriter();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(out, true));
        int exitCode = command.execute(args);
        return new Run(exitCode, out.toString());
    }
}
