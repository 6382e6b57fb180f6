package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ScanUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The decode stage of one stream: reads the rank's share of a source and hands out its batches in
 * the order they leave.
 *
 * <p>With {@link ShareScheme#UNITS} (the source has at least as many units as there are ranks) the
 * scan reads only this rank's units ({@link SharePlan}); with a seed, each unit's batches leave in
 * an order drawn from a window of {@link #WINDOW} batches by a generator seeded with seed, epoch
 * and the unit, so the order inside a unit is the same on every rank and broker. A resume seeks to
 * its unit and skips only inside it. With {@link ShareScheme#BATCHES} every rank reads the whole
 * source and keeps every {@code shards}-th batch, shuffled through one window over its whole share,
 * and a resume reads through what it skips.
 *
 * <p>Ownership: batches are taken out of the reader's reused root into the stream's allocator (a
 * transfer, not a copy); each batch returned is the caller's, the window's are closed here.
 */
public final class ShareScan implements ShareBatches {
    /** Batches a seeded order draws from. */
    static final int WINDOW = 8;

    private final BatchReader reader;
    private final BufferAllocator allocator;
    private final ShareScheme scheme;
    private final ShardRequest request;
    /** UNITS: the units still to read, in order; BATCHES: empty. */
    private final ArrayDeque<ScanUnit> units;
    private final List<VectorSchemaRoot> window = new ArrayList<>(WINDOW);
    private final ArrayDeque<VectorSchemaRoot> ready = new ArrayDeque<>();
    private SplittableRandom random;
    private ScanUnit unit;
    private long batchesLeftInUnit;
    private long sourceBatches;
    private long skip;
    private boolean sourceDone;
    private boolean closed;

    private ShareScan(BatchReader reader, BufferAllocator allocator, ShareScheme scheme, ShardRequest request,
            List<ScanUnit> units, long skip) {
        this.reader = reader;
        this.allocator = allocator;
        this.scheme = scheme;
        this.request = request;
        this.units = new ArrayDeque<>(units);
        this.skip = skip;
        if (scheme == ShareScheme.BATCHES) {
            random = request.seed().isPresent()
                    ? new SplittableRandom(SharePlan.mix(request.seed().getAsLong(), request.epoch() * 31L + request.shards()))
                    : null;
        }
    }

    /**
     * Plans the rank's share of {@code source} and opens its scan.
     *
     * @param spec the columns, batch size and pushdown predicate (with units, the scan reads this rank's units)
     * @param allocator where the batches handed out live; the reader takes a child of it
     * @return a scan the caller owns and must close
     */
    public static ShareScan open(BatchSource source, ScanSpec spec, ShardRequest request, BufferAllocator allocator) {
        requireNonNull(source, "source is null");
        requireNonNull(spec, "spec is null");
        requireNonNull(request, "request is null");
        requireNonNull(allocator, "allocator is null");
        List<ScanUnit> units = source.units(spec);
        if (!SharePlan.dealable(units, request.shards())) {
            return new ShareScan(source.open(spec, allocator), allocator, ShareScheme.BATCHES, request, List.of(),
                    request.from());
        }
        SharePlan plan = SharePlan.of(units, request);
        List<Integer> indexes = plan.units().stream().map(ScanUnit::index).toList();
        // A rank whose share is all skipped still opens a scan (of nothing), so a stream has one shape.
        BatchReader reader = source.open(spec.withUnits(indexes), allocator);
        return new ShareScan(reader, allocator, ShareScheme.UNITS, request, plan.units(), plan.skipInFirst());
    }

    public ShareScheme scheme() {
        return scheme;
    }

    @Override
    public Optional<VectorSchemaRoot> next() {
        if (closed) {
            throw new IllegalStateException("the scan is closed");
        }
        while (true) {
            VectorSchemaRoot batch = ready.poll();
            if (batch != null) {
                if (skip > 0) {
                    skip--;
                    batch.close();
                    continue;
                }
                return Optional.of(batch);
            }
            if (!readMore()) {
                return Optional.empty();
            }
        }
    }

    /** Reads one source batch into the window (or drains the window at a unit's end); false at the end. */
    private boolean readMore() {
        return scheme == ShareScheme.UNITS ? readUnits() : readBatches();
    }

    private boolean readUnits() {
        if (unit == null || batchesLeftInUnit == 0) {
            drainWindow();
            if (!ready.isEmpty()) {
                return true;
            }
            unit = units.poll();
            if (unit == null) {
                if (reader.loadNextBatch()) {
                    throw changed("the scan gave more batches than its units hold");
                }
                return false;
            }
            batchesLeftInUnit = unit.batches();
            random = request.seed().isPresent()
                    ? SharePlan.unitRandom(request.seed().getAsLong(), request.epoch(), unit.index()) : null;
            return true;
        }
        if (!reader.loadNextBatch()) {
            throw changed("unit " + unit.index() + " ended " + batchesLeftInUnit + " batches early");
        }
        batchesLeftInUnit--;
        addToWindow(takeOut(reader.root(), allocator));
        return true;
    }

    private boolean readBatches() {
        if (sourceDone) {
            return false;
        }
        while (reader.loadNextBatch()) {
            // Striped: batch i goes to rank i % shards, so the ranks are disjoint and together cover every batch once.
            if (sourceBatches++ % request.shards() == request.shard()) {
                addToWindow(takeOut(reader.root(), allocator));
                return true;
            }
        }
        sourceDone = true;
        drainWindow();
        return !ready.isEmpty();
    }

    private void addToWindow(VectorSchemaRoot batch) {
        if (random == null) {
            ready.add(batch);
            return;
        }
        window.add(batch);
        if (window.size() == WINDOW) {
            ready.add(window.remove(random.nextInt(window.size())));
        }
    }

    private void drainWindow() {
        while (!window.isEmpty()) {
            ready.add(window.remove(random.nextInt(window.size())));
        }
    }

    private static ConnectorException changed(String what) {
        return new ConnectorException(ConnectorErrorCode.SOURCE_CHANGED,
                "the source no longer matches the units it listed when the stream opened: " + what);
    }

    /** Moves the batch out of the reader's reused root into a root of its own, without copying. */
    static VectorSchemaRoot takeOut(VectorSchemaRoot from, BufferAllocator allocator) {
        List<FieldVector> vectors = new ArrayList<>(from.getFieldVectors().size());
        try {
            for (FieldVector vector : from.getFieldVectors()) {
                TransferPair transfer = vector.getTransferPair(allocator);
                transfer.transfer();
                vectors.add((FieldVector) transfer.getTo());
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        VectorSchemaRoot taken = new VectorSchemaRoot(vectors);
        taken.setRowCount(from.getRowCount());
        return taken;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            window.forEach(VectorSchemaRoot::close);
            ready.forEach(VectorSchemaRoot::close);
            window.clear();
            ready.clear();
        } finally {
            reader.close();
        }
    }
}
