/**
 * The connector SPI: {@link io.sluice.connectors.ConnectorFactory} (found with
 * {@link java.util.ServiceLoader} through {@link io.sluice.connectors.Connectors}),
 * {@link io.sluice.connectors.BatchSource}, {@link io.sluice.connectors.BatchReader}, what a scan
 * reads ({@link io.sluice.connectors.ScanSpec} with an optional
 * {@link io.sluice.connectors.Predicate}), source options
 * ({@link io.sluice.connectors.SourceConfig}, {@link io.sluice.connectors.SourceOptions}),
 * path confinement ({@link io.sluice.connectors.SourcePaths}) and the module's errors
 * ({@link io.sluice.connectors.ConnectorErrorCode}, {@link io.sluice.connectors.ConnectorException}).
 */
package io.sluice.connectors;
