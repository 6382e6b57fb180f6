package io.sluice.loader;

import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One record batch in device memory, copied there by a {@link TrainingStream} and complete when
 * handed out (its copy's event has completed).
 *
 * <p><b>Ownership:</b> the caller owns the batch and must close it once the device work that reads
 * it has completed (for example after synchronising the stream that ran the training step). The
 * device memory belongs to a pool of {@link LoaderConfig#prefetchDepth()} buffer sets: closing
 * gives it back for a later batch, and until then the stream cannot copy further ahead than the
 * sets that are free. The pointers are invalid after {@link #close()}.
 *
 * <p><b>Threading:</b> may be closed from any thread. {@link #close()} is idempotent.
 */
public final class DeviceBatch implements LoadedBatch {

    private final Schema schema;
    private final int rowCount;
    private final long position;
    private final List<DeviceColumn> columns;
    private final long bytes;
    private final Duration copyTime;
    private final String device;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    DeviceBatch(Schema schema, int rowCount, long position, List<DeviceColumn> columns, long bytes, Duration copyTime,
            String device, Runnable release) {
        this.schema = Objects.requireNonNull(schema, "schema is null");
        this.rowCount = rowCount;
        this.position = position;
        this.columns = List.copyOf(columns);
        this.bytes = bytes;
        this.copyTime = Objects.requireNonNull(copyTime, "copyTime is null");
        this.device = Objects.requireNonNull(device, "device is null");
        this.release = Objects.requireNonNull(release, "release is null");
    }

    public Schema schema() {
        return schema;
    }

    @Override
    public int rowCount() {
        return rowCount;
    }

    @Override
    public long position() {
        return position;
    }

    /** The columns, in schema order. */
    public List<DeviceColumn> columns() {
        return columns;
    }

    /** The column named {@code name}. */
    public DeviceColumn column(String name) {
        return columns.stream().filter(column -> column.name().equals(name)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("batch has no column " + name + "; it has "
                        + columns.stream().map(DeviceColumn::name).toList()));
    }

    /** Bytes copied to the device for this batch. */
    public long bytes() {
        return bytes;
    }

    /** How long the host-to-device copy took, measured by device events around it. */
    public Duration copyTime() {
        return copyTime;
    }

    /** The device's name. */
    public String device() {
        return device;
    }

    /** Gives the device memory back to the stream's pool. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
