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
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one opened stream as an Arrow IPC stream over an HTTP response, on its own (virtual)
 * thread, respecting back-pressure.
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

    private static final Logger LOG = LoggerFactory.getLogger(ArrowHttpStreamer.class);

    private final OpenedStream stream;
    private final BlockingResponseWriter out;
    private final Consumer<Outcome> onEnd;

    /**
     * Must be called on the response's event loop, after the response's headers are set; then run
     * the streamer on a thread that may block.
     */
    public ArrowHttpStreamer(OpenedStream stream, HttpServerResponse response, Context context, Consumer<Outcome> onEnd) {
        this.stream = requireNonNull(stream, "stream is null");
        this.out = new BlockingResponseWriter(response, context, WRITE_QUEUE_BYTES);
        this.onEnd = requireNonNull(onEnd, "onEnd is null");
    }

    @Override
    public void run() {
        ResponseChannel channel = new ResponseChannel();
        long rows = 0;
        long batches = 0;
        Outcome outcome;
        try (stream) {
            VectorSchemaRoot root = stream.reader().root();
            ArrowStreamWriter writer = new ArrowStreamWriter(root, new DictionaryProvider.MapDictionaryProvider(), channel);
            writer.start();
            send(channel);
            long batchIndex = 0;
            int shard = stream.shard().shard();
            int shards = stream.shard().shards();
            while (!out.clientGone() && stream.reader().loadNextBatch()) {
                // Batches are dealt round-robin: the shards are disjoint and cover every batch once.
                if (batchIndex++ % shards != shard) {
                    continue;
                }
                channel.reserve(encodedSizeHint(root));
                writer.writeBatch();
                rows += root.getRowCount();
                batches++;
                send(channel);
            }
            if (out.clientGone()) {
                outcome = aborted(rows, batches, channel, "the client disconnected");
            } else {
                writer.end();
                send(channel);
                outcome = new Outcome(StreamRecord.Status.COMPLETED, rows, batches, channel.bytes(),
                        channel.sha256Hex(), Optional.empty());
            }
        } catch (BlockingResponseWriter.ClientGoneException e) {
            outcome = aborted(rows, batches, channel, "the client disconnected");
        } catch (IOException | RuntimeException e) {
            LOG.warn("stream {} failed after {} batches", stream.streamId(), batches, e);
            outcome = aborted(rows, batches, channel, "the stream failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = aborted(rows, batches, channel, "the broker is shutting down");
        }
        finish(outcome);
    }

    private void finish(Outcome outcome) {
        boolean recorded;
        try {
            onEnd.accept(outcome);
            recorded = true;
        } catch (RuntimeException e) {
            LOG.error("stream {} ended ({}) but its close record could not be written", stream.streamId(),
                    outcome.status(), e);
            recorded = false;
        }
        if (recorded && outcome.status() == StreamRecord.Status.COMPLETED) {
            out.end();
        } else {
            out.reset();
        }
    }

    /** About the size of the batch's IPC message, so the buffer is allocated once, not grown. */
    private static long encodedSizeHint(VectorSchemaRoot root) {
        long bytes = 4096;
        for (var vector : root.getFieldVectors()) {
            bytes += vector.getBufferSize() + 64;
        }
        return bytes;
    }

    private Outcome aborted(long rows, long batches, ResponseChannel channel, String message) {
        return new Outcome(StreamRecord.Status.ABORTED, rows, batches, channel.bytes(), channel.sha256Hex(),
                Optional.of(message));
    }

    /** Hands the pending bytes to the response and waits until its write queue has room. */
    private void send(ResponseChannel channel) throws InterruptedException {
        ByteBuf bytes = channel.takePending();
        if (bytes.readableBytes() > 0) {
            out.write(BufferInternal.buffer(bytes));
        }
    }
}
