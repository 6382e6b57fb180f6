package io.sluice.connectors;

/**
 * What a scan has done so far; a snapshot, read from the thread that drives the reader.
 *
 * @param rows rows returned in batches so far
 * @param batches batches returned so far (not counting the final empty load)
 * @param rowGroupsScanned Parquet row groups read (zero for other sources)
 * @param rowGroupsSkipped Parquet row groups of this shard left out because their statistics (or
 *     partition values) show that the pushed-down predicate cannot match
 * @param malformedRowsSkipped CSV rows skipped under {@code onError=skip}
 */
public record ScanMetrics(long rows, long batches, long rowGroupsScanned, long rowGroupsSkipped,
        long malformedRowsSkipped) {

    /** Nothing read yet. */
    public static final ScanMetrics NONE = new ScanMetrics(0, 0, 0, 0, 0);

    public ScanMetrics {
        if (rows < 0 || batches < 0 || rowGroupsScanned < 0 || rowGroupsSkipped < 0 || malformedRowsSkipped < 0) {
            throw new IllegalArgumentException("metrics must be >= 0");
        }
    }
}
