package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerException;
import io.sluice.broker.store.Dataset;
import java.time.Instant;
import java.util.Comparator;

/**
 * Where a catalog page ended: the last dataset it held, in the catalog's order (registration time,
 * then id). A position, not an offset, so a dataset registered or withdrawn between two pages moves
 * no other dataset onto or off the next one. Opaque to clients: {@link #encode()} is base64url text.
 */
public record CatalogCursor(Instant registeredAt, String datasetId) {
    /** The catalog's order; the cursor compares with datasets in it. */
    public static final Comparator<Dataset> ORDER =
            Comparator.comparing(Dataset::registeredAt).thenComparing(Dataset::id);

    public CatalogCursor {
        requireNonNull(registeredAt, "registeredAt is null");
        requireNonNull(datasetId, "datasetId is null");
    }

    public static CatalogCursor after(Dataset dataset) {
        return new CatalogCursor(dataset.registeredAt(), dataset.id());
    }

    /** Whether {@code dataset} comes after this position in {@link #ORDER}. */
    public boolean precedes(Dataset dataset) {
        int byTime = dataset.registeredAt().compareTo(registeredAt);
        return byTime > 0 || (byTime == 0 && dataset.id().compareTo(datasetId) > 0);
    }

    public String encode() {
        return new PagePosition(registeredAt, datasetId).encode();
    }

    /** @throws BrokerException (400) when {@code text} is not a cursor {@link #encode()} made */
    public static CatalogCursor decode(String text) {
        PagePosition position = PagePosition.decode(text, "catalog page");
        return new CatalogCursor(position.at(), position.id());
    }
}
