/**
 * The CSV source: one local UTF-8 CSV file (RFC 4180), tokenized in place and converted column by
 * column straight into Arrow vectors (see {@code docs/decisions/0006-csv-and-jdbc.md}).
 *
 * <p>{@link io.sluice.connectors.csv.CsvConnectorFactory} is the plug-in (name {@code "csv"}, its
 * options are listed there); {@link io.sluice.connectors.csv.CsvBatchSource} is one opened file.
 */
package io.sluice.connectors.csv;
