package io.sluice.connectors.csv;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What {@link CsvBatchSource#check} found in the part of a CSV file it converted.
 *
 * @param bytesChecked the bytes of the file whose records were converted, from its start
 * @param whole whether that is the whole file
 * @param rows the rows that converted
 * @param skippedRows the malformed rows skipped ({@code onError=skip}); 0 with {@code onError=reject},
 *     where the first malformed row fails the check instead
 * @param skippedLines the lines of the first {@link #MAX_LINES} skipped rows found, ascending
 */
public record CsvCheck(long bytesChecked, boolean whole, long rows, long skippedRows, List<Long> skippedLines) {
    /** The most skipped lines a check names. */
    public static final int MAX_LINES = 10;

    public CsvCheck {
        if (bytesChecked < 0 || rows < 0 || skippedRows < 0) {
            throw new IllegalArgumentException("counts must be >= 0, were " + bytesChecked + ", " + rows + ", "
                    + skippedRows);
        }
        skippedLines = List.copyOf(requireNonNull(skippedLines, "skippedLines is null"));
        if (skippedLines.size() > Math.min(skippedRows, MAX_LINES)) {
            throw new IllegalArgumentException("skippedLines names " + skippedLines.size() + " lines for "
                    + skippedRows + " skipped rows (at most " + MAX_LINES + ")");
        }
    }
}
