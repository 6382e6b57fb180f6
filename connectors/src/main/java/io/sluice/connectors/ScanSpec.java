package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.List;

/**
 * What one scan reads.
 *
 * @param columns the columns to read, in output order; not empty, no duplicates
 * @param batchRows the most rows per batch; at least 1
 */
public record ScanSpec(List<String> columns, int batchRows) {

    public static final int DEFAULT_BATCH_ROWS = 65_536;

    public ScanSpec {
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("columns must not be empty");
        }
        if (new HashSet<>(columns).size() != columns.size()) {
            throw new IllegalArgumentException("columns must not repeat, were " + columns);
        }
        if (batchRows < 1) {
            throw new IllegalArgumentException("batchRows must be >= 1, was " + batchRows);
        }
    }

    public static ScanSpec of(List<String> columns) {
        return new ScanSpec(columns, DEFAULT_BATCH_ROWS);
    }
}
