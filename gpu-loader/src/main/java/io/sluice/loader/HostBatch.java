package io.sluice.loader;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import io.sluice.loader.internal.PinnedAllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One record batch of a {@link GrantStream}, in host memory that is page-locked where the
 * operating system allowed it ({@link #pinned()}).
 *
 * <p><b>Ownership:</b> the caller owns a batch and must close it, on every path; its buffers count
 * against {@link LoaderConfig#pinnedLimitBytes()} until then, and {@link GpuLoader#close()} fails
 * while a batch is open. The batch owns its {@link #root()}: do not close the root separately, and
 * copy or transfer out anything that must outlive the batch.
 *
 * <p>Its vectors' buffers are slices of the IPC body, which the loader read from the socket
 * straight into the pinned arena.
 *
 * <p><b>Threading:</b> a batch may be handed to another thread (for example a training loop) and
 * closed there; it is not meant for concurrent use. {@link #close()} is idempotent.
 */
public final class HostBatch implements LoadedBatch {

    private final VectorSchemaRoot root;
    private final BufferAllocator allocator;
    private final long position;
    private final Runnable beforeRelease;
    private final long sizeBytes;
    private final boolean pinned;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Takes ownership of {@code root} and of {@code allocator}, which holds exactly its buffers;
     * {@code beforeRelease} runs before the memory is released (it waits for the stream's digest to
     * have read the memory).
     */
    HostBatch(VectorSchemaRoot root, BufferAllocator allocator, long position, Runnable beforeRelease) {
        this.root = Objects.requireNonNull(root, "root is null");
        this.allocator = Objects.requireNonNull(allocator, "allocator is null");
        this.position = position;
        this.beforeRelease = Objects.requireNonNull(beforeRelease, "beforeRelease is null");
        this.sizeBytes = allocator.getAllocatedMemory();
        this.pinned = allPinned(root.getFieldVectors());
    }

    /** The batch's vectors; valid until {@link #close()}. */
    public VectorSchemaRoot root() {
        return root;
    }

    @Override
    public int rowCount() {
        return root.getRowCount();
    }

    /**
     * The batch's zero-based index in its stream; for a {@link TrainingStream}, in its shard's order
     * for the epoch.
     */
    @Override
    public long position() {
        return position;
    }

    /** The host memory the batch holds: the IPC body it was decoded from (exact size) and any buffers Arrow added. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Whether every buffer of the batch lies in page-locked (pinned) host memory. */
    public boolean pinned() {
        return pinned;
    }

    /** Releases the batch's buffers. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                beforeRelease.run();
                root.close();
            } finally {
                allocator.close();
            }
        }
    }

    private static boolean allPinned(List<FieldVector> vectors) {
        for (FieldVector vector : vectors) {
            for (ArrowBuf buffer : vector.getBuffers(false)) {
                if (!PinnedAllocationManager.isPinned(buffer)) {
                    return false;
                }
            }
        }
        return true;
    }
}
