package io.sluice.broker.cli;

import io.sluice.broker.audit.ReceiptVerifier;
import io.sluice.broker.audit.TrainingReceipt;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice receipt ...}: training receipts, checked offline. */
@Command(name = "receipt", mixinStandardHelpOptions = true,
        description = "Check a training receipt (GET /v1/grants/{id}/receipt) offline, without the broker.",
        footer = {"", "Example:",
            "  curl -s http://127.0.0.1:8470/v1/audit/public-key > audit.pub",
            "  ./sluice load --broker http://127.0.0.1:8470 --grant gr-... --token-file lab.token --receipt receipt.json",
            "  ./sluice receipt verify receipt.json --public-key audit.pub"},
        subcommands = {ReceiptCommand.Verify.class})
public final class ReceiptCommand implements Runnable {
    @Override
    public void run() {
        throw new CliException("name a subcommand: verify (sluice receipt --help)");
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Checks a training receipt without the broker: the checkpoint's signature, each record's",
                "inclusion proof, that every record is one of the grant's, that the grant's grant.issued record is",
                "there and says what the receipt says, and that every stream opened has its end and every end its",
                "opening; then prints the grant's streams with their rows, bytes and SHA-256, and the totals.",
                "A stream of a multi-rank job may still run when one rank fetches the receipt: verify fails on it",
                "unless --allow-running, which reports it as running (an end without an opening always fails).",
                "Exit 0 when the receipt verifies, 1 naming the first failure, 2 when it cannot be read.",
                "A receipt proves that its records are in the log; it cannot prove that no record of the grant",
                "was left out (compare --expect-bytes and --expect-sha256 with what the loader received)."},
            footer = {"", "Examples:",
                "  ./sluice receipt verify receipt.json --public-key audit.pub",
                "  ./sluice receipt verify receipt.json --public-key audit.pub --expect-bytes 1048576 \\",
                "      --expect-sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "  ./sluice receipt verify receipt.json --public-key audit.pub --allow-running",
                "  curl -s -H \"Authorization: Bearer $LAB\" http://127.0.0.1:8470/v1/audit/checkpoint > later.checkpoint",
                "  curl -s -H \"Authorization: Bearer $LAB\" \\",
                "      \"http://127.0.0.1:8470/v1/grants/$GRANT/receipt?consistencyTo=$(sed -n 2p later.checkpoint)\" > receipt.json",
                "  ./sluice receipt verify receipt.json --public-key audit.pub --consistency-to later.checkpoint"})
    static final class Verify implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "RECEIPT", description = "the receipt (JSON, as the broker or `sluice load --receipt` wrote it)")
        Path receipt;

        @Option(names = "--public-key", required = true, paramLabel = "FILE",
                description = "file with the log's verifier key (GET /v1/audit/public-key)")
        Path publicKey;

        @Option(names = "--consistency-to", paramLabel = "CHECKPOINT_FILE", description = {
            "a later signed checkpoint of the same log (GET /v1/audit/checkpoint, an export's .checkpoint):",
            "the receipt's checkpoint must be proven a prefix of it, by the receipt's own consistency proof",
            "(ask the broker for it with ?consistencyTo=SIZE)"})
        Path consistencyTo;

        @Option(names = "--expect-sha256", paramLabel = "HEX", split = ",", description = {
            "SHA-256 of a stream the loader read to its end: a stream.closed record must have it; repeat or",
            "separate with commas (a digest given twice needs two streams with it)"})
        List<String> expectSha256 = List.of();

        @Option(names = "--expect-bytes", paramLabel = "N", description = {
            "bytes the loader received over the streams it read to their end. With --expect-sha256, the streams",
            "those digests name must add up to it (a grant may have served several runs); without, all the",
            "receipt's completed streams"})
        Long expectBytes;

        @Option(names = "--allow-running", description = {
            "report a stream opened without an end at the receipt's checkpoint as running and verify the rest",
            "(other ranks of a job may still stream when one fetches the receipt)"})
        boolean allowRunning;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            NoteVerifier verifier;
            TrainingReceipt parsed;
            Optional<String> later;
            try {
                verifier = NoteVerifier.parse(read(publicKey, "--public-key").trim());
                parsed = TrainingReceipt.parse(read(receipt, "the receipt"));
                later = consistencyTo == null ? Optional.empty() : Optional.of(read(consistencyTo, "--consistency-to"));
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            ReceiptVerifier.Expectations expected;
            try {
                expected = new ReceiptVerifier.Expectations(expectSha256,
                        expectBytes == null ? OptionalLong.empty() : OptionalLong.of(expectBytes), later);
            } catch (IllegalArgumentException e) {
                // A mistyped expectation is a usage error (2), not a receipt that fails (1).
                throw new CliException("--expect-sha256/--expect-bytes: " + e.getMessage());
            }
            ReceiptVerifier.Result result = new ReceiptVerifier(verifier).verify(parsed, expected,
                    allowRunning ? ReceiptVerifier.RunningStreams.ALLOW : ReceiptVerifier.RunningStreams.FAIL);
            if (!result.ok()) {
                err.println("FAILED: " + result.problem().get());
                err.flush();
                return 1;
            }
            print(out, parsed, result);
            return 0;
        }

        private static void print(PrintWriter out, TrainingReceipt receipt, ReceiptVerifier.Result result) {
            out.printf(Locale.ROOT, "grant         %s, held by %s@%s, purpose %s, project %s, policy version %d%n",
                    receipt.grant(), receipt.holderSubject(), receipt.holderOrganisation(), receipt.purpose(),
                    receipt.project(), receipt.policyVersion());
            out.printf(Locale.ROOT, "dataset       %s, version %s%n", receipt.dataset(), receipt.datasetVersion());
            out.printf(Locale.ROOT, "checkpoint    %s, size %d, signature verified%n",
                    result.checkpoint().orElseThrow().origin(), result.checkpoint().orElseThrow().size());
            for (ReceiptVerifier.StreamUse stream : result.streams()) {
                if (stream.running()) {
                    out.printf(Locale.ROOT, "stream        %s shard %d of %d, epoch %d: running (no end at the checkpoint)%n",
                            stream.stream(), stream.shard(), stream.shards(), stream.epoch());
                    continue;
                }
                out.printf(Locale.ROOT, "stream        %s shard %d of %d, epoch %d: %s, %,d rows, %,d batches, %,d bytes%s%n",
                        stream.stream(), stream.shard(), stream.shards(), stream.epoch(),
                        stream.state(), stream.rows(), stream.batches(), stream.bytes(),
                        stream.sha256().map(sha -> ", sha256 " + sha).orElse(""));
            }
            long completed = result.streams().stream().filter(ReceiptVerifier.StreamUse::completed).count();
            out.printf(Locale.ROOT, "total         %d stream(s), %d completed%s: %,d rows, %,d bytes%n",
                    result.streams().size(), completed, result.running() == 0 ? "" : ", " + result.running() + " running",
                    result.rows(), result.bytes());
            result.consistentWith().ifPresent(later -> out.printf(Locale.ROOT,
                    "consistency   the checkpoint is a prefix of the checkpoint at size %d (verified)%n", later.size()));
            out.printf(Locale.ROOT, "OK: %d records of grant %s verified against the signed checkpoint at size %d%n",
                    result.records(), receipt.grant(), result.checkpoint().orElseThrow().size());
            out.flush();
        }

        private static String read(Path file, String what) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException("cannot read " + what + " " + file + ": " + e.getMessage());
            }
        }
    }
}
