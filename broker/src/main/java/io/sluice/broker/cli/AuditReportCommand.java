package io.sluice.broker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.audit.tlog.CanonicalJson;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleProofs;
import io.sluice.broker.audit.tlog.NoteVerificationException;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice audit report}: streams, rows and bytes per organisation, purpose and dataset over
 * the log up to the checkpoint the broker signs when the report starts, and, for one dataset (or
 * with {@code --records}), every record with its inclusion proof checked against that checkpoint.
 * Records are read a page at a time through {@code GET /v1/audit}; only the totals and the column
 * widths are kept, so the whole log never has to fit in memory.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Streams, rows and bytes per organisation, purpose and dataset, and their total,",
            "over the whole log (a compliance officer) or a data owner's datasets, up to the checkpoint",
            "the broker signs when the report starts. A stream counts once, at its end (stream.closed;",
            "stream.aborted and stream.interrupted count as incomplete, with what they sent).",
            "With --dataset (or --records) it also lists every record, each with its inclusion proof",
            "checked against that checkpoint. Exit code 1 when a proof fails."},
        footer = {"", "Examples:",
            "  ./sluice audit report --broker http://127.0.0.1:8470 --token \"$AUDIT\" --since 7d --public-key audit.pub",
            "  ./sluice audit report --broker http://127.0.0.1:8470 --token \"$TOKEN\" --dataset ds-... --public-key audit.pub",
            "  ./sluice audit report --broker http://127.0.0.1:8470 --token \"$AUDIT\" --since 2026-11-01 --format json"})
