package io.sluice.connectors;

/**
 * The plug-in boundary for a kind of source (Parquet, CSV, JDBC, ...).
 *
 * <p>Factories are found with {@link java.util.ServiceLoader}: a new source type is one class
 * implementing this interface and one line in
 * {@code META-INF/services/io.sluice.connectors.ConnectorFactory}. {@link Connectors} looks
 * them up by {@link #name()}.
 *
 * <p>Threading: a factory is stateless and may be called from any thread.
 */
public interface ConnectorFactory {

    /** The source type as it appears in a registration, e.g. {@code "parquet"}; lower case. */
    String name();

    /**
     * Opens a source: checks that it exists and is readable and discovers its Arrow schema.
     *
     * <p>The caller owns the returned source and must close it. Any location in {@code config}
     * has already been confined by the caller (see {@link SourcePaths}); a factory does not
     * decide who may read what.
     *
     * @throws ConnectorException with a user category when the source is missing, corrupt or of
     *     an unsupported shape; the message names the file and what is wrong with it
     */
    BatchSource create(SourceConfig config);
}
