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
 * @param units when present, the scan reads exactly these {@linkplain BatchSource#units units}, in
 *     this order, each in its own batches (the predicate is not used to skip any of them); only
 *     with one shard, no unit twice
 * @param decodeThreads how many threads one batch may be decoded on, the scan's own included; at
 *     least 1. A connector that decodes columns independently (Parquet) spreads a batch's columns
 *     over them; the others ignore it. The batches are the same whatever the number.
 */
public record ScanSpec(List<String> columns, int batchRows, Optional<Predicate> predicate, int shard, int shards,
        Optional<List<Integer>> units, int decodeThreads) {

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
        units = requireNonNull(units, "units is null").map(List::copyOf);
        if (units.isPresent()) {
            if (shards != 1) {
                throw new IllegalArgumentException("a scan names either units or a shard, not both");
            }
            if (new HashSet<>(units.get()).size() != units.get().size() || units.get().stream().anyMatch(u -> u < 0)) {
                throw new IllegalArgumentException("units must be distinct and >= 0, were " + units.get());
            }
        }
        if (decodeThreads < 1) {
            throw new IllegalArgumentException("decodeThreads must be >= 1, was " + decodeThreads);
        }
    }

    public ScanSpec(List<String> columns, int batchRows, Optional<Predicate> predicate, int shard, int shards,
            Optional<List<Integer>> units) {
        this(columns, batchRows, predicate, shard, shards, units, 1);
    }

    public ScanSpec(List<String> columns, int batchRows, Optional<Predicate> predicate, int shard, int shards) {
        this(columns, batchRows, predicate, shard, shards, Optional.empty());
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
        return new ScanSpec(columns, batchRows, predicate, shard, shards, Optional.empty(), decodeThreads);
    }

    /** The same scan reading exactly {@code units}, in that order (and no shard). */
    public ScanSpec withUnits(List<Integer> units) {
        return new ScanSpec(columns, batchRows, predicate, 0, 1, Optional.of(units), decodeThreads);
    }

    /** The same scan with {@code predicate} pushed down (replacing any earlier one). */
    public ScanSpec withPredicate(Predicate predicate) {
        return new ScanSpec(columns, batchRows, Optional.of(requireNonNull(predicate, "predicate is null")), shard,
                shards, units, decodeThreads);
    }

    /** The same scan with at most {@code batchRows} rows per batch. */
    public ScanSpec withBatchRows(int batchRows) {
        return new ScanSpec(columns, batchRows, predicate, shard, shards, units, decodeThreads);
    }

    /** The same scan decoding each batch on up to {@code decodeThreads} threads. */
    public ScanSpec withDecodeThreads(int decodeThreads) {
        return new ScanSpec(columns, batchRows, predicate, shard, shards, units, decodeThreads);
    }
}
