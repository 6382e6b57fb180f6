package io.sluice.connectors.parquet;

import static java.util.Objects.requireNonNull;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ConnectorFactory;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourceOptions;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code "parquet"} source type: one local Parquet file or a directory tree of them (hive-style
 * {@code key=value/} folders become columns), opened with {@link ParquetBatchSource#open(Path, long)}.
 *
 * <p>Options: only the common ones ({@value SourceOptions#MAX_BATCH_BYTES}, see
 * {@link SourceOptions}); any other key is refused.
 *
 * <p>Threading: stateless; {@link #create} may be called from any thread. It blocks on file I/O
 * (it reads every footer), so call it off any event loop.
 */
public final class ParquetConnectorFactory implements ConnectorFactory {

    /** The source type this factory serves. */
    public static final String NAME = "parquet";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Opens the file or directory at {@code config.location()}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#INVALID_SOURCE_CONFIG} without a
     *     location or for an unknown option; see {@link ParquetBatchSource#open(Path, long)} for the rest
     */
    @Override
    public BatchSource create(SourceConfig config) {
        requireNonNull(config, "config is null");
        SourceOptions options = SourceOptions.of(config, Set.of());
        Path location = config.requireLocation();
        return ParquetBatchSource.open(location, options.maxBatchBytes());
    }
}
