package io.sluice.connectors;

import java.util.List;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One opened source: its schema, its version fingerprint, and scans over it.
 *
 * <p>Lifecycle: created by {@link ConnectorFactory#create}, closed by whoever created it. A source
 * holds no Arrow memory of its own; every buffer lives in a {@link BatchReader} and is allocated
 * from the allocator passed to {@link #open}.
 *
 * <p>Threading: {@link #schema()}, {@link #fingerprint()} and {@link #open} may be called from
 * several threads at once; each returned reader is used by one thread at a time.
 */
public interface BatchSource extends AutoCloseable {

    /** The full Arrow schema of the source, columns in source order. */
    Schema schema();

    /** Number of rows, when the source knows it without a scan (Parquet footers do). */
    OptionalLong rowCount();

    /**
     * A lower-case hex SHA-256 over what identifies the source's bytes (for Parquet: file name,
     * size and footer), so that audit records can name exactly which version was served. Computed
     * when the source is opened; stable as long as the bytes do not change.
     */
    String fingerprint();

    /**
     * Whether a scan with a {@linkplain ScanSpec#predicate() predicate} returns only matching rows.
     * When false (the default), the predicate only lets the source skip data that cannot match
     * (Parquet row groups), and the caller must still filter the rows it gets.
     */
    default boolean filtersExactly() {
        return false;
    }

    /**
     * The units a scan with {@code spec} would read (its columns, batch size and predicate; its
     * shard and units are ignored), in source order, leaving out units the predicate rules out.
     * A caller may then read any of them, in any order, with {@link ScanSpec#withUnits}.
     *
     * <p>Optional capability: a source that cannot be read by unit returns an empty list (the
     * default); it is then read whole or in {@linkplain ScanSpec#shards() shards}.
     *
     * @throws ConnectorException as {@link #open} does for a bad spec
     */
    default List<ScanUnit> units(ScanSpec spec) {
        return List.of();
    }

    /**
     * Starts a scan.
     *
     * <p>The reader stays valid after this source is closed.
     *
     * @param spec which columns, in which order, how many rows per batch, which shard, and an
     *     optional predicate (see {@link Predicate} for what a source does with it)
     * @param allocator the allocator every batch buffer is taken from; the reader takes a child of
     *     it and closes that child in {@link BatchReader#close()}
     * @return a reader that the caller owns and must close
     * @throws ConnectorException {@link ConnectorErrorCode#UNKNOWN_COLUMN} when the spec names a
     *     column the schema lacks; {@link ConnectorErrorCode#INVALID_PREDICATE} when the predicate
     *     compares a column with a literal of another type; {@link ConnectorErrorCode#SOURCE_CHANGED}
     *     when the source no longer matches its fingerprint
     */
    BatchReader open(ScanSpec spec, BufferAllocator allocator);

    @Override
    void close();
}
