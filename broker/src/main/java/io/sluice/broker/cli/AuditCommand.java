package io.sluice.broker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.audit.AuditVerifier;
import io.sluice.broker.audit.tlog.CanonicalJson;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleProofs;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice audit ...}: export, verify and report on a broker's audit log. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Export, verify and report on a broker's audit log.",
        subcommands = {AuditCommand.Export.class, AuditCommand.Verify.class, AuditCommand.Report.class})
public final class AuditCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 1000;

    @Override
    public void run() {
        throw new CliException("name a subcommand: export, verify or report (sluice audit --help)");
    }

    /** Options every subcommand that talks to a broker shares. */
    static class BrokerOptions {
        @Option(names = "--broker", description = "broker URL, e.g. http://127.0.0.1:8470")
        URI broker;

        @Option(names = "--token", description = "bearer token (default: the SLUICE_TOKEN environment variable)")
        String token;

        @Option(names = "--oidc-issuer", description = "get tokens from this Keycloak realm with the client-credentials grant")
        URI oidcIssuer;

        @Option(names = "--client-id", description = "the client of --oidc-issuer")
        String clientId;

        @Option(names = "--client-secret-file", description = "file holding the client's secret (default: the SLUICE_CLIENT_SECRET environment variable)")
        Path clientSecretFile;

        BrokerHttp http() {
            if (broker == null) {
                throw new CliException("--broker URL is required");
            }
            if (oidcIssuer == null) {
                Optional<String> fixed = BrokerHttp.token(token);
                return new BrokerHttp(broker, () -> fixed);
            }
            if (clientId == null) {
                throw new CliException("--oidc-issuer needs --client-id");
            }
            ClientCredentials credentials = new ClientCredentials(oidcIssuer, clientId, secret());
            return new BrokerHttp(broker, () -> Optional.of(credentials.token()));
        }

        private String secret() {
            try {
                String secret = clientSecretFile != null ? Files.readString(clientSecretFile).trim()
                        : System.getenv("SLUICE_CLIENT_SECRET");
                if (secret == null || secret.isBlank()) {
                    throw new CliException("give the client's secret with --client-secret-file or SLUICE_CLIENT_SECRET");
                }
                return secret;
            } catch (IOException e) {
                throw new CliException("cannot read " + clientSecretFile + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Downloads the audit log as JSON lines (the records' exact bytes) or CSV.",
                "A JSON-lines export is written with the latest signed checkpoint beside it (FILE.checkpoint),",
                "so that `sluice audit verify --file FILE` can check it offline."})
    static final class Export implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        BrokerOptions options = new BrokerOptions();

        @Option(names = "--format", defaultValue = "jsonl", description = "jsonl or csv (default: ${DEFAULT-VALUE})")
        String format;

        @Option(names = "--out", required = true, description = "file to write")
        Path out;

        @Option(names = "--dataset", description = "only records about this dataset")
        String dataset;

        @Override
        public Integer call() throws IOException {
            BrokerHttp http = options.http();
            String checkpoint = http.text("/v1/audit/checkpoint");
            String query = "/v1/audit/export?format=" + enc(format) + (dataset == null ? "" : "&dataset=" + enc(dataset));
            long bytes;
            try (InputStream in = http.stream(query); OutputStream file = Files.newOutputStream(out)) {
                bytes = in.transferTo(file);
            }
            if (format.equals("jsonl") && dataset == null) {
                Files.writeString(Path.of(out + ".checkpoint"), checkpoint);
            }
            spec.commandLine().getErr().printf("wrote %,d bytes to %s%n", bytes, out);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recomputes the audit log's Merkle tree from the records' exact bytes, checks every signed",
                "checkpoint and the consistency with the checkpoint verified last time (kept in --state),",
                "and names the first record that was modified, deleted, inserted or reordered.",
                "Exit code 0: verified; 1: the log does not verify; 2: could not check."})
    static final class Verify implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        BrokerOptions options = new BrokerOptions();

        @Option(names = "--public-key", required = true, description = "file with the log's verifier key (GET /v1/audit/public-key)")
        Path publicKey;

        @Option(names = "--file", description = "verify a JSON-lines export instead of a broker (with FILE.checkpoint beside it)")
        Path file;

        @Option(names = "--state", description = "where the last verified checkpoint is kept (default: ~/.sluice/audit-verify-state.json)")
        Path state;

        @Override
        public Integer call() throws IOException {
            NoteVerifier verifier = NoteVerifier.parse(Files.readString(publicKey).trim());
            Path statePath = state != null ? state : Path.of(System.getProperty("user.home"), ".sluice", "audit-verify-state.json");
            Optional<AuditVerifier.Trusted> trusted = readState(statePath, verifier.name());
            List<byte[]> records;
            List<String> notes;
            BrokerHttp http = null;
            if (file != null) {
                records = readLines(file);
                Path checkpoint = Path.of(file + ".checkpoint");
                notes = Files.exists(checkpoint) ? List.of(Files.readString(checkpoint)) : List.of();
            } else {
                http = options.http();
                notes = fetchCheckpoints(http);
                records = fetchRecords(http);
            }
            AuditVerifier.Result result = new AuditVerifier(verifier).verify(records, notes, trusted);
            PrintWriter out = spec.commandLine().getOut();
            if (result.ok() && http != null && trusted.isPresent() && result.latest().isPresent()) {
                Optional<String> fork = checkConsistency(http, trusted.get(), result.latest().get());
                if (fork.isPresent()) {
                    out.println("FAILED: " + fork.get());
                    return 1;
                }
            }
            if (!result.ok()) {
                out.println("FAILED: " + result.problem().get());
                return 1;
            }
            if (result.latest().isEmpty()) {
                out.printf("FAILED: no signed checkpoint to verify %,d records against%n", result.records());
                return 1;
            }
            Checkpoint latest = result.latest().get();
            writeState(statePath, verifier.name(), latest);
            out.printf("OK: %,d records; %d signed checkpoints verified, the latest at size %,d (root %s) by %s%n",
                    result.records(), result.checkpoints(), latest.size(),
                    HexFormat.of().formatHex(latest.rootHash()), verifier.name());
            return 0;
        }

        private static List<String> fetchCheckpoints(BrokerHttp http) {
            List<String> notes = new ArrayList<>();
            long after = -1;
            while (true) {
                JsonNode page = http.json("/v1/audit/checkpoints?limit=" + PAGE + "&after=" + after).path("checkpoints");
                page.forEach(c -> notes.add(c.path("note").asText()));
                if (page.size() < PAGE) {
                    return notes;
                }
                after = page.get(page.size() - 1).path("size").asLong();
            }
        }

        private static List<byte[]> fetchRecords(BrokerHttp http) {
            List<byte[]> records = new ArrayList<>();
            long size = http.json("/v1/audit/entries?start=0&end=0").path("treeSize").asLong();
            for (long start = 0; start < size; start += PAGE) {
                JsonNode entries = http.json("/v1/audit/entries?start=" + start + "&end=" + Math.min(size, start + PAGE))
                        .path("entries");
                entries.forEach(e -> records.add(Base64.getDecoder().decode(e.path("leaf").asText())));
                if (size > 10 * PAGE && (start / PAGE) % 100 == 0) {
                    System.err.printf("fetched %,d of %,d records%n", records.size(), size);
                }
                if (entries.isEmpty()) {
                    break;
                }
            }
            return records;
        }

        private static Optional<String> checkConsistency(BrokerHttp http, AuditVerifier.Trusted before, Checkpoint now) {
            if (before.size() == 0 || before.size() == now.size()) {
                return Optional.empty();
            }
            JsonNode proof = http.json("/v1/audit/proof/consistency?from=" + before.size() + "&to=" + now.size());
            List<byte[]> hashes = new ArrayList<>();
            proof.path("hashes").forEach(h -> hashes.add(Base64.getDecoder().decode(h.asText())));
            return MerkleProofs.verifyConsistency(before.size(), now.size(), before.rootHash(), now.rootHash(), hashes)
                    ? Optional.empty()
                    : Optional.of("the broker's consistency proof from size " + before.size() + " to " + now.size()
                            + " does not verify: the log forked after the last verification");
        }

        private static List<byte[]> readLines(Path file) throws IOException {
            List<byte[]> records = new ArrayList<>();
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (!line.isEmpty()) {
                        records.add(line.getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            return records;
        }

        private static Optional<AuditVerifier.Trusted> readState(Path path, String origin) throws IOException {
            if (!Files.exists(path)) {
                return Optional.empty();
            }
            JsonNode entry = JSON.readTree(path.toFile()).path(origin);
            if (entry.isMissingNode()) {
                return Optional.empty();
            }
            return Optional.of(new AuditVerifier.Trusted(entry.path("size").asLong(),
                    HexFormat.of().parseHex(entry.path("rootHash").asText())));
        }

        private static void writeState(Path path, String origin, Checkpoint latest) throws IOException {
            ObjectNode all = Files.exists(path) ? (ObjectNode) JSON.readTree(path.toFile()) : JSON.createObjectNode();
            all.putObject(origin).put("size", latest.size()).put("rootHash", HexFormat.of().formatHex(latest.rootHash()));
            Files.createDirectories(path.toAbsolutePath().getParent());
            Files.writeString(path, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"For a data owner: every grant and stream that touched a dataset, with purposes,",
                "organisations, rows and bytes, and each record's inclusion proof checked against the signed checkpoint."})
    static final class Report implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        BrokerOptions options = new BrokerOptions();

        @Option(names = "--dataset", required = true, description = "dataset id")
        String dataset;

        @Option(names = "--public-key", description = "verifier key file; when given, each proof is checked against the signed checkpoint")
        Path publicKey;

        @Override
        public Integer call() throws IOException {
            BrokerHttp http = options.http();
            String note = http.text("/v1/audit/checkpoint");
            Checkpoint checkpoint = publicKey == null
                    ? Checkpoint.parseBody(note.substring(0, note.indexOf("\n\n") + 1))
                    : Checkpoint.parseBody(NoteVerifier.parse(Files.readString(publicKey).trim()).verify(note));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("dataset %s; checkpoint size %,d, root %s%s%n", dataset, checkpoint.size(),
                    HexFormat.of().formatHex(checkpoint.rootHash()), publicKey == null ? " (signature not checked)" : " (signature verified)");
            out.printf("%-6s %-24s %-16s %-20s %-18s %12s %14s  %s%n", "index", "time", "action", "organisation",
                    "purpose", "rows", "bytes", "proof");
            long after = -1;
            int failures = 0;
            while (true) {
                JsonNode records = http.json("/v1/audit?dataset=" + enc(dataset) + "&limit=" + PAGE + "&after=" + after)
                        .path("records");
                for (JsonNode record : records) {
                    long index = record.path("index").asLong();
                    after = index;
                    String proof = index < checkpoint.size() ? proof(http, record, checkpoint) : "after checkpoint";
                    failures += proof.startsWith("FAILED") ? 1 : 0;
                    out.printf("%-6d %-24s %-16s %-20s %-18s %12s %14s  %s%n", index,
                            record.path("time").asText(), record.path("action").asText(),
                            record.path("actor").path("organisation").asText(), record.path("purpose").asText("-"),
                            record.path("rows").asText("-"), record.path("bytes").asText("-"), proof);
                }
                if (records.size() < PAGE) {
                    break;
                }
            }
            return failures == 0 ? 0 : 1;
        }

        private static String proof(BrokerHttp http, JsonNode record, Checkpoint checkpoint) {
            long index = record.path("index").asLong();
            JsonNode proof = http.json("/v1/audit/proof/inclusion?index=" + index + "&size=" + checkpoint.size());
            // Recompute the leaf from the record itself rather than trusting the hash the broker sent.
            ObjectNode bare = record.deepCopy();
            bare.remove("leafHash");
            byte[] leaf = MerkleHash.leaf(CanonicalJson.encode(JSON.convertValue(bare, java.util.Map.class)));
            List<byte[]> hashes = new ArrayList<>();
            proof.path("hashes").forEach(h -> hashes.add(Base64.getDecoder().decode(h.asText())));
            boolean ok = MerkleProofs.verifyInclusion(index, checkpoint.size(), leaf, hashes, checkpoint.rootHash());
            return ok ? "included (" + hashes.size() + " hashes)" : "FAILED: not included in the checkpoint";
        }
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
