package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * What one scan reads.
 *
 * <p>Sharding: a data-parallel job reads a source as {@code shards} disjoint scans, one per rank,
 * each with the same spec except {@code shard}. Together they return every row exactly once, and
 * the same spec always returns the same rows in the same order. The unit of a shard depends on the
 * source (Parquet: whole row groups; CSV: blocks of records; JDBC: a modulus of a declared column).
 *
 * @param columns the columns to read, in output order; not empty, no duplicates
 * @param batchRows the most rows per batch; at least 1
 * @param predicate an optional condition the source may use to skip data that cannot match (see
 *     {@link Predicate} and {@link BatchSource#filtersExactly()})
 * @param shard which shard this scan reads, {@code 0 <= shard < shards}
 * @param shards how many disjoint shards the source is cut into; at least 1
 */
public record ScanSpec(List<String> columns, int batchRows, Optional<Predicate> predicate, int shard, int shards) {

    public static final int DEFAULT_BATCH_ROWS = 65_536;

    public ScanSpec {
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        requireNonNull(predicate, "predicate is null");
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("columns must not be empty");
        }
        if (new HashSet<>(columns).size() != columns.size()) {
            throw new IllegalArgumentException("columns must not repeat, were " + columns);
        }
        if (batchRows < 1) {
            throw new IllegalArgumentException("batchRows must be >= 1, was " + batchRows);
        }
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, was " + shards);
        }
        if (shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard must be >= 0 and < shards (" + shards + "), was " + shard);
        }
    }

    /** All rows of {@code columns}, no predicate, one shard. */
    public ScanSpec(List<String> columns, int batchRows) {
        this(columns, batchRows, Optional.empty(), 0, 1);
    }

    /** All rows of {@code columns} in batches of {@link #DEFAULT_BATCH_ROWS}, no predicate, one shard. */
    public static ScanSpec of(List<String> columns) {
        return new ScanSpec(columns, DEFAULT_BATCH_ROWS);
    }

    /** The same scan restricted to shard {@code shard} of {@code shards}. */
    public ScanSpec withShard(int shard, int shards) {
        return new ScanSpec(columns, batchRows, predicate, shard, shards);
    }

    /** The same scan with {@code predicate} pushed down (replacing any earlier one). */
    public ScanSpec withPredicate(Predicate predicate) {
        return new ScanSpec(columns, batchRows, Optional.of(requireNonNull(predicate, "predicate is null")), shard,
                shards);
    }

    /** The same scan with at most {@code batchRows} rows per batch. */
    public ScanSpec withBatchRows(int batchRows) {
        return new ScanSpec(columns, batchRows, predicate, shard, shards);
    }
}
