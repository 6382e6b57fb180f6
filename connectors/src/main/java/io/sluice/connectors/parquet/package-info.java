/**
 * The Parquet source: one local Parquet file read column by column into Arrow vectors with
 * parquet-java's column readers (no Hadoop file system, no row objects).
 *
 * <p>{@link io.sluice.connectors.parquet.ParquetConnectorFactory} is the plug-in (name
 * {@code "parquet"}); {@link io.sluice.connectors.parquet.ParquetBatchSource} is one opened file.
 * Everything else in the package is an implementation detail.
 */
package io.sluice.connectors.parquet;
