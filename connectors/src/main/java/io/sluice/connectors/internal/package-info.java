/**
 * Helpers shared by the connectors module's sources (direct writes into Arrow buffers). Not an
 * API: other modules must not use it.
 */
package io.sluice.connectors.internal;
