package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.sluice.broker.service.StreamService.OpenedStream;
import io.sluice.broker.service.StreamService.Outcome;
import io.sluice.broker.store.StreamRecord;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;
import io.sluice.policy.enforce.EnforcementPipeline;
import java.util.function.BooleanSupplier;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one opened stream as an Arrow IPC stream over an HTTP response, on its own (virtual)
 * thread, respecting back-pressure. Every source batch goes through the grant's enforcement
 * pipeline (projection, row filter and opt-outs, column transforms) before it is encoded; a grant
 * revoked while the stream runs stops it before the next batch. {@link ShareScan} decides which
 * source batches the stream reads, in which order, and where a resumed stream starts.
 *
 * <p>Each batch is encoded into a buffer, handed to the response on its event loop, and the next
 * batch is read only once the response's write queue has room again (the drain handler), so a
 * slow reader holds at most {@link #WRITE_QUEUE_BYTES} plus one batch in memory. A client that
 * disconnects stops the stream before the next batch. The outcome is recorded (through
 * {@code onEnd}, which blocks) before the response ends, so a client that has read to the end can
 * immediately look the stream up.
 */
public final class ArrowHttpStreamer implements Runnable {
    /** How much encoded data may wait in the response's queue before the producer pauses. */
    public static final int WRITE_QUEUE_BYTES = 8 * 1024 * 1024;
    private static final int CLOSE_ATTEMPTS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(ArrowHttpStreamer.class);

    private final OpenedStream stream;
    private final BlockingResponseWriter out;
    private final BooleanSupplier revoked;
    private final Consumer<Outcome> onEnd;

    /**
     * Must be called on the response's event loop, after the response's headers are set; then run
     * the streamer on a thread that may block.
     */
    public ArrowHttpStreamer(OpenedStream stream, HttpServerResponse response, Context context, BooleanSupplier revoked,
            Consumer<Outcome> onEnd) {
        this.stream = requireNonNull(stream, "stream is null");
        this.out = new BlockingResponseWriter(response, context, WRITE_QUEUE_BYTES);
        this.revoked = requireNonNull(revoked, "revoked is null");
        this.onEnd = requireNonNull(onEnd, "onEnd is null");
    }

    @Override
    public void run() {
        ResponseChannel channel = new ResponseChannel();
        WriteChannel out = new WriteChannel(channel);
        EnforcementPipeline pipeline = stream.pipeline();
        Outcome outcome;
        BatchCounts counts = new BatchCounts();
        try (stream) {
            MessageSerializer.serialize(out, pipeline.outputSchema(), IpcOption.DEFAULT);
            send(channel);
            Optional<String> stopped = Optional.empty();
            Optional<VectorSchemaRoot> batch;
            while (!this.out.clientGone() && (batch = stream.batches().next()).isPresent()) {
                try (VectorSchemaRoot source = batch.get()) {
                    if (revoked.getAsBoolean()) {
                        stopped = Optional.of("the grant was revoked by a change of the dataset's policy");
                        break;
                    }
                    // Every source batch of the share is sent, also when the policy keeps none of its rows:
                    // a client's position counts source batches, so a resume can seek.
                    write(pipeline.apply(source, stream.allocator()), channel, out, counts);
                }
            }
            if (stopped.isPresent()) {
                outcome = aborted(counts.rows, pipeline.rowsIn(), counts.batches, channel, stopped.get());
            } else if (this.out.clientGone()) {
                outcome = aborted(counts.rows, pipeline.rowsIn(), counts.batches, channel, "the client disconnected");
            } else {
                ArrowStreamWriter.writeEndOfStream(out, IpcOption.DEFAULT);
                send(channel);
                outcome = new Outcome(StreamRecord.Status.COMPLETED, counts.rows, pipeline.rowsIn(), counts.batches,
                        channel.bytes(), channel.sha256Hex(), Optional.empty());
            }
        } catch (BlockingResponseWriter.ClientGoneException e) {
            outcome = aborted(counts.rows, pipeline.rowsIn(), counts.batches, channel, "the client disconnected");
        } catch (StreamInterrupted e) {
            Thread.currentThread().interrupt();
            outcome = aborted(counts.rows, pipeline.rowsIn(), counts.batches, channel, "the broker is shutting down");
        } catch (IOException | RuntimeException e) {
            LOG.warn("stream {} failed after {} batches", stream.streamId(), counts.batches, e);
            outcome = aborted(counts.rows, pipeline.rowsIn(), counts.batches, channel, "the stream failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = aborted(counts.rows, pipeline.rowsIn(), counts.batches, channel, "the broker is shutting down");
        }
        finish(outcome);
    }

    private void finish(Outcome outcome) {
        boolean recorded = false;
        // The close record is what proves the stream's bytes: a store that is briefly unavailable
        // (failover, a full pool) gets a few tries before the stream is left without one.
        for (int attempt = 1; attempt <= CLOSE_ATTEMPTS && !recorded; attempt++) {
            try {
                onEnd.accept(outcome);
                recorded = true;
            } catch (RuntimeException e) {
                LOG.error("stream {} ended ({}) but its close record could not be written (attempt {} of {})",
                        stream.streamId(), outcome.status(), attempt, CLOSE_ATTEMPTS, e);
                if (attempt < CLOSE_ATTEMPTS && !pause(attempt)) {
                    break;
                }
            }
        }
        if (recorded && outcome.status() == StreamRecord.Status.COMPLETED) {
            out.end();
        } else {
            out.reset();
        }
    }

    private static boolean pause(int attempt) {
        try {
            Thread.sleep(500L * attempt);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Outcome aborted(long rows, long rowsIn, long batches, ResponseChannel channel, String message) {
        return new Outcome(StreamRecord.Status.ABORTED, rows, rowsIn, batches, channel.bytes(), channel.sha256Hex(),
                Optional.of(message));
    }

    /** What has been sent so far. */
    private static final class BatchCounts {
        long rows;
        long batches;
    }

    /** An interrupt met while a batch was being sent from inside the batch order's callback. */
    private static final class StreamInterrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StreamInterrupted() {
            super("interrupted", null, false, false);
        }
    }

    /** Encodes and sends one batch, which it closes. */
    private void write(VectorSchemaRoot batch, ResponseChannel channel, WriteChannel out, BatchCounts counts) {
        try (batch; ArrowRecordBatch message = new VectorUnloader(batch).getRecordBatch()) {
            channel.reserve(message.computeBodyLength() + 4096);
            MessageSerializer.serialize(out, message, IpcOption.DEFAULT);
            counts.rows += batch.getRowCount();
            counts.batches++;
            send(channel);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new StreamInterrupted();
        }
    }

    /** Hands the pending bytes to the response and waits until its write queue has room. */
    private void send(ResponseChannel channel) throws InterruptedException {
        ByteBuf bytes = channel.takePending();
        if (bytes.readableBytes() > 0) {
            out.write(BufferInternal.buffer(bytes));
        }
    }
}
