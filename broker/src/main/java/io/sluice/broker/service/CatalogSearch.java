package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.store.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Searches and pages the catalog: a case-insensitive text match on a dataset's name, description,
 * organisation and column names, in {@link CatalogCursor#ORDER}, a page at a time. Blocking (it
 * reads the store); call from worker threads. Thread-safe.
 *
 * <p>It pages over what {@code listing} returns, so which datasets the catalog shows at all (a
 * withdrawn one, say) is the listing's to decide ({@link DatasetService#list()}).
 */
public final class CatalogSearch {

    /**
     * One search.
     *
     * @param text matched case-insensitively as a substring; empty matches every dataset
     * @param limit the most datasets on the page, 1 to {@link #MAX_LIMIT}
     * @param after where the previous page ended; empty = from the start
     */
    public record Query(Optional<String> text, int limit, Optional<CatalogCursor> after) {
        public static final int DEFAULT_LIMIT = 100;
        public static final int MAX_LIMIT = 1000;
        public static final int MAX_TEXT = 200;

        /** @throws BrokerException (400) naming the bound a value breaks */
        public Query {
            requireNonNull(text, "text is null");
            requireNonNull(after, "after is null");
            text = text.map(String::strip).filter(t -> !t.isEmpty());
            if (text.isPresent() && text.get().length() > MAX_TEXT) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                        "'q' must be at most " + MAX_TEXT + " characters, was " + text.get().length());
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                        "'limit' must be between 1 and " + MAX_LIMIT + ", was " + limit);
            }
        }
    }

    /**
     * @param datasets the page, in catalog order
     * @param next where to continue, when more datasets match
     */
    public record Page(List<Dataset> datasets, Optional<CatalogCursor> next) {
        public Page {
            datasets = List.copyOf(requireNonNull(datasets, "datasets is null"));
            requireNonNull(next, "next is null");
        }
    }

    private final Supplier<List<Dataset>> listing;

    /** @param listing every dataset the catalog may show, in any order */
    public CatalogSearch(Supplier<List<Dataset>> listing) {
        this.listing = requireNonNull(listing, "listing is null");
    }

    public Page search(Query query) {
        requireNonNull(query, "query is null");
        Optional<String> needle = query.text().map(t -> t.toLowerCase(Locale.ROOT));
        List<Dataset> matching = new ArrayList<>();
        for (Dataset dataset : listing.get()) {
            if (query.after().map(after -> after.precedes(dataset)).orElse(true)
                    && needle.map(n -> matches(dataset, n)).orElse(true)) {
                matching.add(dataset);
            }
        }
        matching.sort(CatalogCursor.ORDER);
        if (matching.size() <= query.limit()) {
            return new Page(matching, Optional.empty());
        }
        List<Dataset> page = matching.subList(0, query.limit());
        return new Page(page, Optional.of(CatalogCursor.after(page.getLast())));
    }

    private static boolean matches(Dataset dataset, String needle) {
        if (contains(dataset.name(), needle) || contains(dataset.description(), needle)
                || contains(dataset.organisation(), needle)) {
            return true;
        }
        for (Field field : dataset.schema().getFields()) {
            if (contains(field.getName(), needle)) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(String text, String lowerNeedle) {
        return text.toLowerCase(Locale.ROOT).contains(lowerNeedle);
    }
}
