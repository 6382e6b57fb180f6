package io.sluice.broker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.broker.audit.AuditExportHeaders;
import io.sluice.broker.audit.AuditVerifier;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleProofs;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
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
        footer = {"", "Examples:",
            "  curl -s http://127.0.0.1:8470/v1/audit/public-key > audit.pub",
            "  ./sluice audit verify --broker http://127.0.0.1:8470 --token \"$AUDIT\" --public-key audit.pub",
            "  ./sluice audit export --broker http://127.0.0.1:8470 --token \"$AUDIT\" --out audit.jsonl",
            "  ./sluice audit report --broker http://127.0.0.1:8470 --token \"$AUDIT\" --since 7d",
            "  ./sluice audit report --broker http://127.0.0.1:8470 --token \"$TOKEN\" --dataset ds-..."},
        subcommands = {AuditCommand.Export.class, AuditCommand.Verify.class, AuditReportCommand.class})
public final class AuditCommand implements Runnable {
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
            if (clientSecretFile != null) {
                try {
                    return io.sluice.broker.Secret.readFile(clientSecretFile).value();
                } catch (IllegalArgumentException e) {
                    throw new CliException("--client-secret-file: " + e.getMessage());
                }
            }
            String secret = System.getenv("SLUICE_CLIENT_SECRET");
            if (secret == null || secret.isBlank()) {
                throw new CliException("give the client's secret with --client-secret-file or SLUICE_CLIENT_SECRET");
            }
            return secret;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Downloads the audit log as JSON lines (the records' exact bytes), CSV, or FHIR",
                "(an R4 Bundle of AuditEvent resources, IHE BALP; each names its record's index and leaf hash).",
                "The broker records the export (audit.exported) and ends it there. A JSON-lines",
                "export of the whole log is written with the checkpoint the answering broker",
                "signed at exactly its size beside it (FILE.checkpoint) and that broker's",
                "verifier key (FILE.pub): `sluice audit verify --file FILE --public-key KEY`",
                "checks every record in it offline. FILE.pub names the key that signed; trust",
                "it once it matches a key you hold (each broker's DATA_DIR/audit-public.key).",
                "A --dataset export, and any data owner's (their own datasets only), is a",
                "subset and gets no checkpoint file (the tree needs every record): use",
                "`sluice audit report`."},
            footer = {"", "Example:",
                "  ./sluice audit export --broker http://127.0.0.1:8470 --token \"$AUDIT\" --out audit.jsonl"
                    + "   # + audit.jsonl.checkpoint, audit.jsonl.pub",
                "  ./sluice audit export --broker http://127.0.0.1:8470 --token \"$AUDIT\" --format fhir --out audit.fhir.json"})
    static final class Export implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        BrokerOptions options = new BrokerOptions();

        @Option(names = "--format", defaultValue = "jsonl", description = "jsonl, csv or fhir (default: ${DEFAULT-VALUE})")
        String format;

        @Option(names = "--out", required = true, description = "file to write")
        Path out;

        @Option(names = "--dataset", description = "only records about this dataset")
        String dataset;

        @Override
        public Integer call() throws IOException {
            BrokerHttp http = options.http();
            String query = "/v1/audit/export?format=" + enc(format) + (dataset == null ? "" : "&dataset=" + enc(dataset));
            HttpResponse<InputStream> response = http.response(query);
            PrintWriter err = spec.commandLine().getErr();
            boolean jsonl = format.equals("jsonl");
            // The broker says whether the export is the whole log: a data owner's is theirs only, filter or not.
            boolean whole = jsonl && response.headers().firstValue(AuditExportHeaders.SCOPE)
                    .map(AuditExportHeaders.WHOLE_LOG::equals).orElse(dataset == null);
            Path checkpoint = Path.of(out + ".checkpoint");
            Path key = Path.of(out + ".pub");
            long treeSize = -1;
            ExportCheckpoint signed = null;
            long bytes;
            try (InputStream in = response.body()) {
                // The head arrives before the body: refuse a bad one before a byte of the file is written.
                if (jsonl) {
                    treeSize = response.headers().firstValueAsLong(AuditExportHeaders.TREE_SIZE).orElseThrow(() -> new CliException(
                            http.uri(query) + " did not say which tree size the export ends at (header " + AuditExportHeaders.TREE_SIZE + "):"
                                    + " the broker is older than this CLI; nothing written"));
                }
                if (whole) {
                    signed = ExportCheckpoint.of(response.headers(), http.uri(query), treeSize);
                }
                bytes = download(in, whole ? treeSize : -1, checkpoint, key);
            }
            err.printf("wrote %,d bytes to %s%n", bytes, out);
            if (!jsonl) {
                return 0;
            }
            if (!whole) {
                err.printf("records of %s with an index below %,d; an export of part of the log has no checkpoint file"
                        + " (verify --file needs every record): check them with `sluice audit report%s`%n",
                        dataset == null ? "your organisation's datasets" : "dataset " + dataset, treeSize,
                        dataset == null ? "" : " --dataset " + dataset);
                return 0;
            }
            Files.writeString(checkpoint, signed.note());
            Files.writeString(key, signed.verifierKey() + "\n");
            err.printf("wrote the checkpoint signed at size %,d, covering every record in the export, to %s,"
                    + " and the key of the broker that signed it to %s (it names the signer and proves nothing by"
                    + " itself: compare it with a key you hold from elsewhere)%n", treeSize, checkpoint, key);
            return 0;
        }

        /**
         * Writes the body to a file beside {@link #out} and moves it into place once complete: a
         * download that breaks off, or holds other than {@code records} records (when not -1), never
         * stands under the name of a finished export, and an earlier export there stays whole. The
         * earlier export's {@code sideFiles} go when the new file takes its place: they must never
         * sit beside another export.
         */
        private long download(InputStream in, long records, Path... sideFiles) throws IOException {
            Path directory = out.toAbsolutePath().getParent();
            Path partial = Files.createTempFile(directory, out.getFileName() + ".", ".part");
            try {
                long bytes;
                try (OutputStream file = Files.newOutputStream(partial)) {
                    bytes = in.transferTo(file);
                }
                if (records >= 0) {
                    long lines;
                    try (var all = Files.lines(partial, StandardCharsets.UTF_8)) {
                        lines = all.filter(line -> !line.isEmpty()).count();
                    }
                    if (lines != records) {
                        throw new CliException("the export holds " + lines + " records but the broker ended it at tree"
                                + " size " + records + ": the download was cut short; nothing written, export again");
                    }
                }
                for (Path side : sideFiles) {
                    Files.deleteIfExists(side);
                }
                Files.move(partial, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                return bytes;
            } finally {
                Files.deleteIfExists(partial);
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Checks an audit log against its signed checkpoints, from a broker or an export.",
                "Recomputes the log's Merkle tree from the records' exact bytes,",
                "checks every signed checkpoint and the consistency with the checkpoint",
                "verified last time, and names the first record that was modified, deleted,",
                "inserted or reordered.",
                "Records after the last signed checkpoint are not verified (anyone can",
                "recompute their links): verify fails on them unless --accept-unsigned-tail",
                "is given, and then says how many it did not verify.",
                "The largest checkpoint verified is kept in DIR/" + AuditVerifyState.FILE_NAME + ";",
                "DIR is --state, else $XDG_STATE_HOME/sluice, else $HOME/.local/state/sluice.",
                "It never moves back: an older export is checked against its own checkpoint.",
                "Exit code 0: verified; 1: the log does not verify; 2: could not check."},
            footer = {"", "Examples:",
                "  ./sluice audit verify --broker http://127.0.0.1:8470 --token \"$AUDIT\" --public-key audit.pub",
                "  ./sluice audit verify --file audit.jsonl --public-key audit.pub"})
    static final class Verify implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @picocli.CommandLine.Mixin
        BrokerOptions options = new BrokerOptions();

        @Option(names = "--public-key", required = true, description = "file with the log's verifier key (GET /v1/audit/public-key)")
        Path publicKey;

        @Option(names = "--file", description = "verify a JSON-lines export instead of a broker (with FILE.checkpoint beside it)")
        Path file;

        @Option(names = "--state", paramLabel = "DIR", description = "directory keeping the last verified checkpoint"
                + " (default: $XDG_STATE_HOME/sluice, else $HOME/.local/state/sluice)")
        Path state;

        @Option(names = "--accept-unsigned-tail", description = "exit 0 although records after the last signed"
                + " checkpoint are present; they are counted as NOT verified")
        boolean acceptUnsignedTail;

        @Override
        public Integer call() throws IOException {
            NoteVerifier verifier = NoteVerifier.parse(Files.readString(publicKey).trim());
            AuditVerifyState remembered = AuditVerifyState.at(Optional.ofNullable(state), System.getenv());
            Optional<AuditVerifier.Trusted> trusted = remembered.read(verifier.name());
            List<byte[]> records;
            List<String> notes = new ArrayList<>();
            BrokerHttp http = null;
            if (file != null) {
                records = readLines(file);
                Path checkpoint = Path.of(file + ".checkpoint");
                if (Files.exists(checkpoint)) {
                    notes.add(Files.readString(checkpoint));
                }
            } else {
                http = options.http();
                // Sign the head now and fetch no record past the largest checkpoint: nothing unsigned.
                http.text("/v1/audit/checkpoint");
                records = fetchRecords(http, fetchCheckpoints(http, notes));
            }
            // An export smaller than the checkpoint verified before is an older export, not a log with
            // records deleted; with no consistency proof in it, it is checked against its own checkpoint.
            boolean older = file != null && trusted.isPresent() && trusted.get().size() > records.size();
            AuditVerifier.Result result = new AuditVerifier(verifier).verify(records, notes,
                    older ? Optional.empty() : trusted);
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
            if (result.unsigned() > 0 && !acceptUnsignedTail) {
                boolean one = result.unsigned() == 1;
                out.printf("FAILED: %s %s not covered by a signed checkpoint, which covers records 0..%d: %s may have"
                        + " been altered or appended; pass --accept-unsigned-tail to accept %s unverified%n",
                        tail(result), one ? "is" : "are", result.covered() - 1, one ? "it" : "they", one ? "it" : "them");
                return 1;
            }
            Checkpoint latest = result.latest().get();
            boolean moved = remembered.remember(latest);
            String checked = String.format("%d signed checkpoints verified, the latest at size %,d (root %s) by %s",
                    result.checkpoints(), latest.size(), HexFormat.of().formatHex(latest.rootHash()), verifier.name());
            if (result.unsigned() > 0) {
                out.printf("OK: %,d of %,d records verified; %s after the last signed checkpoint NOT verified"
                        + " (--accept-unsigned-tail); %s%n", result.covered(), result.records(), tail(result), checked);
            } else {
                out.printf("OK: %,d records; %s%n", result.records(), checked);
            }
            if (file != null && cameWithTheExport(publicKey, file)) {
                String[] parts = Files.readString(publicKey).trim().split("\\+", 3);
                out.printf("WARNING: the key is the one this export came with (%s): that shows the export agrees with"
                        + " itself, not that a broker you trust wrote it; compare key %s+%s with a key you hold from"
                        + " elsewhere (the broker's DATA_DIR/audit-public.key)%n", Path.of(file + ".pub"), parts[0],
                        parts.length > 1 ? parts[1] : "");
            }
            if (older) {
                out.printf("this export is older than the checkpoint verified before (size %,d): it was checked against"
                        + " its own checkpoint only; the remembered checkpoint stays at size %,d%n",
                        trusted.get().size(), trusted.get().size());
            } else if (!moved && trusted.isPresent() && trusted.get().size() > latest.size()) {
                out.printf("the remembered checkpoint stays at size %,d%n", trusted.get().size());
            }
            return 0;
        }

        /**
         * Whether {@code key} is the very {@code FILE.pub} that {@code sluice audit export} wrote. A key
         * file of one's own with the same text is the comparison done, not a warning.
         */
        private static boolean cameWithTheExport(Path key, Path file) throws IOException {
            Path shipped = Path.of(file + ".pub");
            return Files.exists(shipped) && Files.isSameFile(key, shipped);
        }

        /** "1 record (index 12)" or "3 records (index 12..14)": the records no verified checkpoint covers. */
        private static String tail(AuditVerifier.Result result) {
            long first = result.covered();
            long last = result.records() - 1;
            return first == last ? "1 record (index " + first + ")"
                    : String.format("%,d records (index %d..%d)", result.unsigned(), first, last);
        }

        /** Fills {@code notes} with every stored checkpoint and returns the largest size among them. */
        private static long fetchCheckpoints(BrokerHttp http, List<String> notes) {
            long after = -1;
            long largest = 0;
            while (true) {
                JsonNode page = http.json("/v1/audit/checkpoints?limit=" + PAGE + "&after=" + after).path("checkpoints");
                for (JsonNode checkpoint : page) {
                    notes.add(checkpoint.path("note").asText());
                    largest = Math.max(largest, checkpoint.path("size").asLong());
                }
                if (page.size() < PAGE) {
                    return largest;
                }
                after = page.get(page.size() - 1).path("size").asLong();
            }
        }

        /** Records 0 to {@code size} - 1, or fewer if the broker serves fewer (the verifier then says which are missing). */
        private static List<byte[]> fetchRecords(BrokerHttp http, long size) {
            List<byte[]> records = new ArrayList<>();
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
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
