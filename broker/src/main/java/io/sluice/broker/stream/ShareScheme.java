package io.sluice.broker.stream;

import java.util.Locale;

/** How a stream's share of the source was cut; the response says which in {@code Sluice-Stream-Scheme}. */
public enum ShareScheme {
    /**
     * The source's units (Parquet row groups, JDBC key buckets) were dealt to the ranks, balanced by
     * rows: each rank reads only its own units.
     */
    UNITS,
    /**
     * The source has fewer units than ranks (or none): every rank reads the whole source and keeps
     * every {@code shards}-th batch.
     */
    BATCHES;

    /** How the HTTP header and the audit record name it. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
