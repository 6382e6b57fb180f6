package io.sluice.broker.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.Poll;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decode stage on its own thread: bounded, failures passed on, nothing left behind by close. */
class DecodeAheadTest {
    private final RootAllocator allocator = new RootAllocator();

    @AfterEach
    void noArrowMemoryLeft() {
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void decodesAtMostTwoBatchesAheadOfTheConsumer() throws Exception {
        GeneratedBatches source = new GeneratedBatches(allocator, 10, 100, b -> false);
        try (DecodeAhead ahead = DecodeAhead.start(source, "ahead")) {
            awaitParkedAfter(source, 2);

            for (int taken = 1; taken <= 8; taken++) {
                try (VectorSchemaRoot batch = ahead.next().orElseThrow()) {
                    assertThat(firstId(batch)).isEqualTo((taken - 1) * 100L);
                }
                awaitParkedAfter(source, taken + 2);
            }
            for (int taken = 9; taken <= 10; taken++) {
                try (VectorSchemaRoot batch = ahead.next().orElseThrow()) {
                    assertThat(firstId(batch)).isEqualTo((taken - 1) * 100L);
                }
            }
            assertThat(ahead.next()).isEmpty();
            assertThat(ahead.next()).as("the end stays the end").isEmpty();
            assertThat(source.calls()).isEqualTo(11);
        }
        assertThat(source.closed()).isTrue();
    }

    @Test
    void decodesOnItsOwnThreadAndJoinsItOnClose() throws Exception {
        GeneratedBatches source = new GeneratedBatches(allocator, 3, 10, b -> false);
        DecodeAhead ahead = DecodeAhead.start(source, "own-thread");
        ahead.next().orElseThrow().close();
        Thread decoder = source.caller();

        ahead.close();

        assertThat(decoder).isNotEqualTo(Thread.currentThread());
        assertThat(decoder.isVirtual()).isTrue();
        assertThat(decoder.getName()).isEqualTo("decode:own-thread");
        assertThat(decoder.isAlive()).isFalse();
    }

    @Test
    void passesOnTheSourcesExceptionAfterTheBatchesDecodedBeforeIt() {
        ConnectorException broken = new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                "page 3 of part-0.parquet is corrupt");
        GeneratedBatches source = new GeneratedBatches(allocator, 10, 10, b -> false).failingAt(3, broken);
        try (DecodeAhead ahead = DecodeAhead.start(source, "failing")) {
            for (int b = 0; b < 3; b++) {
                ahead.next().orElseThrow().close();
            }
            assertThatThrownBy(ahead::next).isSameAs(broken);
            assertThatThrownBy(ahead::next).as("and again on every later call").isSameAs(broken);
        }
        assertThat(source.closed()).isTrue();
        assertThat(source.caller().isAlive()).isFalse();
    }

    @Test
    void passesOnAnUncheckedExceptionAsItIs() {
        IllegalStateException bug = new IllegalStateException("the reader lost its footer");
        GeneratedBatches source = new GeneratedBatches(allocator, 10, 10, b -> false).failingAt(0, bug);
        try (DecodeAhead ahead = DecodeAhead.start(source, "bug")) {
            assertThatThrownBy(ahead::next).isSameAs(bug);
        }
    }

    @Test
    void closeStopsTheThreadClosesWhatIsQueuedAndTheSource() throws Exception {
        GeneratedBatches source = new GeneratedBatches(allocator, 100, 1000, b -> false);
        DecodeAhead ahead = DecodeAhead.start(source, "closing");
        VectorSchemaRoot taken = ahead.next().orElseThrow();
        awaitParkedAfter(source, 3);
        long oneBatch = allocator.getAllocatedMemory() / 3;
        taken.close();
        assertThat(allocator.getAllocatedMemory()).as("two batches queued").isEqualTo(2 * oneBatch);

        ahead.close();
        ahead.close();

        assertThat(source.caller().isAlive()).isFalse();
        assertThat(source.closed()).isTrue();
        assertThatThrownBy(ahead::next).isInstanceOf(IllegalStateException.class)
                .hasMessage("the decode stage is closed");
        // The source closes its allocator, which throws if a queued batch was left open.
    }

    @Test
    void closeWaitsForTheBatchBeingDecodedAndClosesIt() throws Exception {
        GeneratedBatches source = new GeneratedBatches(allocator, 100, 1000, b -> false).holdingAt(1);
        DecodeAhead ahead = DecodeAhead.start(source, "held");
        ahead.next().orElseThrow().close();
        source.awaitHeld();
        Thread decoder = source.caller();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(ahead::close);
        // While the decoder is held, close must not return.
        assertThatThrownBy(() -> closing.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        assertThat(decoder.isAlive()).isTrue();
        source.letGo();
        closing.get(10, TimeUnit.SECONDS);

        assertThat(decoder.isAlive()).isFalse();
        assertThat(source.closed()).isTrue();
    }

    @Test
    void closeJoinsEvenWhenTheConsumerIsInterrupted() throws Exception {
        GeneratedBatches source = new GeneratedBatches(allocator, 100, 1000, b -> false);
        DecodeAhead ahead = DecodeAhead.start(source, "interrupted");
        awaitParkedAfter(source, 2);
        Thread decoder = source.caller();

        Thread.currentThread().interrupt();
        assertThatThrownBy(ahead::next).isInstanceOf(DecodeAhead.Interrupted.class);
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        ahead.close();

        assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
        assertThat(decoder.isAlive()).isFalse();
        assertThat(source.closed()).isTrue();
    }

    @Test
    void aSourceThatCannotStartIsClosed() {
        GeneratedBatches source = new GeneratedBatches(allocator, 1, 1, b -> false);

        assertThatThrownBy(() -> DecodeAhead.start(source, runnable -> null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the thread factory made no decode thread");
        assertThat(source.closed()).isTrue();
    }

    /** Waits until the source has been called {@code calls} times and its caller is parked (for a permit). */
    private static void awaitParkedAfter(GeneratedBatches source, int calls) throws InterruptedException {
        Poll.until(() -> source.calls() >= calls && source.caller() != null
                && source.caller().getState() == Thread.State.WAITING, Duration.ofSeconds(20),
                "the decoder parks after " + calls + " calls");
        assertThat(source.calls()).as("batches decoded ahead").isEqualTo(calls);
    }

    private static long firstId(VectorSchemaRoot batch) {
        return ((BigIntVector) batch.getVector("id")).get(0);
    }
}
