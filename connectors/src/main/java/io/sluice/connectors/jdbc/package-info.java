/**
 * The JDBC source: a table or a read-only query of PostgreSQL (or an H2 server), streamed with a
 * cursor into Arrow vectors, to allowed hosts only, with credentials that never leave it (see
 * {@code docs/decisions/0006-csv-and-jdbc.md}).
 *
 * <p>{@link io.sluice.connectors.jdbc.JdbcConnectorFactory} is the plug-in (name {@code "jdbc"}, its
 * options are listed there); {@link io.sluice.connectors.jdbc.JdbcBatchSource} is one opened source.
 */
package io.sluice.connectors.jdbc;
