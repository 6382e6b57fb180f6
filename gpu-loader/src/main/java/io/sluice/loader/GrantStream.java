package io.sluice.loader;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import io.sluice.loader.internal.BrokerStreamStatus;
import java.util.Optional;
import java.util.function.Supplier;

import io.sluice.loader.internal.MeteredChannel;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.TransferPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Arrow stream of a grant, read batch by batch from the broker's response body straight into
 * pinned host memory.
 *
 * <p><b>Lifecycle:</b> made by {@link GpuLoader#open}, with the schema already read. Iterate with
 * {@link #hasNext()}/{@link #next()} until {@code hasNext()} returns {@code false}: the body has
 * then been read to its end, verified to end with the Arrow end-of-stream marker, and
 * {@link #sha256Hex()} is available to compare with the broker's {@code GET /v1/streams/{id}}.
 * Any failure while reading (connection dropped, truncated or undecodable body, pinned limit
 * reached) throws {@link LoaderException} and releases the stream's buffers at once; the stream
 * then reports no further batches.
 *
 * <p><b>Ownership:</b> the caller owns the stream and must {@link #close()} it (closing early is
 * how to abandon a stream; the connection is dropped). Each {@link HostBatch} from {@link #next()}
 * is owned by the caller too, independently of the stream: it stays valid after the stream is
 * closed and must be closed itself.
 *
 * <p><b>Threading:</b> one thread reads a stream. The counters ({@link #bytesReceived()},
 * {@link #batches()}, {@link #rows()}) may be read from other threads, for progress reports.
 */
public final class GrantStream implements Iterator<HostBatch>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GrantStream.class);

    private final String grantId;
    private final String streamId;
    private final URI broker;
    private final String url;
    private final BufferAllocator root;
    private final BufferAllocator allocator;
    private final MeteredChannel body;
    private final ArrowStreamReader reader;
    private final Schema schema;
    private final long firstPosition;
    private final Runnable onClose;
    private final Supplier<StatusLookup> brokerStatus;

    private boolean batchLoaded;
    private boolean ended;
    private boolean failed;
    private boolean closed;
    private Optional<String> sha256Hex = Optional.empty();
    private volatile long batches;
    private volatile long rows;

    private GrantStream(
            String grantId,
            String streamId,
            URI broker,
            String url,
            BufferAllocator root,
            BufferAllocator allocator,
            MeteredChannel body,
            ArrowStreamReader reader,
            Schema schema,
            long firstPosition,
            Runnable onClose,
            Supplier<StatusLookup> brokerStatus) {
        this.grantId = grantId;
        this.streamId = streamId;
        this.broker = broker;
        this.url = url;
        this.root = root;
        this.allocator = allocator;
        this.body = body;
        this.reader = reader;
        this.schema = schema;
        this.firstPosition = firstPosition;
        this.onClose = onClose;
        this.brokerStatus = brokerStatus;
    }

    /**
     * Reads the schema from {@code body} and returns the stream. Takes ownership of
     * {@code allocator} and {@code body}: both are closed here if this throws. {@code onClose} runs
     * once, when the stream is closed. The first batch has position {@code firstPosition}.
     * {@code brokerStatus} asks the broker about this stream when its body breaks off (never throws).
     */
    static GrantStream start(
            String grantId,
            String streamId,
            URI broker,
            String url,
            BufferAllocator root,
            BufferAllocator allocator,
            MeteredChannel body,
            long firstPosition,
            Runnable onClose,
            Supplier<StatusLookup> brokerStatus) {
        ArrowStreamReader reader = new ArrowStreamReader(body, allocator);
        try {
            Schema schema = reader.getVectorSchemaRoot().getSchema();
            return new GrantStream(grantId, streamId, broker, url, root, allocator, body, reader, schema, firstPosition, onClose,
                    brokerStatus);
        } catch (IOException | RuntimeException e) {
            LoaderException failure = explain(readFailure(e, body, streamId, url, "the schema"), grantId, streamId,
                    brokerStatus);
            closeQuietly(body, reader, allocator, failure);
            throw failure;
        }
    }

    /** The position of the stream's first batch: the {@code from} it was opened with, 0 by default. */
    public long firstPosition() {
        return firstPosition;
    }

    /** Whether the body was read to its end and verified to end with the end-of-stream marker. */
    public boolean completed() {
        return ended && !failed;
    }

    /** The SHA-256 of the body, once it was read to its end with a digest. */
    public Optional<String> sha256() {
        return sha256Hex;
    }

    /** The broker's id of this stream, from the {@code Sluice-Stream-Id} header. */
    public String streamId() {
        return streamId;
    }

    /** The broker this stream came from: one of {@link LoaderConfig#brokers()}. */
    public URI broker() {
        return broker;
    }

    /** The grant this stream serves. */
    public String grantId() {
        return grantId;
    }

    public Schema schema() {
        return schema;
    }

    /** The exact number of body bytes read from the connection so far. */
    public long bytesReceived() {
        return body.bytesRead();
    }

    /** Batches read from the body so far. */
    public long batches() {
        return batches;
    }

    /** Rows in the batches read so far. */
    public long rows() {
        return rows;
    }

    /**
     * The lower-case hex SHA-256 of every body byte, to compare with the broker's record of the
     * stream.
     *
     * @throws IllegalStateException until the stream was read to its end
     */
    public String sha256Hex() {
        if (ended && !body.digesting()) {
            throw new IllegalStateException("stream " + streamId + " was read without a digest (LoaderConfig.digestBodies "
                    + "is false)");
        }
        return sha256Hex.orElseThrow(() -> new IllegalStateException("stream " + streamId
                + " has not been read to its end: the SHA-256 covers the whole body, read until hasNext() is false"));
    }

    /**
     * Whether another batch follows; reads it from the connection (blocking) if needed. Returns
     * {@code false} at the end of the body, after a failure and after {@link #close()}.
     *
     * @throws LoaderException when reading fails; the stream's buffers are released first
     */
    @Override
    public boolean hasNext() {
        if (batchLoaded) {
            return true;
        }
        if (ended || failed || closed) {
            return false;
        }
        boolean loaded;
        try {
            loaded = reader.loadNextBatch();
        } catch (IOException | RuntimeException e) {
            throw fail(readFailure(e, body, streamId, url, "batch " + (batches + 1)));
        }
        if (loaded) {
            batchLoaded = true;
            return true;
        }
        finish();
        return false;
    }

    /**
     * The next batch, moved without copying out of the reader into a batch the caller owns. Its
     * {@link HostBatch#position()} counts from the stream's first position ({@code from}).
     *
     * @return a batch the caller must close
     * @throws NoSuchElementException when {@link #hasNext()} is {@code false}
     * @throws LoaderException when reading fails
     */
    @Override
    public HostBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("stream " + streamId + " has no more batches");
        }
        batchLoaded = false;
        VectorSchemaRoot source;
        try {
            source = reader.getVectorSchemaRoot();
        } catch (IOException e) {
            throw fail(readFailure(e, body, streamId, url, "batch " + (batches + 1)));
        }
        int rowCount = source.getRowCount();
        BufferAllocator batchAllocator = root.newChildAllocator(
                "batch:" + streamId + "#" + (batches + 1), 0, root.getLimit());
        List<FieldVector> vectors = new ArrayList<>(source.getFieldVectors().size());
        try {
            for (FieldVector vector : source.getFieldVectors()) {
                TransferPair transfer = vector.getTransferPair(batchAllocator);
                transfer.transfer();
                vectors.add((FieldVector) transfer.getTo());
            }
            long fence = body.bytesRead();
            HostBatch batch = new HostBatch(new VectorSchemaRoot(schema, vectors, rowCount), batchAllocator,
                    firstPosition + batches, () -> body.awaitDigested(fence));
            batches = batches + 1;
            rows = rows + rowCount;
            return batch;
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            batchAllocator.close();
            throw e;
        }
    }

    /**
     * Closes the reader, the response body (dropping the connection if the body was not read to its
     * end) and the stream's allocator. Batches already handed out stay valid. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!failed) {
                closeResources();
            }
        } finally {
            onClose.run();
        }
    }

    private void finish() {
        ended = true;
        if (!body.endsWithEndOfStreamMarker()) {
            throw fail(new LoaderException(LoaderErrorCode.STREAM_TRUNCATED, "stream " + streamId + " from " + url
                    + " ended after " + body.bytesRead() + " bytes without the Arrow end-of-stream marker", null));
        }
        try {
            long trailing = body.drain();
            if (trailing > 0) {
                LOG.warn("stream {} had {} bytes after the Arrow end-of-stream marker; they are part of its SHA-256",
                        streamId, trailing);
            }
        } catch (IOException e) {
            throw fail(readFailure(e, body, streamId, url, "the end of the body"));
        }
        sha256Hex = body.digesting() ? Optional.of(body.sha256Hex()) : Optional.empty();
        LOG.debug("stream {} of grant {} read: {} batches, {} rows, {} bytes", streamId, grantId, batches, rows,
                body.bytesRead());
    }

    private LoaderException fail(LoaderException cause) {
        LoaderException failure = explain(cause, grantId, streamId, brokerStatus);
        failed = true;
        batchLoaded = false;
        closeResources(failure);
        return failure;
    }

    /** Stops the digest first (it may be reading the reader's current body), then the reader, then the allocator. */
    private void closeResources() {
        try {
            body.close();
            reader.close();
        } catch (IOException e) {
            LOG.debug("closing the body of stream {} failed", streamId, e);
        } finally {
            allocator.close();
        }
    }

    private void closeResources(LoaderException failure) {
        closeQuietly(body, reader, allocator, failure);
    }

    private static void closeQuietly(
            MeteredChannel body, ArrowStreamReader reader, BufferAllocator allocator, LoaderException failure) {
        try {
            body.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        try {
            reader.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        try {
            allocator.close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * A body that broke off (reset, or ended without the end-of-stream marker) is asked about: the
     * broker records why it aborted a stream before it resets the connection. Its reason becomes
     * the message (the read failure the cause); a bad source becomes {@link LoaderErrorCode#SOURCE_FAILED}
     * and a revoked or expired grant {@link LoaderErrorCode#GRANT_ENDED}, neither of which is retried. A broker that does not answer at all marks the failure
     * {@link LoaderException#brokerSilent()}. Any other failure or answer leaves {@code failure} as it is.
     */
    private static LoaderException explain(LoaderException failure, String grantId, String streamId,
            Supplier<StatusLookup> brokerStatus) {
        if (!failure.error().equals(LoaderErrorCode.STREAM_BROKEN.errorName())
                && !failure.error().equals(LoaderErrorCode.STREAM_TRUNCATED.errorName())) {
            return failure;
        }
        StatusLookup lookup = brokerStatus.get();
        if (!lookup.answered()) {
            return LoaderException.brokerSilent(failure, streamId);
        }
        Optional<BrokerStreamStatus> status = lookup.status();
        if (status.isEmpty() || !status.get().status().equals("aborted") || status.get().message().isEmpty()) {
            return failure;
        }
        LoaderErrorCode code = status.get().sourceFailed() ? LoaderErrorCode.SOURCE_FAILED
                : status.get().grantEnded() ? LoaderErrorCode.GRANT_ENDED
                : LoaderErrorCode.valueOf(failure.error().toUpperCase(java.util.Locale.ROOT));
        return new LoaderException(code, "stream " + streamId + " of grant " + grantId + " was aborted by the broker: "
                + status.get().message().get(), failure);
    }

    /** Classifies a failure to read {@code what}: broken connection, truncated body, pinned limit or bad IPC. */
    private static LoaderException readFailure(
            Exception e, MeteredChannel body, String streamId, String url, String what) {
        String at = " at byte " + body.bytesRead();
        if (e instanceof OutOfMemoryException) {
            return new LoaderException(LoaderErrorCode.PINNED_LIMIT_EXCEEDED, "reading " + what + " of stream "
                    + streamId + " needs more pinned memory than LoaderConfig.pinnedLimitBytes allows; close batches "
                    + "sooner or raise the limit: " + e.getMessage(), e);
        }
        if (e instanceof java.nio.channels.ClosedByInterruptException
                || e instanceof IOException && Thread.currentThread().isInterrupted()) {
            return new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while reading " + what
                    + " of stream " + streamId, e);
        }
        if (body.failure().isPresent()) {
            return new LoaderException(LoaderErrorCode.STREAM_BROKEN, "connection to " + url + " failed while reading "
                    + what + " of stream " + streamId + at + ": " + describe(body.failure().get()), e);
        }
        if (body.endOfInput()) {
            return new LoaderException(LoaderErrorCode.STREAM_TRUNCATED, "stream " + streamId + " from " + url
                    + " ended in the middle of " + what + at, e);
        }
        return new LoaderException(LoaderErrorCode.STREAM_INVALID, "stream " + streamId + " from " + url
                + " is not a readable Arrow IPC stream (" + what + at + "): " + describe(e), e);
    }

    private static String describe(Exception e) {
        return Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
    }
}
