package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.StreamRecord;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one opened stream as an Arrow IPC stream over an HTTP response, in four stages:
 *
 * <pre>
 * decode  {@link DecodeAhead} over the stream's {@link ShareBatches}   its own thread, up to 2 batches ahead
 * enforce {@link EnforcementPipeline#apply}                           this streamer's thread
 * encode  {@link IpcEncoder#recordBatch}, hashed by {@link WireDigest}  this streamer's thread, no body copy
 * send    {@link BlockingResponseWriter#send}                         the response's event loop, back-pressure
 * </pre>
 *
 * <p>Every source batch becomes exactly one IPC record batch on the wire, also one the policy
 * empties (zero rows), so a position in the stream counts source batches and a resumed stream can
 * start from it. A grant revoked or expired while the stream runs stops it before the next batch
 * ({@link StopCheck}); a client
 * that disconnects stops it before the next batch.
 *
 * <p>Memory: at most {@link DecodeAhead#AHEAD} source batches decoded ahead (with a seed, plus up
 * to {@link ShareScan#WINDOW} in the decode stage's shuffle window), the batch being enforced and
 * encoded, and what the response holds: its write queue ({@link #WRITE_QUEUE_BYTES} in Netty, up to
 * 16 writes of 64 KiB in Vert.x) plus the rest of the message being written. Sent batches are not
 * copied: the response writes from the Arrow buffers themselves and the writer releases each batch
 * when its last byte is written or dropped.
 *
 * <p>End: the outcome (rows, batches, bytes, SHA-256 of exactly the bytes sent) is recorded through
 * {@code onEnd}, which blocks, <em>before</em> the response ends, so a client that has read to the
 * end can look the stream up at once. A stream that does not complete (revoked, failed, client
 * gone, broker shutting down) is reset, never ended cleanly. Once every buffer handed to the
 * response is released, {@code resources} are closed.
 *
 * <p><b>Ownership.</b> The streamer takes over {@code batches} and {@code resources} when it is
 * {@link #run() run}: the decode stage and its thread end before {@code run} returns, and
 * {@code resources} are closed after the last sent buffer is released (before {@code run} returns,
 * unless a client that stopped reading still holds buffers; then when it lets go). If {@code run}
 * is never called, the caller still owns both.
 */
public final class ArrowHttpStreamer implements Runnable {
    /** How much encoded data may wait in the response's queue before the producer pauses. */
    public static final int WRITE_QUEUE_BYTES = 8 * 1024 * 1024;
    /** How long the end of a stream waits for the response to let go of the buffers it was given. */
    static final Duration RELEASE_WAIT = Duration.ofSeconds(30);
    private static final int CLOSE_ATTEMPTS = 3;
    /** After a shutdown's stop, how long the end waits for the response to let go before leaving it to the connection's close. */
    static final Duration STOPPED_RELEASE_WAIT = Duration.ofSeconds(1);
    static final String SHUTTING_DOWN = "the broker is shutting down";
    static final String ENDED_ELSEWHERE = "another broker closed the stream as interrupted (this broker's heartbeat"
            + " was late): it stops rather than send bytes no record covers";
    /** How often a running stream records how far it has come (for the end record of a broker that dies). */
    public static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(ArrowHttpStreamer.class);

    private final String streamId;
    private final ShareBatches batches;
    private final EnforcementPipeline pipeline;
    private final BufferAllocator allocator;
    private final AutoCloseable resources;
    private final IpcEncoder encoder;
    private final BlockingResponseWriter out;
    private final StopCheck stops;
    private final Consumer<StreamOutcome> onEnd;
    private final Predicate<StreamOutcome> onProgress;
    private final long progressNanos;
    /** Guards {@link #runner} and {@link #recording}: a stop interrupts only a thread that is not recording the end. */
    private final Object phase = new Object();
    private Thread runner;
    private boolean recording;
    /** Guarded by {@link #phase}: the thread waits for the decoder or the client (where an interrupt is safe). */
    private boolean waiting;
    private volatile boolean stopped;

    /**
     * Must be called on the request's event loop, after the response's headers are set; then run
     * the streamer on a thread that may block.
     *
     * @param batches the stream's source batches, in the order they leave (decode stage)
     * @param pipeline the grant's enforcement pipeline, applied to each source batch
     * @param allocator the stream's allocator: where enforced batches are allocated
     * @param resources closed last, once nothing reads the stream's buffers (e.g. the opened
     *     stream: its reader, then its allocator)
     * @param stops asked before each batch; a stop ends the stream as aborted, with its reason
     * @param onEnd records the outcome; called once, before the response ends; may block
     * @param onProgress records how far the stream has come (a {@code RUNNING} outcome: what was
     *     handed over so far and its SHA-256), between batches, at most every {@link #PROGRESS_INTERVAL};
     *     may block; false when the store no longer has the stream running (a peer closed it as
     *     interrupted): the stream stops. A failure to record is logged and the stream goes on
     * @param idleTimeout how long the stream waits for a client that takes nothing before it ends
     *     the stream as aborted ({@code client})
     */
    public ArrowHttpStreamer(String streamId, ShareBatches batches, EnforcementPipeline pipeline,
            BufferAllocator allocator, AutoCloseable resources, HttpServerRequest request, Context context,
            StopCheck stops, Consumer<StreamOutcome> onEnd, Predicate<StreamOutcome> onProgress, Duration idleTimeout) {
        // HTTP/1.x only: there a reset is a close of the connection, which a cut may hurry. An HTTP/2
        // connection carries other streams, and its reset (RST_STREAM) is immediate anyway.
        this(streamId, batches, pipeline, allocator, resources, new BlockingResponseWriter(request.response(),
                request.version() == HttpVersion.HTTP_2 ? Optional.empty() : Optional.of(request.connection()),
                context, WRITE_QUEUE_BYTES, idleTimeout), stops, onEnd, onProgress, PROGRESS_INTERVAL);
    }

    ArrowHttpStreamer(String streamId, ShareBatches batches, EnforcementPipeline pipeline, BufferAllocator allocator,
            AutoCloseable resources, BlockingResponseWriter out, StopCheck stops, Consumer<StreamOutcome> onEnd,
            Predicate<StreamOutcome> onProgress, Duration progressInterval) {
        this.streamId = requireNonNull(streamId, "streamId is null");
        this.batches = requireNonNull(batches, "batches is null");
        this.pipeline = requireNonNull(pipeline, "pipeline is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.resources = requireNonNull(resources, "resources is null");
        this.out = requireNonNull(out, "out is null");
        this.stops = requireNonNull(stops, "stops is null");
        this.onEnd = requireNonNull(onEnd, "onEnd is null");
        this.onProgress = requireNonNull(onProgress, "onProgress is null");
        this.progressNanos = progressInterval.toNanos();
        this.encoder = new IpcEncoder(pipeline.outputSchema());
    }

    /**
     * Asks the stream to stop (the broker is shutting down): it stops before its next batch, or at
     * once when it waits for the client or the decoder, and records {@code stream.aborted} with what
     * it sent. Its thread is interrupted only while it waits for the decoder or the client, never
     * while it talks to the store (an interrupt there can close the store's file or connection) or
     * records its end. Any thread; idempotent.
     */
    public void stop() {
        synchronized (phase) {
            stopped = true;
            if (runner != null && !recording && waiting) {
                runner.interrupt();
            }
        }
    }

    /**
     * Marks the start (or end) of a wait a stop may interrupt. A stop that came while the thread
     * was elsewhere interrupts the wait as it begins, so the stream does not wait out its client.
     */
    private void waiting(boolean now) {
        synchronized (phase) {
            waiting = now;
            if (now && stopped) {
                Thread.currentThread().interrupt();
            } else if (!now && stopped) {
                // A stop's interrupt that the wait did not consume must not reach the store calls that follow;
                // the loop sees the stop before its next batch, and the next wait is interrupted again.
                Thread.interrupted();
            }
        }
    }

    @Override
    public void run() {
        synchronized (phase) {
            runner = Thread.currentThread();
        }
        Progress sent = new Progress();
        StreamOutcome outcome;
        boolean interrupted = false;
        try {
            outcome = stream(sent);
        } catch (BlockingResponseWriter.ClientGoneException e) {
            outcome = sent.aborted(pipeline, StreamRecord.Failure.CLIENT, "the client disconnected");
        } catch (DecodeAhead.Interrupted e) {
            interrupted = true;
            outcome = sent.aborted(pipeline, StreamRecord.Failure.SHUTDOWN, SHUTTING_DOWN);
        } catch (InterruptedException e) {
            interrupted = true;
            outcome = sent.aborted(pipeline, StreamRecord.Failure.SHUTDOWN, SHUTTING_DOWN);
        } catch (RuntimeException e) {
            LOG.warn("stream {} failed after {} batches", streamId, sent.batches, e);
            outcome = sent.aborted(pipeline, failureOf(e), "the stream failed: " + e.getMessage());
        } catch (Error e) {
            // Recorded and cut like any failure (the client must not hang, the buffers must go back), then rethrown.
            LOG.error("stream {} failed after {} batches", streamId, sent.batches, e);
            finishAfter(sent.aborted(pipeline, StreamRecord.Failure.ERROR, "the stream failed: " + e), interrupted);
            throw e;
        }
        finishAfter(outcome, interrupted);
    }

    /** Records the outcome, ends or cuts the response and releases the stream's resources, however it ended. */
    private void finishAfter(StreamOutcome outcome, boolean interruptedBefore) {
        boolean interrupted = interruptedBefore;
        synchronized (phase) {
            recording = true;
        }
        // A stop's interrupt has done its work (woken a wait); cleared so that recording the end can block.
        interrupted |= Thread.interrupted();
        try {
            finish(outcome);
        } finally {
            synchronized (phase) {
                runner = null;
            }
            if (interrupted && !stopped) {
                Thread.currentThread().interrupt(); // an interrupt from elsewhere: keep it for the owner of the thread
            }
        }
    }

    /** Decode -> enforce -> encode -> send, batch by batch; the decode stage is closed before this returns. */
    private StreamOutcome stream(Progress sent) throws InterruptedException {
        try (DecodeAhead decode = DecodeAhead.start(batches, streamId)) {
            send(encoder.schemaMessage(), sent);
            while (true) {
                if (out.clientGone()) {
                    return sent.aborted(pipeline, StreamRecord.Failure.CLIENT, "the client disconnected");
                }
                if (stopped) {
                    return sent.aborted(pipeline, StreamRecord.Failure.SHUTDOWN, SHUTTING_DOWN);
                }
                Optional<StopCheck.Stop> stop = stops.check();
                if (stop.isPresent()) {
                    return sent.aborted(pipeline, stop.get().failure(), stop.get().message());
                }
                Optional<VectorSchemaRoot> next;
                waiting(true);
                try {
                    next = decode.next();
                } finally {
                    waiting(false);
                }
                if (next.isEmpty()) {
                    break;
                }
                VectorSchemaRoot enforced;
                try (VectorSchemaRoot source = next.get()) {
                    enforced = pipeline.apply(source, allocator);
                }
                // Counted when handed over, like the bytes: a client that leaves may not get all of it.
                sent.rows += enforced.getRowCount();
                sent.batches++;
                send(encoder.recordBatch(enforced), sent);
                if (System.nanoTime() - sent.recordedAt >= progressNanos && !recordProgress(sent)) {
                    return sent.aborted(pipeline, StreamRecord.Failure.ERROR, ENDED_ELSEWHERE);
                }
            }
        }
        send(encoder.endOfStream(), sent);
        // Every byte in the socket before the stream counts as complete: a client that leaves now did not get it all.
        boolean released;
        waiting(true);
        try {
            released = out.awaitReleased(out.stallTimeout());
        } finally {
            waiting(false);
        }
        if (!released || out.clientGone()) {
            return sent.aborted(pipeline, StreamRecord.Failure.CLIENT, "the client disconnected");
        }
        return sent.completed(pipeline);
    }

    /** Hashes the message (it cannot be read once handed over) and hands it to the response. */
    private void send(WireMessage message, Progress sent) throws InterruptedException {
        try {
            sent.digest.add(message);
        } catch (RuntimeException | Error e) {
            message.release();
            throw e;
        }
        waiting(true);
        try {
            out.send(message);
        } finally {
            waiting(false);
        }
    }

    /** False when the store no longer has the stream running: it must stop sending what no record will cover. */
    private boolean recordProgress(Progress sent) {
        sent.recordedAt = System.nanoTime();
        try {
            return onProgress.test(sent.running(pipeline));
        } catch (RuntimeException e) {
            // Only a dead broker's end record needs it; the stream itself is fine.
            LOG.warn("stream {}: its progress could not be recorded", streamId, e);
            return true;
        }
    }

    private void finish(StreamOutcome outcome) {
        boolean recorded = false;
        // The close record is what proves the stream's bytes: a store that is briefly unavailable
        // (failover, a full pool) gets a few tries before the stream is left without one.
        for (int attempt = 1; attempt <= CLOSE_ATTEMPTS && !recorded; attempt++) {
            try {
                onEnd.accept(outcome);
                recorded = true;
            } catch (RuntimeException e) {
                LOG.error("stream {} ended ({}) but its close record could not be written (attempt {} of {})",
                        streamId, outcome.status(), attempt, CLOSE_ATTEMPTS, e);
                if (attempt < CLOSE_ATTEMPTS && !pause(attempt)) {
                    break;
                }
            }
        }
        try {
            if (recorded && outcome.status() == StreamRecord.Status.COMPLETED) {
                out.end();
            } else {
                out.reset();
            }
        } finally {
            closeResources();
        }
    }

    /**
     * A connector's user error (a corrupt row, a source that changed or is misconfigured) recurs on
     * every retry: {@code SOURCE}; anything else (I/O, memory, a bug) may not: {@code ERROR}.
     */
    static StreamRecord.Failure failureOf(RuntimeException e) {
        return e instanceof ConnectorException connector
                && connector.errorCode().category() == ConnectorErrorCode.Category.USER
                ? StreamRecord.Failure.SOURCE : StreamRecord.Failure.ERROR;
    }

    /** Closes the resources once the response has let go of every buffer sent from them. */
    private void closeResources() {
        boolean released = false;
        boolean interrupted = false;
        // Stopped by a shutdown: the connections close next, which lets go of the buffers; do not hold the shutdown up.
        Duration wait = stopped ? STOPPED_RELEASE_WAIT : RELEASE_WAIT;
        long deadline = System.nanoTime() + wait.toNanos();
        // Uninterruptibly: a broker shutting down interrupts the stream, and a reset connection lets go at once.
        while (true) {
            try {
                released = out.awaitReleased(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (released) {
            closeQuietly();
        } else {
            LOG.warn("stream {}: the connection still holds sent buffers after {}; its resources are released when it"
                    + " lets go", streamId, wait);
            out.whenReleased(this::closeQuietly);
        }
    }

    private void closeQuietly() {
        try {
            resources.close();
        } catch (Exception e) {
            LOG.error("stream {}: releasing its resources failed", streamId, e);
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

    /** What has been handed to the response so far. */
    private static final class Progress {
        final WireDigest digest = new WireDigest();
        long rows;
        long batches;
        long recordedAt = System.nanoTime();

        StreamOutcome running(EnforcementPipeline pipeline) {
            return new StreamOutcome(StreamRecord.Status.RUNNING, rows, pipeline.rowsIn(), batches, digest.bytes(),
                    digest.sha256Hex(), Optional.empty(), Optional.empty());
        }

        StreamOutcome aborted(EnforcementPipeline pipeline, StreamRecord.Failure failure, String message) {
            return new StreamOutcome(StreamRecord.Status.ABORTED, rows, pipeline.rowsIn(), batches, digest.bytes(),
                    digest.sha256Hex(), Optional.of(message), Optional.of(failure));
        }

        StreamOutcome completed(EnforcementPipeline pipeline) {
            return new StreamOutcome(StreamRecord.Status.COMPLETED, rows, pipeline.rowsIn(), batches, digest.bytes(),
                    digest.sha256Hex(), Optional.empty(), Optional.empty());
        }
    }
}