final class AuditReportCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 1000;
    private static final List<String> RECORD_HEADINGS = List.of("index", "time", "action", "organisation", "purpose",
            "rows", "bytes", "proof");
    private static final List<TextTable.Align> RECORD_ALIGNS = List.of(TextTable.Align.RIGHT, TextTable.Align.LEFT,
            TextTable.Align.LEFT, TextTable.Align.LEFT, TextTable.Align.LEFT, TextTable.Align.RIGHT,
            TextTable.Align.RIGHT, TextTable.Align.LEFT);

    @Spec
    CommandSpec spec;

    @Mixin
    AuditCommand.BrokerOptions options = new AuditCommand.BrokerOptions();

    @Option(names = "--dataset", description = "only this dataset's records (id); also lists them with their proofs")
    String dataset;

    @Option(names = "--since", description = "only records from this time on: 2026-11-26T10:00:00Z, 2026-11-26 (UTC),"
            + " or back from now: 7d, 12h, 30m, P7D")
    String since;

    @Option(names = "--records", description = "list every record with its proof, also without --dataset")
    boolean records;

    @Option(names = "--format", defaultValue = "text", description = "text or json (totals only) (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--public-key", description = "verifier key file; when given, the checkpoint's signature is checked")
    Path publicKey;

    @Override
    public Integer call() throws IOException {
        if (!format.equals("text") && !format.equals("json")) {
            throw new CliException("--format must be text or json, was '" + format + "'");
        }
        Optional<Instant> from = Optional.ofNullable(since).map(s -> SinceOption.parse(s, Instant.now()));
        BrokerHttp http = options.http();
        String note = http.text("/v1/audit/checkpoint");
        Checkpoint checkpoint;
        if (publicKey == null) {
            checkpoint = Checkpoint.parseBody(note.substring(0, note.indexOf("\n\n") + 1));
        } else {
            NoteVerifier verifier;
            try {
                verifier = NoteVerifier.parse(Files.readString(publicKey).trim());
            } catch (IllegalArgumentException e) {
                throw new CliException("--public-key " + publicKey + " is not a verifier key: " + e.getMessage());
            }
            try {
                checkpoint = Checkpoint.parseBody(verifier.verify(note));
            } catch (NoteVerificationException | IllegalArgumentException e) {
                spec.commandLine().getOut().println("FAILED: the broker's checkpoint does not verify with " + publicKey
                        + ": " + e.getMessage());
                return 1;
            }
        }
        String filter = (dataset == null ? "" : "&dataset=" + enc(dataset))
                + from.map(f -> "&from=" + enc(f.toString())).orElse("");
        boolean listing = format.equals("text") && (records || dataset != null);

        StreamTotals totals = new StreamTotals();
        // The pages name the datasets their records mention (withdrawn ones too): no request per dataset.
        Map<String, DatasetName> names = new TreeMap<>();
        TextTable recordTable = new TextTable(RECORD_HEADINGS, RECORD_ALIGNS);
        if (listing) {
            // First pass: the totals and the widths of the listing's columns; the second prints. Records
            // below the checkpoint's size never change, so both passes read the same records.
            forEachRecord(http, filter, checkpoint.size(), names, record -> {
                totals.add(record);
                recordTable.fit(cells(record, "FAILED: not included in the checkpoint"));
            });
        } else {
            for (String end : new java.util.TreeSet<>(StreamTotals.ENDS)) {
                forEachRecord(http, filter + "&action=" + end, checkpoint.size(), names, totals::add);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("json")) {
            out.println(JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json(checkpoint, from, totals, names)));
            return 0;
        }
        out.printf("log %s, checkpoint size %s, root %s%s%n", checkpoint.origin(), TextTable.number(checkpoint.size()),
                HexFormat.of().formatHex(checkpoint.rootHash()),
                publicKey == null ? " (signature not checked)" : " (signature verified)");
        out.printf("records %s, %s, %s%n", checkpoint.size() == 0 ? "none" : "0.." + (checkpoint.size() - 1),
                dataset == null ? "all datasets" : "dataset " + dataset,
                from.map(f -> "since " + f).orElse("from the start"));
        out.println();
        printTotals(out, "By organisation", List.of("organisation"), totals.byOrganisation(), key -> List.of(key));
        printTotals(out, "By purpose", List.of("purpose"), totals.byPurpose(), key -> List.of(key));
        printTotals(out, "By dataset", List.of("dataset", "name", "owner"), totals.byDataset(), key -> {
            DatasetName name = names.getOrDefault(key, DatasetName.UNKNOWN);
            return List.of(key, name.name(), name.owner());
        });
        if (!listing) {
            return 0;
        }
        out.println("Records");
        out.println(recordTable.heading());
        int[] failures = {0};
        forEachRecord(http, filter, checkpoint.size(), new TreeMap<>(), record -> {
            String proof = proof(http, record, checkpoint);
            failures[0] += proof.startsWith("FAILED") ? 1 : 0;
            out.println(recordTable.line(cells(record, proof)));
        });
        return failures[0] == 0 ? 0 : 1;
    }

    /** A dataset's name and owner, as a page of {@code GET /v1/audit} labels it ({@code datasets}); "-" when it does not. */
    record DatasetName(String name, String owner) {
        static final DatasetName UNKNOWN = new DatasetName("-", "-");
    }

    private static void printTotals(PrintWriter out, String title, List<String> keyHeadings,
            Map<String, StreamTotals.Sum> sums, java.util.function.Function<String, List<String>> keyCells) {
        List<String> headings = new ArrayList<>(keyHeadings);
        headings.addAll(List.of("streams", "incomplete", "rows", "bytes"));
        List<TextTable.Align> aligns = new ArrayList<>();
        keyHeadings.forEach(k -> aligns.add(TextTable.Align.LEFT));
        aligns.addAll(List.of(TextTable.Align.RIGHT, TextTable.Align.RIGHT, TextTable.Align.RIGHT, TextTable.Align.RIGHT));
        TextTable table = new TextTable(headings, aligns);
        StreamTotals.Sum total = StreamTotals.Sum.ZERO;
        for (Map.Entry<String, StreamTotals.Sum> entry : sums.entrySet()) {
            table.add(row(keyCells.apply(entry.getKey()), entry.getValue()));
            total = total.plus(entry.getValue());
        }
        List<String> totalKey = new ArrayList<>(List.of("total"));
        while (totalKey.size() < keyHeadings.size()) {
            totalKey.add("");
        }
        table.add(row(totalKey, total));
        out.println(title);
        out.print(table.render());
        out.println();
    }

    private static List<String> row(List<String> key, StreamTotals.Sum sum) {
        List<String> cells = new ArrayList<>(key);
        cells.addAll(List.of(TextTable.number(sum.streams()), TextTable.number(sum.incomplete()),
                TextTable.number(sum.rows()), TextTable.number(sum.bytes())));
        return cells;
    }

    private ObjectNode json(Checkpoint checkpoint, Optional<Instant> from, StreamTotals totals,
            Map<String, DatasetName> names) {
        ObjectNode report = JSON.createObjectNode();
        report.putObject("log").put("origin", checkpoint.origin()).put("size", checkpoint.size())
                .put("root", HexFormat.of().formatHex(checkpoint.rootHash())).put("signatureVerified", publicKey != null);
        report.put("dataset", dataset);
        report.put("since", from.map(Instant::toString).orElse(null));
        sums(report.putArray("byOrganisation"), "organisation", totals.byOrganisation(), (key, node) -> { });
        sums(report.putArray("byPurpose"), "purpose", totals.byPurpose(), (key, node) -> { });
        sums(report.putArray("byDataset"), "dataset", totals.byDataset(), (key, node) -> {
            DatasetName name = names.getOrDefault(key, DatasetName.UNKNOWN);
            node.put("name", name.name()).put("owner", name.owner());
        });
        sum(report.putObject("total"), totals.total());
        return report;
    }

    private static void sums(ArrayNode array, String keyName, Map<String, StreamTotals.Sum> sums,
            java.util.function.BiConsumer<String, ObjectNode> more) {
        sums.forEach((key, sum) -> {
            ObjectNode node = array.addObject().put(keyName, key);
            more.accept(key, node);
            sum(node, sum);
        });
    }

    private static void sum(ObjectNode node, StreamTotals.Sum sum) {
        node.put("streams", sum.streams()).put("incomplete", sum.incomplete()).put("rows", sum.rows())
                .put("bytes", sum.bytes());
    }

    private static List<String> cells(JsonNode record, String proof) {
        return List.of(Long.toString(record.path("index").asLong()), record.path("time").asText(),
                record.path("action").asText(), record.path("actor").path("organisation").asText("-"),
                record.path("purpose").asText("-"), count(record.path("rows")), count(record.path("bytes")), proof);
    }

    private static String count(JsonNode value) {
        return value.isNumber() ? TextTable.number(value.asLong()) : "-";
    }

    /**
     * Feeds each record the filter selects with an index below {@code size} to {@code sink}, a page at
     * a time, and adds the names of the datasets each page mentions to {@code names}.
     */
    private static void forEachRecord(BrokerHttp http, String filter, long size, Map<String, DatasetName> names,
            Consumer<JsonNode> sink) {
        long after = -1;
        while (true) {
            JsonNode answer = http.json("/v1/audit?limit=" + PAGE + "&after=" + after + filter);
            answer.path("datasets").properties().forEach(label -> names.put(label.getKey(),
                    new DatasetName(label.getValue().path("name").asText("-"), label.getValue().path("organisation").asText("-"))));
            JsonNode page = answer.path("records");
            for (JsonNode record : page) {
                after = record.path("index").asLong();
                if (after >= size) {
                    return;
                }
                sink.accept(record);
            }
            if (page.size() < PAGE) {
                return;
            }
        }
    }

    private static String proof(BrokerHttp http, JsonNode record, Checkpoint checkpoint) {
        long index = record.path("index").asLong();
        JsonNode proof = http.json("/v1/audit/proof/inclusion?index=" + index + "&size=" + checkpoint.size());
        // Recompute the leaf from the record itself rather than trusting the hash the broker sent.
        ObjectNode bare = record.deepCopy();
        bare.remove("leafHash");
        byte[] leaf = MerkleHash.leaf(CanonicalJson.encode(JSON.convertValue(bare, Map.class)));
        List<byte[]> hashes = new ArrayList<>();
        proof.path("hashes").forEach(h -> hashes.add(Base64.getDecoder().decode(h.asText())));
        boolean ok = MerkleProofs.verifyInclusion(index, checkpoint.size(), leaf, hashes, checkpoint.rootHash());
        return ok ? "included (" + hashes.size() + " hashes)" : "FAILED: not included in the checkpoint";
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
