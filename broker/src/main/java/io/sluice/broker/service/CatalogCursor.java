package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.store.Dataset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
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
        String text = registeredAt + " " + datasetId;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** @throws BrokerException (400) when {@code text} is not a cursor {@link #encode()} made */
    public static CatalogCursor decode(String text) {
        requireNonNull(text, "text is null");
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int space = decoded.indexOf(' ');
            if (space < 1 || space == decoded.length() - 1) {
                throw new IllegalArgumentException("no position");
            }
            return new CatalogCursor(Instant.parse(decoded.substring(0, space)), decoded.substring(space + 1));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'after' must be the 'next' value of an earlier catalog page, was '" + text + "'");
        }
    }
}
