package io.sluice.loader;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.sluice.loader.internal.DeviceBufferPool;
import io.sluice.loader.internal.PinnedAllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device-copy stage of a {@link TrainingStream}: copies each received host batch into a slot
 * of its {@link DeviceBufferPool} (one copy per distinct host region, between the slot's two
 * events), waits for a copy when the consumer takes the batch, and gives host memory and slots
 * back — on the error paths only once the copy stream has drained, so no copy still reads memory
 * the arena hands out again.
 *
 * <p>Threading: the loader thread calls {@link #enqueue}; the consumer {@link #complete}; either
 * may {@link #discard}. Lifecycle: {@link #close()} when the stream closes; the pool frees its
 * memory (and lets the device go) when the last slot is back.
 */
final class DeviceCopier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceCopier.class);
    private static final long DEVICE_ALIGNMENT = 256;

    /** A batch whose copy into {@code slot} has been enqueued. */
    record Copy(HostBatch host, DeviceBufferPool.Slot slot, List<DeviceColumn> columns, long bytes) {
    }

    /** A distinct piece of host memory a batch's buffers lie in, and where it goes in the slot. */
    private record Region(long address, long bytes, long deviceOffset) {
    }

    private final Device device;
    private final DeviceBufferPool pool;
    private final String grantId;

    DeviceCopier(Device device, int slots, String grantId) {
        this.device = Objects.requireNonNull(device, "device is null");
        this.grantId = Objects.requireNonNull(grantId, "grantId is null");
        this.pool = new DeviceBufferPool(device, slots);
    }

    String deviceName() {
        return device.name();
    }

    /**
     * Waits for a free slot and enqueues the copy of {@code batch} into it. On failure the batch is
     * given back (after the copy stream drained) and the failure is a {@code device_failed}.
     *
     * @throws InterruptedException while waiting for a slot; the batch is closed
     */
    Copy enqueue(HostBatch batch) throws InterruptedException {
        DeviceBufferPool.Slot slot;
        try {
            slot = pool.acquire();
        } catch (InterruptedException e) {
            batch.close();
            throw e;
        }
        try {
            return copy(batch, slot);
        } catch (RuntimeException e) {
            // Part of the batch may be on its way: its copies still read the host memory.
            LoaderException failure = failed(batch, e);
            releaseAfterCopies(batch, slot, failure);
            throw failure;
        }
    }

    /**
     * Waits for {@code copy} to complete and returns its device time in nanoseconds; its host
     * memory then goes back to the arena. On failure both are given back (after the copy stream
     * drained) and the failure is a {@code device_failed}.
     */
    long complete(Copy copy) {
        float millis;
        try {
            device.synchronize(copy.slot().endEvent());
            millis = device.elapsedMillis(copy.slot().startEvent(), copy.slot().endEvent());
        } catch (RuntimeException e) {
            LoaderException failure = failed(copy.host(), e);
            releaseAfterCopies(copy.host(), copy.slot(), failure);
            throw failure;
        }
        copy.host().close(); // the copy is done: the pinned memory goes back to the arena
        return (long) (millis * 1e6);
    }

    /** Gives the slot of a completed copy back (a {@link DeviceBatch} closing). */
    void release(DeviceBufferPool.Slot slot) {
        pool.release(slot);
    }

    /** Gives back a copy the consumer will not take: waits for it first. Never throws. */
    void discard(Copy copy) {
        try {
            device.synchronize(copy.slot().endEvent());
        } catch (RuntimeException e) {
            releaseAfterCopies(copy.host(), copy.slot(), e);
            return;
        }
        pool.release(copy.slot());
        copy.host().close();
    }

    @Override
    public void close() {
        pool.close();
    }

    private LoaderException failed(HostBatch batch, RuntimeException e) {
        return new LoaderException(LoaderErrorCode.DEVICE_FAILED, "copying batch " + batch.position() + " of grant "
                + grantId + " to " + device.name() + " failed: " + e.getMessage(), e);
    }

    /**
     * Gives back the host batch and device slot of a copy that failed or whose completion is not
     * known: waits for the copy stream first, so that no copy still reads the host memory (or writes
     * the slot) once the arena hands it out again. When even that fails (a device in a sticky error
     * state), both are abandoned: the host memory stays out of the arena and {@link GpuLoader#close()}
     * reports it, which is better than a DMA into memory the next batch owns.
     */
    private void releaseAfterCopies(HostBatch host, DeviceBufferPool.Slot slot, Throwable failure) {
        try {
            device.synchronizeCopies();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            LOG.error("cannot tell whether the copies of batch {} of grant {} to {} finished ({}): its {} bytes of pinned "
                    + "memory and its device buffer are abandoned, not reused", host.position(), grantId, device.name(),
                    e.getMessage(), host.sizeBytes());
            return;
        }
        pool.release(slot);
        host.close();
    }

    /** Enqueues the copy of every distinct host region of {@code batch} into {@code slot}, between its two events. */
    private Copy copy(HostBatch batch, DeviceBufferPool.Slot slot) {
        Map<Object, Region> regions = new IdentityHashMap<>();
        long[] size = {0};
        List<FieldVector> vectors = batch.root().getFieldVectors();
        forEachBuffer(vectors, buffer -> {
            if (buffer.capacity() == 0) {
                return;
            }
            Optional<PinnedAllocationManager> allocation = PinnedAllocationManager.of(buffer);
            Object key = allocation.<Object>map(a -> a).orElse(buffer);
            regions.computeIfAbsent(key, _ -> {
                long address = allocation.map(PinnedAllocationManager::address).orElse(buffer.memoryAddress());
                long bytes = allocation.map(PinnedAllocationManager::getSize).orElse(buffer.capacity());
                Region region = new Region(address, bytes, size[0]);
                size[0] += Math.ceilDiv(bytes, DEVICE_ALIGNMENT) * DEVICE_ALIGNMENT;
                return region;
            });
        });
        slot.ensureCapacity(size[0]);
        device.record(slot.startEvent());
        long copied = 0;
        for (Region region : regions.values()) {
            device.copyAsync(slot.pointer() + region.deviceOffset(), region.address(), region.bytes());
            copied += region.bytes();
        }
        device.record(slot.endEvent());
        List<DeviceColumn> columns = new ArrayList<>(vectors.size());
        for (FieldVector vector : vectors) {
            columns.add(column(vector, slot, regions));
        }
        return new Copy(batch, slot, columns, copied);
    }

    private static DeviceColumn column(FieldVector vector, DeviceBufferPool.Slot slot, Map<Object, Region> regions) {
        List<DeviceBuffer> buffers = new ArrayList<>();
        for (ArrowBuf buffer : vector.getFieldBuffers()) {
            if (buffer.capacity() == 0) {
                buffers.add(new DeviceBuffer(0, 0));
                continue;
            }
            Object key = PinnedAllocationManager.of(buffer).<Object>map(a -> a).orElse(buffer);
            Region region = regions.get(key);
            buffers.add(new DeviceBuffer(slot.pointer() + region.deviceOffset() + (buffer.memoryAddress() - region.address()),
                    buffer.capacity()));
        }
        List<DeviceColumn> children = new ArrayList<>();
        for (FieldVector child : vector.getChildrenFromFields()) {
            children.add(column(child, slot, regions));
        }
        return new DeviceColumn(vector.getField(), vector.getValueCount(), vector.getNullCount(), buffers, children);
    }

    private static void forEachBuffer(List<FieldVector> vectors, java.util.function.Consumer<ArrowBuf> action) {
        for (FieldVector vector : vectors) {
            vector.getFieldBuffers().forEach(action);
            forEachBuffer(vector.getChildrenFromFields(), action);
        }
    }
}
