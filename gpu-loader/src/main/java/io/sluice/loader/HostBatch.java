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
 * <p><b>Threading:</b> a batch may be handed to another thread (for example a training loop) and
 * closed there; it is not meant for concurrent use. {@link #close()} is idempotent.
 */
public final class HostBatch implements AutoCloseable {

    private final VectorSchemaRoot root;
    private final BufferAllocator allocator;
    private final long sizeBytes;
    private final boolean pinned;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Takes ownership of {@code root} and of {@code allocator}, which holds exactly its buffers. */
    HostBatch(VectorSchemaRoot root, BufferAllocator allocator) {
        this.root = Objects.requireNonNull(root, "root is null");
        this.allocator = Objects.requireNonNull(allocator, "allocator is null");
        this.sizeBytes = allocator.getAllocatedMemory();
        this.pinned = allPinned(root.getFieldVectors());
    }

    /** The batch's vectors; valid until {@link #close()}. */
    public VectorSchemaRoot root() {
        return root;
    }

    public int rowCount() {
        return root.getRowCount();
    }

    /** The host memory the batch holds: the IPC body it was decoded from, rounded up to whole pages. */
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
