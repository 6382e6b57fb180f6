package io.sluice.connectors.csv;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ConnectorFactory;
import io.sluice.connectors.SourceConfig;

/**
 * The {@code "csv"} source type: one local CSV file (UTF-8, RFC 4180).
 *
 * <table>
 *   <caption>Options (besides the common {@code maxBatchBytes})</caption>
 *   <tr><th>key</th><th>values</th><th>default</th></tr>
 *   <tr><td>{@code header}</td><td>{@code true}, {@code false}, {@code auto}</td><td>{@code auto}: detected</td></tr>
 *   <tr><td>{@code delimiter}</td><td>one ASCII character, or {@code tab}</td><td>{@code ,}</td></tr>
 *   <tr><td>{@code quote}</td><td>one ASCII character</td><td>{@code "}</td></tr>
 *   <tr><td>{@code types}</td><td>{@code name:type} pairs, e.g. {@code age:int64,visit:date}; types
 *       boolean, int32, int64, double, date, timestamp, timestamptz, utf8</td><td>inferred</td></tr>
 *   <tr><td>{@code onError}</td><td>{@code reject} (fail the scan naming the line), {@code skip}
 *       (skip and count malformed rows)</td><td>{@code reject}</td></tr>
 *   <tr><td>{@code sampleRows}</td><td>records read to infer types, 1 to 10,000,000</td><td>10,000</td></tr>
 *   <tr><td>{@code maxRecordBytes}</td><td>the longest record accepted, 1 KiB to 1 GiB</td><td>16 MiB</td></tr>
 * </table>
 *
 * <p>Threading: stateless. {@link #create} reads the whole file once (to fingerprint it), so call
 * it off any event loop.
 */
public final class CsvConnectorFactory implements ConnectorFactory {

    /** The source type this factory serves. */
    public static final String NAME = "csv";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Opens the file at {@code config.location()}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} without a location
     *     or for a bad option; see {@link CsvBatchSource} for the rest
     */
    @Override
    public BatchSource create(SourceConfig config) {
        requireNonNull(config, "config is null");
        CsvOptions options = CsvOptions.of(config);
        return CsvBatchSource.open(config.requireLocation(), options);
    }
}
