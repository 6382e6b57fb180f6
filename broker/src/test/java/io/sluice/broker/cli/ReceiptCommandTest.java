package io.sluice.broker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.TestCli;
import io.sluice.broker.audit.ReceiptLog;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice receipt verify} on a receipt fetched while another rank of the job still streams. */
class ReceiptCommandTest {
    private static final String SHA_A = "a".repeat(64);

    @TempDir
    Path dir;

    @Test
    void aRunningStreamFailsNamingTheWayOutAndAllowRunningVerifiesTheRest() throws Exception {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-rank0", 0, 2);
        log.opened("st-rank1", 1, 2);
        log.closed("st-rank0", 2_500, 123_456, SHA_A);
        Path receipt = dir.resolve("receipt.json");
        Files.writeString(receipt, log.receipt().toJsonText());
        Path key = dir.resolve("audit.pub");
        Files.writeString(key, log.verifierKey() + "\n");

        TestCli.Result strict = TestCli.run("receipt", "verify", receipt.toString(), "--public-key", key.toString());
        assertThat(strict.exitCode()).isEqualTo(1);
        assertThat(strict.output()).isEqualTo("FAILED: stream st-rank1 has no end at checkpoint 4: still running?"
                + " fetch the receipt again after the run, or pass --allow-running\n");

        TestCli.Result allowed = TestCli.run("receipt", "verify", receipt.toString(), "--public-key", key.toString(),
                "--allow-running", "--expect-sha256", SHA_A, "--expect-bytes", "123456");
        assertThat(allowed.exitCode()).as(allowed.output()).isZero();
        assertThat(allowed.output())
                .contains("stream        st-rank0 shard 0 of 2, epoch 0: closed, 2,500 rows, 1 batches, 123,456 bytes,"
                        + " sha256 " + SHA_A + "\n")
                .contains("stream        st-rank1 shard 1 of 2, epoch 0: running (no end at the checkpoint)\n")
                .contains("total         2 stream(s), 1 completed, 1 running: 2,500 rows, 123,456 bytes\n")
                .contains("OK: 4 records of grant " + ReceiptLog.GRANT + " verified against the signed checkpoint at size 4");
    }

    @Test
    void aMistypedDigestIsAUsageErrorNotAFailedReceipt() throws Exception {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-rank0", 0, 1);
        log.closed("st-rank0", 2_500, 123_456, SHA_A);
        Path receipt = Files.writeString(dir.resolve("receipt.json"), log.receipt().toJsonText());
        Path key = Files.writeString(dir.resolve("audit.pub"), log.verifierKey() + "\n");

        TestCli.Result typo = TestCli.run("receipt", "verify", receipt.toString(), "--public-key", key.toString(),
                "--expect-sha256", SHA_A.substring(1));

        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.output()).isEqualTo("sluice: --expect-sha256/--expect-bytes: an expected SHA-256 is 64"
                + " hexadecimal digits, not '" + SHA_A.substring(1) + "'\n");
    }

    @Test
    void theHelpSaysWhatExpectBytesIsComparedWith() {
        String help = TestCli.run("receipt", "verify", "--help").output().replaceAll("\\s+", " ");
        assertThat(help).contains("--allow-running report a stream opened without an end at the receipt's checkpoint as"
                        + " running and verify the rest")
                .contains("--expect-bytes=N bytes the loader received over the streams it read to their end. With"
                        + " --expect-sha256, the streams those digests name must add up to it (a grant may have served"
                        + " several runs); without, all the receipt's completed streams");
    }
}
