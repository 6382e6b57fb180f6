package io.sluice.broker.stream;

import java.util.Optional;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The decode stage of a stream: the source batches of one stream's share, in the order they
 * leave (units dealt to this rank, shuffled by seed and epoch, the first {@code from} skipped).
 * Each source batch becomes exactly one batch on the wire (zero rows where the policy keeps none),
 * so a position in this order is a position a client can resume from.
 *
 * <p>Threading: one thread at a time. Ownership: every batch returned is the caller's to close.
 */
public interface ShareBatches extends AutoCloseable {

    /**
     * The next source batch of the share, owned by the caller, or empty at the end.
     *
     * @throws io.sluice.connectors.ConnectorException when the source fails mid-scan
     */
    Optional<VectorSchemaRoot> next();

    /** Releases what the scan still holds. Idempotent. */
    @Override
    void close();
}
