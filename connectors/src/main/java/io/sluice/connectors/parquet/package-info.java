/**
 * The Parquet source: a local Parquet file, or a directory tree of them with hive-style
 * {@code key=value/} partition folders, decoded page by page into Arrow vectors (see
 * {@code docs/decisions/0002-parquet-reader.md}).
 *
 * <p>{@link io.sluice.connectors.parquet.ParquetConnectorFactory} is the plug-in (name
 * {@code "parquet"}); {@link io.sluice.connectors.parquet.ParquetBatchSource} is one opened file or
 * directory. Everything else in the package is an implementation detail.
 */
package io.sluice.connectors.parquet;
