package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.store.GrantStore;
import io.sluice.broker.store.GrantStore.Cursor;
import io.sluice.broker.store.GrantStore.GrantUsage;
import java.util.List;
import java.util.Optional;

/**
 * Who holds what: a dataset's grants for its owner, a consumer's own grants, each with what its
 * streams did. Newest first, in pages whose {@code next} cursor is opaque to callers. Blocking;
 * call from worker threads.
 */
public final class GrantListings {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;

    /** One page; {@code next} is the cursor of the page after it, absent on the last. */
    public record Page(List<GrantUsage> grants, Optional<String> next) {
        public Page {
            grants = List.copyOf(requireNonNull(grants, "grants is null"));
            requireNonNull(next, "next is null");
        }
    }

    private final DatasetService datasets;
    private final GrantStore grants;

    public GrantListings(DatasetService datasets, GrantStore grants) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.grants = requireNonNull(grants, "grants is null");
    }

    /** The dataset's grants, for a data owner of its organisation or a compliance officer (others: 403, audited). */
    public Page ofDataset(Identity caller, String datasetId, Optional<String> after, int limit, String requestId) {
        checkLimit(limit);
        Optional<Cursor> cursor = after.map(GrantListings::decode);
        datasets.readable(caller, datasetId, "listing the grants", requestId);
        return page(grants.ofDataset(datasetId, cursor, limit + 1), limit);
    }

    /** The grants the caller (its subject of its organisation) holds or held. */
    public Page heldBy(Identity caller, Optional<String> after, int limit) {
        checkLimit(limit);
        return page(grants.heldBy(caller.subject(), caller.organisation(), after.map(GrantListings::decode), limit + 1),
                limit);
    }

    /** Asked for one more than a page: whether it came tells whether there is a next page. */
    private static Page page(List<GrantUsage> fetched, int limit) {
        if (fetched.size() <= limit) {
            return new Page(fetched, Optional.empty());
        }
        List<GrantUsage> page = fetched.subList(0, limit);
        return new Page(page, Optional.of(encode(page.getLast())));
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'limit' must be 1 to " + MAX_LIMIT + ", was " + limit);
        }
    }

    private static String encode(GrantUsage last) {
        return new PagePosition(last.grant().issuedAt(), last.grant().id()).encode();
    }

    private static Cursor decode(String after) {
        PagePosition position = PagePosition.decode(after, "page of grants");
        return new Cursor(position.at(), position.id());
    }
}
