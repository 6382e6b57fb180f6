package io.sluice.connectors.parquet;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ConnectorFactory;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * The {@code "parquet"} source type: one local Parquet file, opened with
 * {@link ParquetBatchSource#open(Path)}.
 *
 * <p>Directories (partitioned data sets) are not supported yet. Source options are ignored.
 *
 * <p>Threading: stateless; {@link #create} may be called from any thread. It blocks on file I/O
 * (it reads the footer), so call it off any event loop.
 */
public final class ParquetConnectorFactory implements ConnectorFactory {

    /** The source type this factory serves. */
    public static final String NAME = "parquet";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Opens the file at {@code config.location()}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} without a
     *     location or for a directory; see {@link ParquetBatchSource#open(Path)} for the rest
     */
    @Override
    public BatchSource create(SourceConfig config) {
        requireNonNull(config, "config is null");
        Path location = config.requireLocation();
        if (Files.isDirectory(location)) {
            throw new ConnectorException(ConnectorErrorCode.INVALID_SOURCE_CONFIG,
                    "'" + ParquetFooter.fileName(location) + "' is a directory; directories are not supported yet,"
                            + " give one Parquet file");
        }
        return ParquetBatchSource.open(location);
    }
}
