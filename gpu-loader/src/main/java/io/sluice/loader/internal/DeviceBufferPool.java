package io.sluice.loader.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;

import io.sluice.loader.Device;

/**
 * The device memory of one training stream: {@code slots} buffer sets (2 = double buffering), each
 * one device allocation plus a start and an end event, made once and reused for every batch. A
 * slot grows (free, then allocate larger) only when a batch needs more than it holds, so after the
 * first batches of a stream no allocation happens at all.
 *
 * <p>{@link #acquire()} blocks while every slot is in use: that is the back-pressure that keeps the
 * copy stage at most {@code slots} batches ahead of the consumer.
 *
 * <p>The pool holds a {@link Device#retain() lease} on its device from creation until its memory is
 * freed: a batch still open when the loader and the device were closed keeps a valid device, and
 * its {@code close()} frees the memory and lets the device go.
 *
 * <p>Thread-safe: the loader thread acquires, the consumer releases.
 */
public final class DeviceBufferPool implements AutoCloseable {

    /** Allocations are rounded up to this, so that batches of slightly varying size fit the same slot. */
    public static final long GRANULE = 1L << 20;

    /** One buffer set. Used by one batch at a time. */
    public final class Slot {
        private final int index;
        private final long startEvent;
        private final long endEvent;
        private long pointer;
        private long capacity;

        private Slot(int index, long startEvent, long endEvent) {
            this.index = index;
            this.startEvent = startEvent;
            this.endEvent = endEvent;
        }

        public int index() {
            return index;
        }

        public long pointer() {
            return pointer;
        }

        public long capacity() {
            return capacity;
        }

        public long startEvent() {
            return startEvent;
        }

        public long endEvent() {
            return endEvent;
        }

        /** Makes the slot hold at least {@code bytes}, reallocating only when it is too small. */
        public void ensureCapacity(long bytes) {
            if (bytes <= capacity) {
                return;
            }
            long size = Math.max(GRANULE, Math.ceilDiv(bytes, GRANULE) * GRANULE);
            if (pointer != 0) {
                device.free(pointer);
                pointer = 0;
                capacity = 0;
            }
            pointer = device.allocate(size);
            capacity = size;
            synchronized (DeviceBufferPool.this) {
                allocations++;
            }
        }
    }

    private final Device device;
    private final Device.Lease lease; // keeps the device (its context, this memory) until the pool is destroyed
    private final List<Slot> slots;
    private final ArrayBlockingQueue<Slot> free;
    private long allocations;
    private boolean closed;

    public DeviceBufferPool(Device device, int slots) {
        this.device = Objects.requireNonNull(device, "device is null");
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, was " + slots);
        }
        this.slots = new ArrayList<>(slots);
        this.free = new ArrayBlockingQueue<>(slots);
        this.lease = device.retain();
        try {
            for (int i = 0; i < slots; i++) {
                Slot slot = new Slot(i, device.createEvent(), device.createEvent());
                this.slots.add(slot);
                free.add(slot);
            }
        } catch (RuntimeException e) {
            destroy();
            throw e;
        }
    }

    /** Takes a free slot, waiting while all are in use. */
    public Slot acquire() throws InterruptedException {
        return free.take();
    }

    /** Gives a slot back. After {@link #close()} the last slot given back frees the device memory. */
    public void release(Slot slot) {
        boolean destroy;
        synchronized (this) {
            free.add(slot);
            destroy = closed && free.size() == slots.size();
        }
        if (destroy) {
            destroy();
        }
    }

    /** Device allocations made so far (slots growing included). */
    public synchronized long allocations() {
        return allocations;
    }

    public int size() {
        return slots.size();
    }

    /** Slots handed out and not yet given back. */
    public synchronized int inUse() {
        return slots.size() - free.size();
    }

    /**
     * Frees the device memory and events once every slot is back: now if none is out, else when the
     * last one is released. Idempotent.
     */
    @Override
    public void close() {
        boolean destroy;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            destroy = free.size() == slots.size();
        }
        if (destroy) {
            destroy();
        }
    }

    private void destroy() {
        RuntimeException failure = null;
        for (Slot slot : slots) {
            try {
                if (slot.pointer != 0) {
                    device.free(slot.pointer);
                    slot.pointer = 0;
                }
                device.destroyEvent(slot.startEvent);
                device.destroyEvent(slot.endEvent);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            lease.close(); // the last user of a closed device releases it here
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
