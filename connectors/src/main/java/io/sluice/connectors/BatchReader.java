package io.sluice.connectors;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A scan in progress, yielding Arrow record batches one at a time.
 *
 * <p>Ownership: the reader owns {@link #root()} and every buffer in it. The root is reused: its
 * contents are valid until the next {@link #loadNextBatch()} or {@link #close()}. A caller that
 * wants to keep a batch longer transfers or copies the vectors.
 *
 * <p>Threading: one thread at a time.
 */
public interface BatchReader extends AutoCloseable {

    /** The projected schema: the spec's columns in the spec's order. */
    Schema schema();

    /**
     * Loads the next batch into {@link #root()}.
     *
     * @return false at the end of the scan (the root then holds zero rows)
     * @throws ConnectorException when the source turns out to be corrupt or unreadable mid-scan
     */
    boolean loadNextBatch();

    /** The batch loaded last; same instance for the whole scan. */
    VectorSchemaRoot root();

    /**
     * What the scan has done so far (rows, batches, row groups skipped, malformed rows skipped).
     * Optional capability: readers that count nothing return {@link ScanMetrics#NONE}.
     */
    default ScanMetrics metrics() {
        return ScanMetrics.NONE;
    }

    /** Releases every buffer of the scan. Idempotent. */
    @Override
    void close();
}
