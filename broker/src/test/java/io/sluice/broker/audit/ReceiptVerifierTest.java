package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.audit.ReceiptVerifier.Expectations;
import io.sluice.broker.audit.ReceiptVerifier.RunningStreams;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The verifier's judgement on receipts shaped in a small in-memory log ({@link ReceiptLog}): streams
 * still running at the checkpoint, a grant that served several runs, checkpoints of another origin
 * signed with the right key. Tampering with a real broker's receipts is {@code TrainingReceiptIT}'s.
 */
class ReceiptVerifierTest {
    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);
    private static final String SHA_C = "c".repeat(64);

    @Test
    void aStreamWithoutAnEndAtTheCheckpointFailsSayingItMayStillRunUnlessRunningStreamsAreAllowed() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-a", 0, 2);
        log.opened("st-b", 1, 2);
        log.closed("st-a", 10, 1000, SHA_A);
        TrainingReceipt receipt = log.receipt();
        ReceiptVerifier verifier = new ReceiptVerifier(log.verifier());

        assertThat(verifier.verify(receipt, Expectations.NONE).problem()).hasValue("stream st-b has no end at checkpoint 4:"
                + " still running? fetch the receipt again after the run, or pass --allow-running");

        ReceiptVerifier.Result allowed = verifier.verify(receipt,
                new Expectations(List.of(SHA_A), OptionalLong.of(1000), Optional.empty()), RunningStreams.ALLOW);
        assertThat(allowed.problem()).isEmpty();
        assertThat(allowed.streams()).extracting(ReceiptVerifier.StreamUse::stream, ReceiptVerifier.StreamUse::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("st-a", "closed"),
                        org.assertj.core.groups.Tuple.tuple("st-b", "running"));
        assertThat(allowed.running()).isEqualTo(1);
        assertThat(allowed.bytes()).isEqualTo(1000);

        assertThat(verifier.verify(receipt, new Expectations(List.of(SHA_B), OptionalLong.empty(), Optional.empty()),
                RunningStreams.ALLOW).problem())
                .as("a running stream has no digest to match")
                .hasValue("no completed stream of the receipt has the SHA-256 " + SHA_B + " that was expected");
    }

    @Test
    void anEndWithoutItsOpeningFailsEvenWhenRunningStreamsAreAllowed() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-a", 0, 1);
        long end = log.closed("st-c", 10, 1000, SHA_C);
        TrainingReceipt receipt = log.receipt();

        for (RunningStreams running : RunningStreams.values()) {
            assertThat(new ReceiptVerifier(log.verifier()).verify(receipt, Expectations.NONE, running).problem())
                    .as("with %s", running)
                    .hasValue("stream st-c ended (record " + end + ") but the receipt has no record of its opening"
                            + " (stream.opened): a record was dropped");
        }
    }

    @Test
    void aStreamWithTwoEndsInTheLogIsRefused() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-a", 0, 1);
        long first = log.closed("st-a", 10, 1000, SHA_A);
        long second = log.closed("st-a", 12, 1200, SHA_B);

        assertThat(new ReceiptVerifier(log.verifier()).verify(log.receipt(), Expectations.NONE, RunningStreams.ALLOW)
                .problem()).hasValue("stream st-a has two ends (records " + first + " and " + second + ")");
    }

    @Test
    void expectedBytesAreComparedWithTheStreamsTheExpectedDigestsNameNotWithEveryRunOfTheGrant() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-run1", 0, 1);
        log.closed("st-run1", 10, 1000, SHA_A);
        log.opened("st-run2", 0, 1);
        log.closed("st-run2", 7, 700, SHA_B);
        ReceiptVerifier verifier = new ReceiptVerifier(log.verifier());
        TrainingReceipt receipt = log.receipt();

        assertThat(verifier.verify(receipt, expect(700, SHA_B)).problem()).as("the second run's own check").isEmpty();
        assertThat(verifier.verify(receipt, expect(1700, SHA_B)).problem()).hasValue("the receipt's streams with the"
                + " expected SHA-256 digests add up to 700 bytes, not the 1,700 expected");
        assertThat(verifier.verify(receipt, expect(1700)).problem()).as("without digests: every completed stream").isEmpty();
        assertThat(verifier.verify(receipt, expect(700)).problem())
                .hasValue("the receipt's completed streams add up to 1,700 bytes, not the 700 expected");
    }

    @Test
    void aDigestGivenTwiceNeedsTwoStreamsWithIt() {
        ReceiptLog log = new ReceiptLog();
        // Two runs of the same unshuffled shard send the same bytes.
        log.opened("st-1", 0, 1);
        log.closed("st-1", 5, 500, SHA_C);
        log.opened("st-2", 0, 1);
        log.closed("st-2", 5, 500, SHA_C);
        ReceiptVerifier verifier = new ReceiptVerifier(log.verifier());
        TrainingReceipt receipt = log.receipt();

        assertThat(verifier.verify(receipt, expect(500, SHA_C)).problem()).isEmpty();
        assertThat(verifier.verify(receipt, expect(1000, SHA_C, SHA_C.toUpperCase())).problem()).isEmpty();
        assertThat(verifier.verify(receipt, expect(1500, SHA_C, SHA_C, SHA_C)).problem())
                .hasValue("the SHA-256 " + SHA_C + " was expected 3 times, but only 2 completed stream(s) of the receipt have it");
    }

    @Test
    void aCheckpointOfAnotherOriginSignedWithTheRightKeyIsAnotherLogs() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-a", 0, 1);
        log.closed("st-a", 10, 1000, SHA_A);
        TrainingReceipt receipt = log.receipt(log.note("elsewhere.example/audit", log.size()), log.size(), Optional.empty());

        assertThat(new ReceiptVerifier(log.verifier()).verify(receipt, Expectations.NONE).problem())
                .hasValue("the receipt's checkpoint is of the log 'elsewhere.example/audit', not of '"
                        + ReceiptLog.ORIGIN + "' whose key was given");
    }

    @Test
    void aLaterCheckpointMustBeOfTheReceiptsOrigin() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-a", 0, 1);
        log.closed("st-a", 10, 1000, SHA_A);
        long anchored = log.size();
        String note = log.note(ReceiptLog.ORIGIN, anchored);
        log.other();
        ReceiptVerifier verifier = new ReceiptVerifier(log.verifier());

        TrainingReceipt foreignLater = log.receipt(note, anchored,
                Optional.of(log.consistency("elsewhere.example/audit", anchored)));
        assertThat(verifier.verify(foreignLater, Expectations.NONE).problem())
                .hasValue("the receipt's later checkpoint is of the log 'elsewhere.example/audit', not of the receipt's log '"
                        + ReceiptLog.ORIGIN + "'");

        TrainingReceipt proven = log.receipt(note, anchored, Optional.of(log.consistency(ReceiptLog.ORIGIN, anchored)));
        assertThat(verifier.verify(proven, new Expectations(List.of(), OptionalLong.empty(),
                Optional.of(log.note(ReceiptLog.ORIGIN, log.size())))).problem()).isEmpty();
        assertThat(verifier.verify(proven, new Expectations(List.of(), OptionalLong.empty(),
                Optional.of(log.note("elsewhere.example/audit", log.size())))).problem())
                .hasValue("the checkpoint to check consistency with is of the log 'elsewhere.example/audit', not of the"
                        + " receipt's log '" + ReceiptLog.ORIGIN + "'");
    }

    @Test
    void aLaterCheckpointOlderThanTheReceiptsOrAConsistencyThatMisstatesItsSizeFails() {
        ReceiptLog log = new ReceiptLog();
        log.opened("st-a", 0, 1);
        long early = log.size();
        log.closed("st-a", 10, 1000, SHA_A);
        long anchored = log.size();
        String note = log.note(ReceiptLog.ORIGIN, anchored);
        log.other();
        ReceiptVerifier verifier = new ReceiptVerifier(log.verifier());
        TrainingReceipt proven = log.receipt(note, anchored, Optional.of(log.consistency(ReceiptLog.ORIGIN, anchored)));

        assertThat(verifier.verify(proven, new Expectations(List.of(), OptionalLong.empty(),
                Optional.of(log.note(ReceiptLog.ORIGIN, early)))).problem())
                .hasValue("the checkpoint to check consistency with (size " + early + ") is older than the receipt's"
                        + " (size " + anchored + "): give one at least as large");

        TrainingReceipt.Consistency honest = proven.consistency().orElseThrow();
        TrainingReceipt misstated = log.receipt(note, anchored, Optional.of(new TrainingReceipt.Consistency(
                honest.checkpointNote(), honest.treeSize() + 1, honest.proof())));
        assertThat(verifier.verify(misstated, Expectations.NONE).problem())
                .hasValue("the receipt's consistency says treeSize " + (honest.treeSize() + 1)
                        + " but its signed later checkpoint is at size " + honest.treeSize());
    }

    @Test
    void aMistypedExpectationIsRefusedNotReportedAsEvidenceThatFails() {
        assertThatThrownBy(() -> expect(10, "abc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an expected SHA-256 is 64 hexadecimal digits, not 'abc'");
        assertThatThrownBy(() -> expect(-1, SHA_A)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the expected bytes cannot be negative, was -1");
    }

    private static Expectations expect(long bytes, String... digests) {
        return new Expectations(List.of(digests), OptionalLong.of(bytes), Optional.empty());
    }
}
