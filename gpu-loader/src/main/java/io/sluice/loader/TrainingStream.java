package io.sluice.loader;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The stream a training loop reads: one shard of one epoch of a grant, received into pinned memory
 * on a loader thread, copied to the device while the consumer works on the previous batch, and
 * resumable at any batch boundary.
 *
 * <p>This class ties four stages together, each its own class and tested alone: connections,
 * retry and failover ({@code ResumingBatches}, with {@code Reconnects} and {@link BrokerRotation});
 * prefetch, the loader thread and the queue between it and the consumer ({@code Prefetcher}); the
 * device copy ({@code DeviceCopier}); and positions ({@link Checkpoint}). What stays here is the
 * consumer's side: which position a returned batch stands for, and the metrics.
 *
 * <p><b>Pipeline:</b> the loader thread reads batch {@code n+1} from the socket into the pinned
 * arena and enqueues its host-to-device copy (one copy per IPC body, on the device's copy stream,
 * between two events) while the consumer holds batch {@code n}. Device memory is a pool of
 * {@link LoaderConfig#prefetchDepth()} buffer sets made once; the loader thread waits for a free set
 * (the consumer closing a batch) before copying further ahead. {@link #next()} returns a batch once
 * its copy completed and gives its pinned host memory back. Without a device the same thread keeps
 * up to {@code prefetchDepth} pinned {@link HostBatch}es ready.
 *
 * <p><b>Resume:</b> {@link #checkpoint()} is the position after the last batch {@link #next()}
 * returned. A dropped connection (or a broker answering 429/502/503/504) is retried
 * {@link RetryPolicy#maxRetries()} times with backoff, from the last fully received batch
 * ({@code from=} that position), so no row is repeated or skipped; then the stream fails with
 * {@code retries_exhausted}, naming the checkpoint to resume from later.
 *
 * <p><b>Failover:</b> with several brokers ({@link LoaderConfig#brokers()}), shard {@code r} starts
 * on broker {@code r mod n}. When the broker in use stops answering (no connection to it, or a body
 * that broke off after which it did not answer {@code GET /v1/streams/{id}} either), the next
 * reconnect goes to the next broker, round robin, with {@code from=} the same position, within the
 * same retry bounds; the move is logged. Any broker of the store serves the same batches in the same
 * order for the same seed, epoch and shard count, so the resume is exact there too.
 *
 * <p><b>Ownership:</b> the caller owns the stream and every batch it returns, and closes each.
 * Closing the stream stops the loader thread and releases what it prefetched; batches already
 * returned stay valid until closed.
 *
 * <p><b>Threading:</b> one consumer thread calls {@link #hasNext()}/{@link #next()};
 * {@link #metrics()}, {@link #checkpoint()} and {@link #progressLine()} may be called from any thread.
 */
public final class TrainingStream implements Iterator<LoadedBatch>, AutoCloseable {

    /** A received batch; with a device, its copy has been enqueued ({@code copy}, else null). */
    private record Ready(HostBatch host, DeviceCopier.Copy copy) {
    }

    private final GpuLoader loader;
    private final String grantId;
    private final Checkpoint start;
    private final Optional<Device> device;
    private final Runnable onClose;
    private final Schema schema;
    private final ResumingBatches batches;
    private final DeviceCopier copier; // null without a device
    private final Prefetcher<Ready> prefetcher;
    private final long openedNanos = System.nanoTime();

    // consumer thread (volatile: read by metrics)
    private boolean closed;
    private volatile long delivered;
    /**
     * The position after the last batch {@link #next()} returned. Not {@code start + delivered}:
     * zero-row batches the loader passes over hold positions too.
     */
    private volatile long nextPosition;
    private volatile long rowsDelivered;
    private volatile long copyWaitNanos;
    private volatile long copiedBatches;
    private volatile long copyNanos;

    private TrainingStream(GpuLoader loader, String grantId, Checkpoint start, Optional<Device> device,
            Runnable onClose, ResumingBatches batches, Schema schema) {
        this.loader = loader;
        this.grantId = grantId;
        this.start = start;
        this.device = device;
        this.onClose = onClose;
        this.batches = batches;
        this.schema = schema;
        this.nextPosition = start.position();
        int depth = loader.config().prefetchDepth();
        this.copier = device.map(d -> new DeviceCopier(d, depth, grantId)).orElse(null);
        this.prefetcher = new Prefetcher<>("sluice-loader-" + grantId + "-s" + start.shard(), depth, this::receive,
                this::discard);
    }

    /** Opens the first connection (retrying like later ones) and starts the loader thread. */
    static TrainingStream open(GpuLoader loader, String grantId, Checkpoint start, Supplier<String> token,
            Optional<Device> device, Runnable onClose) {
        ResumingBatches batches = new ResumingBatches(grantId, start, loader.config().retry(),
                new BrokerRotation(loader.config().brokers(), start.shard()),
                (broker, at) -> loader.openAt(broker, grantId, at, token), Thread::sleep);
        TrainingStream stream;
        try {
            stream = new TrainingStream(loader, grantId, start, device, onClose, batches, batches.open());
        } catch (InterruptedException e) {
            batches.close();
            Thread.currentThread().interrupt();
            throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while waiting to reconnect the "
                    + "stream of grant " + grantId, e);
        } catch (RuntimeException e) {
            batches.close();
            throw e;
        }
        stream.prefetcher.start();
        return stream;
    }

    public String grantId() {
        return grantId;
    }

    public Schema schema() {
        return schema;
    }

    /** The checkpoint the stream was opened at. */
    public Checkpoint start() {
        return start;
    }

    /** Whether batches are copied to a device ({@link DeviceBatch}) rather than delivered as {@link HostBatch}. */
    public boolean onDevice() {
        return copier != null;
    }

    /**
     * Whether another batch follows; waits for it (the wait counts as stall) if the loader thread has
     * not received it yet. Returns {@code false} at the end of the shard, after a failure and after
     * {@link #close()}.
     *
     * @throws LoaderException when the stream failed for good (see the class comment)
     */
    @Override
    public boolean hasNext() {
        return prefetcher.hasNext();
    }

    /**
     * The next batch: a {@link DeviceBatch} whose copy has completed, or a pinned {@link HostBatch}
     * without a device.
     *
     * @return a batch the caller must close
     * @throws NoSuchElementException when {@link #hasNext()} is {@code false}
     * @throws LoaderException when the stream failed, or the device failed ({@code device_failed})
     */
    @Override
    public LoadedBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("training stream of grant " + grantId + " has no more batches");
        }
        Ready ready = prefetcher.next();
        delivered = delivered + 1;
        nextPosition = ready.host().position() + 1;
        rowsDelivered = rowsDelivered + ready.host().rowCount();
        if (ready.copy() == null) {
            return ready.host();
        }
        DeviceCopier.Copy copy = ready.copy();
        long copyTime;
        long waitStarted = System.nanoTime();
        try {
            copyTime = copier.complete(copy);
        } finally {
            copyWaitNanos = copyWaitNanos + (System.nanoTime() - waitStarted);
        }
        copiedBatches = copiedBatches + 1;
        copyNanos = copyNanos + copyTime;
        HostBatch host = copy.host();
        return new DeviceBatch(schema, host.rowCount(), host.position(), copy.columns(), copy.bytes(),
                Duration.ofNanos(copyTime), copier.deviceName(), () -> copier.release(copy.slot()));
    }

    /** The position after the last batch {@link #next()} returned: give it back to resume there. */
    public Checkpoint checkpoint() {
        return start.advance(nextPosition - start.position());
    }

    /** The connections read so far, oldest first. */
    public List<StreamSummary> streams() {
        return batches.connections();
    }

    public LoaderMetrics metrics() {
        Duration stall = prefetcher.waited().plusNanos(copyWaitNanos);
        return new LoaderMetrics(Duration.ofNanos(System.nanoTime() - openedNanos), batches.bytesReceived(), delivered,
                rowsDelivered, stall, copiedBatches, Duration.ofNanos(copyNanos), loader.pinnedBytesInUse(),
                batches.retries(), device.map(Device::name).orElse("none (pinned host batches)"), loader.hostMemory());
    }

    /** One line of progress: the checkpoint, then {@link LoaderMetrics#progressLine()}. */
    public String progressLine() {
        return "epoch " + start.epoch() + " shard " + start.shard() + "/" + start.shards() + "  "
                + metrics().progressLine() + "  checkpoint " + checkpoint().token();
    }

    /**
     * Stops the loader thread, drops the connection, and releases every batch it prefetched (waiting
     * for copies in flight). Batches already returned stay valid until closed. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            prefetcher.close();
            batches.close();
            if (copier != null) {
                copier.close();
            }
        } finally {
            onClose.run();
        }
    }

    /** On the loader thread: the next batch with rows, its copy enqueued when there is a device. */
    private Ready receive() throws InterruptedException {
        try {
            HostBatch batch = batches.next();
            if (batch == null) {
                return null;
            }
            return new Ready(batch, copier == null ? null : copier.enqueue(batch));
        } catch (LoaderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LoaderException(LoaderErrorCode.STREAM_INVALID, "the loader thread of grant " + grantId
                    + " failed before batch " + batches.received() + ": " + e, e);
        }
    }

    private void discard(Ready ready) {
        if (ready.copy() == null) {
            ready.host().close();
        } else {
            copier.discard(ready.copy());
        }
    }
}
