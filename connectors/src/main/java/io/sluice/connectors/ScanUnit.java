package io.sluice.connectors;

/**
 * A part of a source that a scan can read on its own, and the unit a data-parallel job's ranks are
 * dealt: a Parquet row group, a bucket of a JDBC table's shard column. A scan of a unit always gives
 * the same rows in the same batches, so a position inside it is stable across scans and brokers.
 *
 * @param index the unit's position in source order, as {@link ScanSpec#units()} names it
 * @param rows the rows a scan of the unit returns before any filtering the caller does itself
 *     (for CSV: its records, of which malformed ones may be skipped)
 * @param batches the batches a scan of the unit returns with the spec it was listed for; batches
 *     never span units
 */
public record ScanUnit(int index, long rows, long batches) {
    public ScanUnit {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0, was " + index);
        }
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, was " + rows);
        }
        if (batches < 0 || (batches == 0) != (rows == 0)) {
            throw new IllegalArgumentException("batches must be >= 1 when there are rows and 0 when there are none, was "
                    + batches + " for " + rows + " rows");
        }
    }

    /** A unit of {@code rows} read in batches of at most {@code batchRows}. */
    public static ScanUnit of(int index, long rows, int batchRows) {
        if (batchRows < 1) {
            throw new IllegalArgumentException("batchRows must be >= 1, was " + batchRows);
        }
        return new ScanUnit(index, rows, (rows + batchRows - 1) / batchRows);
    }
}
