package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.auth.Identity;
import io.sluice.broker.service.CatalogCursor;
import io.sluice.broker.service.CatalogSearch;
import io.sluice.broker.service.DatasetService;
import io.sluice.broker.store.Dataset;
import io.sluice.policy.Policies;
import io.sluice.policy.PolicyOffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.MIMEHeader;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code GET /v1/catalog}: the datasets a consumer can ask for, searched ({@code q}) and paged
 * ({@code limit}, {@code after}), as DCAT-AP JSON-LD when the client asks for
 * {@code application/ld+json} ({@link DcatCatalog}) and as the plain JSON of the HTTP contract
 * otherwise. Both answers carry {@code Vary: Accept}. The store is read off the event loop.
 */
final class CatalogRoutes {
    static final String PATH = "/v1/catalog";

    /** The two shapes of the catalog. */
    enum Format {
        PLAIN,
        JSON_LD;

        /**
         * JSON-LD when the client names {@code application/ld+json} with a weight above zero and at
         * least that of every other acceptable type it names ({@code application/json},
         * {@code application/*}, {@code *}{@code /*}); plain JSON otherwise, also without an Accept
         * header or for types the broker does not serve, as the catalog always answered.
         */
        static Format negotiate(List<MIMEHeader> accepted) {
            float jsonLd = 0;
            float plain = 0;
            for (MIMEHeader type : accepted) {
                String component = type.component().toLowerCase(Locale.ROOT);
                String sub = type.subComponent().toLowerCase(Locale.ROOT);
                if (component.equals("application") && sub.equals("ld+json")) {
                    jsonLd = Math.max(jsonLd, type.weight());
                } else if ((component.equals("application") && (sub.equals("json") || sub.equals("*")))
                        || (component.equals("*") && sub.equals("*"))) {
                    plain = Math.max(plain, type.weight());
                }
            }
            return jsonLd > 0 && jsonLd >= plain ? JSON_LD : PLAIN;
        }
    }

    private final DatasetService datasets;
    private final CatalogSearch search;
    private final String publisher;

    /** @param publisher the name the JSON-LD catalog gives its publisher, this deployment (its audit origin) */
    CatalogRoutes(DatasetService datasets, CatalogSearch search, String publisher) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.search = requireNonNull(search, "search is null");
        this.publisher = requireNonNull(publisher, "publisher is null");
    }

    void catalog(RoutingContext ctx) {
        Format format = Format.negotiate(ctx.parsedHeaders().accept());
        CatalogSearch.Query query = new CatalogSearch.Query(param(ctx, "q"),
                JsonBodies.intParam(ctx, "limit", CatalogSearch.Query.DEFAULT_LIMIT),
                param(ctx, "after").map(CatalogCursor::decode));
        Identity caller = AuthenticationHandler.identity(ctx);
        Blocking.run(ctx, () -> {
            CatalogSearch.Page page = search.search(query);
            return switch (format) {
                case PLAIN -> plain(page, caller);
                case JSON_LD -> DcatCatalog.page(entries(page), links(query, page), publisher);
            };
        }, (c, json) -> c.response()
                .setStatusCode(200)
                .putHeader("Content-Type", format == Format.JSON_LD ? DcatCatalog.MEDIA_TYPE : "application/json")
                .putHeader("Vary", "Accept")
                .end(json.encode()));
    }

    /** The contract's {@code {"datasets": [...]}}, with {@code next} (the {@code after} of the next page) when there is one. */
    private JsonObject plain(CatalogSearch.Page page, Identity caller) {
        JsonArray entries = new JsonArray();
        for (Dataset dataset : page.datasets()) {
            entries.add(Views.catalogEntry(dataset, offer(dataset), dataset.organisation().equals(caller.organisation())));
        }
        JsonObject json = new JsonObject().put("datasets", entries);
        page.next().ifPresent(next -> json.put("next", next.encode()));
        return json;
    }

    private List<DcatCatalog.Entry> entries(CatalogSearch.Page page) {
        return page.datasets().stream().map(d -> new DcatCatalog.Entry(d, offer(d))).toList();
    }

    private PolicyOffer offer(Dataset dataset) {
        return Policies.offer(datasets.policy(dataset), dataset.schema());
    }

    private static DcatCatalog.Links links(CatalogSearch.Query query, CatalogSearch.Page page) {
        return new DcatCatalog.Links(link(query, query.after()), link(query, Optional.empty()),
                page.next().map(next -> link(query, Optional.of(next))));
    }

    /** A relative link to a page of the same search, built from the parsed query, never echoed from the request. */
    private static String link(CatalogSearch.Query query, Optional<CatalogCursor> after) {
        StringBuilder link = new StringBuilder(PATH).append("?limit=").append(query.limit());
        query.text().ifPresent(q -> link.append("&q=").append(DcatCatalog.urnPart(q)));
        after.ifPresent(cursor -> link.append("&after=").append(cursor.encode()));
        return link.toString();
    }

    private static Optional<String> param(RoutingContext ctx, String name) {
        return Optional.ofNullable(ctx.request().getParam(name)).filter(value -> !value.isEmpty());
    }
}
