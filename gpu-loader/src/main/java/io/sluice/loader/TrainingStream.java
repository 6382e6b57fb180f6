package io.sluice.loader;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Supplier;

import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream a training loop reads: one shard of one epoch of a grant, received into pinned memory
 * on a loader thread, copied to the device while the consumer works on the previous batch, and
 * resumable at any batch boundary.
 *
 * <p>This class is the prefetch stage (the loader thread and the queue between it and the
 * consumer) and ties the others together: the connections are {@code BrokerConnections}, retry
 * and failover decisions {@code Reconnects} with {@link BrokerRotation}, the device copy
 * {@code DeviceCopier}, and positions {@link Checkpoint}.
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

    private static final Logger LOG = LoggerFactory.getLogger(TrainingStream.class);

    private sealed interface Item permits Ready, End, Failed {
    }

    /** A received batch; with a device, its copy has been enqueued ({@code copy}, else null). */
    private record Ready(HostBatch host, DeviceCopier.Copy copy) implements Item {
    }

    private record End() implements Item {
    }

    private record Failed(LoaderException error) implements Item {
    }

    private final GpuLoader loader;
    private final String grantId;
    private final Checkpoint start;
    private final Supplier<String> token;
    private final Optional<Device> device;
    private final Runnable onClose;
    private final RetryPolicy retry;
    private final BrokerRotation brokers;
    private final Schema schema;
    private final ArrayBlockingQueue<Item> queue;
    private final DeviceCopier copier; // null without a device
    private final long openedNanos = System.nanoTime();
    private final BrokerConnections connections = new BrokerConnections();
    private final Thread worker;

    // loader thread
    private long received;
    private volatile int retries;
    private volatile boolean cancelled;

    // consumer thread (volatile: read by metrics)
    private Ready peeked;
    private boolean finished;
    private boolean closed;
    private volatile long delivered;
    /**
     * The position after the last batch {@link #next()} returned. Not {@code start + delivered}:
     * zero-row batches the loader passes over hold positions too.
     */
    private volatile long nextPosition;
    private volatile long rowsDelivered;
    private volatile long stallNanos;
    private volatile long copiedBatches;
    private volatile long copyNanos;

    private TrainingStream(GpuLoader loader, String grantId, Checkpoint start, Supplier<String> token,
            Optional<Device> device, Runnable onClose, BrokerRotation brokers, GrantStream first, int failures) {
        this.loader = loader;
        this.grantId = grantId;
        this.start = start;
        this.token = token;
        this.device = device;
        this.onClose = onClose;
        this.retry = loader.config().retry();
        this.brokers = brokers;
        this.schema = first.schema();
        this.connections.open(first);
        this.received = start.position();
        this.nextPosition = start.position();
        int depth = loader.config().prefetchDepth();
        this.queue = new ArrayBlockingQueue<>(depth + 1); // + 1: room for the end or failure after a full queue
        this.copier = device.map(d -> new DeviceCopier(d, depth, grantId)).orElse(null);
        this.worker = Thread.ofPlatform().daemon().name("sluice-loader-" + grantId + "-s" + start.shard())
                .unstarted(() -> run(failures));
    }

    /** Opens the first connection (retrying like later ones) and starts the loader thread. */
    static TrainingStream open(GpuLoader loader, String grantId, Checkpoint start, Supplier<String> token,
            Optional<Device> device, Runnable onClose) {
        RetryPolicy retry = loader.config().retry();
        BrokerRotation brokers = new BrokerRotation(loader.config().brokers(), start.shard());
        int failures = 0;
        while (true) {
            try {
                GrantStream first = loader.openAt(brokers.current(), grantId, start, token);
                TrainingStream stream;
                try {
                    stream = new TrainingStream(loader, grantId, start, token, device, onClose, brokers, first, failures);
                } catch (RuntimeException e) {
                    first.close();
                    throw e;
                }
                stream.worker.start();
                return stream;
            } catch (LoaderException e) {
                failures++;
                LoaderException giveUp = Reconnects.giveUp(e, failures, retry, grantId, start, start.position());
                if (giveUp != null) {
                    throw giveUp;
                }
                Reconnects.moveIfLost(brokers, e, grantId, start, start.position());
                LOG.warn("opening the stream of grant {} at {} failed ({}); retry {} of {} on {} in {} ms", grantId,
                        start.token(), e.getMessage(), failures, retry.maxRetries(), brokers.current(),
                        retry.backoff(failures).toMillis());
                try {
                    Thread.sleep(retry.backoff(failures));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while waiting to reconnect the "
                            + "stream of grant " + grantId, interrupted);
                }
            }
        }
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
        if (peeked != null) {
            return true;
        }
        if (finished || closed) {
            return false;
        }
        long waitStarted = System.nanoTime();
        Item item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoaderException(LoaderErrorCode.INTERRUPTED, "interrupted while waiting for a batch of grant "
                    + grantId, e);
        } finally {
            stallNanos = stallNanos + (System.nanoTime() - waitStarted);
        }
        switch (item) {
            case End _ -> {
                finished = true;
                return false;
            }
            case Failed(LoaderException error) -> {
                finished = true;
                throw error;
            }
            case Ready ready -> {
                peeked = ready;
                return true;
            }
        }
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
        Ready ready = peeked;
        peeked = null;
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
            stallNanos = stallNanos + (System.nanoTime() - waitStarted);
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
        return connections.summaries();
    }

    public LoaderMetrics metrics() {
        long bytes = connections.bytesReceived();
        return new LoaderMetrics(Duration.ofNanos(System.nanoTime() - openedNanos), bytes, delivered, rowsDelivered,
                Duration.ofNanos(stallNanos), copiedBatches, Duration.ofNanos(copyNanos), loader.pinnedBytesInUse(),
                retries, device.map(Device::name).orElse("none (pinned host batches)"), loader.hostMemory());
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
        cancelled = true;
        worker.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            if (peeked != null) {
                discard(peeked);
                peeked = null;
            }
            for (Item item = queue.poll(); item != null; item = queue.poll()) {
                if (item instanceof Ready ready) {
                    discard(ready);
                }
            }
            if (copier != null) {
                copier.close();
            }
        } finally {
            onClose.run();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void discard(Ready ready) {
        if (ready.copy() == null) {
            ready.host().close();
        } else {
            copier.discard(ready.copy());
        }
    }

    // ---- the loader thread ----

    private void run(int initialFailures) {
        int failures = initialFailures;
        try {
            while (!cancelled) {
                try {
                    if (connections.current() == null) {
                        connections.open(connect());
                    }
                    GrantStream current = connections.current();
                    if (!current.hasNext()) {
                        connections.end(Optional.empty());
                        put(new End());
                        return;
                    }
                    HostBatch batch = current.next();
                    failures = 0;
                    received++;
                    if (batch.rowCount() == 0) {
                        // A source batch the policy left no rows of: it counts for the position, not for training.
                        batch.close();
                        continue;
                    }
                    deliver(batch);
                } catch (LoaderException e) {
                    if (cancelled) {
                        return;
                    }
                    connections.end(Optional.of(e.getMessage()));
                    failures++;
                    LoaderException giveUp = Reconnects.giveUp(e, failures, retry, grantId, start, received);
                    if (giveUp != null) {
                        put(new Failed(giveUp));
                        return;
                    }
                    retries = retries + 1;
                    Reconnects.moveIfLost(brokers, e, grantId, start, received);
                    Duration backoff = retry.backoff(failures);
                    LOG.warn("stream of grant {} failed before batch {} ({}); reconnecting from batch {} on {} in {} ms "
                            + "(retry {} of {})", grantId, received, e.getMessage(), received, brokers.current(),
                            backoff.toMillis(), failures, retry.maxRetries());
                    Thread.sleep(backoff);
                }
            }
        } catch (InterruptedException e) {
            // close() stops the thread
        } catch (RuntimeException e) {
            putQuietly(new Failed(new LoaderException(LoaderErrorCode.STREAM_INVALID, "the loader thread of grant "
                    + grantId + " failed before batch " + received + ": " + e, e)));
        } finally {
            connections.end(Optional.of("closed"));
        }
    }

    private GrantStream connect() {
        GrantStream next = loader.openAt(brokers.current(), grantId, new Checkpoint(start.epoch(), start.shard(),
                start.shards(), start.seed(), received), token);
        if (!next.schema().equals(schema)) {
            next.close();
            throw new LoaderException(LoaderErrorCode.STREAM_INVALID, "the broker resumed the stream of grant "
                    + grantId + " at batch " + received + " with a different schema: " + next.schema()
                    + ", expected " + schema, null);
        }
        LOG.info("resumed the stream of grant {} at batch {} as stream {} on {}", grantId, received, next.streamId(),
                next.broker());
        return next;
    }

    private void deliver(HostBatch batch) throws InterruptedException {
        Ready ready;
        if (copier == null) {
            ready = new Ready(batch, null);
        } else {
            ready = new Ready(batch, copier.enqueue(batch));
        }
        try {
            queue.put(ready);
        } catch (InterruptedException e) {
            discard(ready);
            throw e;
        }
    }

    private void put(Item item) throws InterruptedException {
        queue.put(item);
    }

    private void putQuietly(Item item) {
        if (!queue.offer(item)) {
            LOG.warn("training stream of grant {} could not report its failure: {}", grantId, item);
        }
    }
}
