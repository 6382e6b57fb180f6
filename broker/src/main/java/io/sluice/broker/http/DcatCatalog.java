package io.sluice.broker.http;

import static io.sluice.broker.http.OdrlJsonLd.dateTime;
import static io.sluice.broker.http.OdrlJsonLd.id;
import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.Dataset;
import io.sluice.policy.PolicyOffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A catalog page as DCAT-AP 3 in JSON-LD: a {@code dcat:Catalog} of {@code dcat:Dataset}s, each with
 * its schema, an Arrow-stream {@code dcat:Distribution} and its policy as an {@code odrl:Offer}
 * ({@link OdrlJsonLd}); paging as a Hydra {@code hydra:PartialCollectionView}. The context is inline,
 * so a JSON-LD processor needs nothing from the network to read it.
 *
 * <p>Identifiers (see docs/decisions/0013-dcat-catalog.md): datasets, organisations, offers and the
 * broker are {@code urn:sluice:...} names, the same whichever broker of a deployment answers and
 * whatever Host a request carried; links to this API ({@code dcat:landingPage}, {@code dcat:accessURL},
 * the pages) are relative references, which a processor resolves against the URL it fetched. Never
 * the source or its options: the catalog describes, grants give access.
 */
final class DcatCatalog {
    static final String MEDIA_TYPE = "application/ld+json";
    static final String ARROW_STREAM = "http://www.iana.org/assignments/media-types/application/vnd.apache.arrow.stream";
    /** DCAT-AP's access-rights vocabulary: available under conditions (here: a grant under the offer). */
    static final String RESTRICTED = "http://publications.europa.eu/resource/authority/access-right/RESTRICTED";

    static final JsonObject CONTEXT = new JsonObject()
            .put("dcat", "http://www.w3.org/ns/dcat#")
            .put("dct", "http://purl.org/dc/terms/")
            .put("odrl", "http://www.w3.org/ns/odrl/2/")
            .put("foaf", "http://xmlns.com/foaf/0.1/")
            .put("xsd", "http://www.w3.org/2001/XMLSchema#")
            .put("hydra", "http://www.w3.org/ns/hydra/core#")
            .put("healthdcatap", "http://healthdataportal.eu/ns/health#")
            .put("sluice", "https://sluice.dev/ns/");

    /** One dataset and the offer of its current policy. */
    record Entry(Dataset dataset, PolicyOffer offer) {
        Entry {
            requireNonNull(dataset, "dataset is null");
            requireNonNull(offer, "offer is null");
        }
    }

    /**
     * The links of a page, relative to the broker's root.
     *
     * @param self this page
     * @param first the first page of the same search
     * @param next the page after this one, when more datasets match
     */
    record Links(String self, String first, Optional<String> next) {
        Links {
            requireNonNull(self, "self is null");
            requireNonNull(first, "first is null");
            requireNonNull(next, "next is null");
        }
    }

    private DcatCatalog() {}

    /** @param publisher the name this broker's deployment goes by (its audit log's origin) */
    static JsonObject page(List<Entry> entries, Links links, String publisher) {
        JsonArray datasets = new JsonArray();
        entries.forEach(entry -> datasets.add(dataset(entry)));
        JsonObject view = new JsonObject()
                .put("@id", links.self())
                .put("@type", "hydra:PartialCollectionView")
                .put("hydra:first", id(links.first()));
        links.next().ifPresent(next -> view.put("hydra:next", id(next)));
        return new JsonObject()
                .put("@context", CONTEXT)
                .put("@id", CatalogRoutes.PATH)
                .put("@type", "dcat:Catalog")
                .put("dct:title", "Sluice catalog of " + publisher)
                .put("dct:description", "Datasets offered under usage policies; data leaves only as an Arrow stream"
                        + " under a grant, which a consumer requests for a purpose the offer allows.")
                .put("dct:publisher", new JsonObject()
                        .put("@id", "urn:sluice:broker:" + urnPart(publisher))
                        .put("@type", "foaf:Agent")
                        .put("foaf:name", publisher))
                .put("dcat:dataset", datasets)
                .put("hydra:view", view);
    }

    private static JsonObject dataset(Entry entry) {
        Dataset dataset = entry.dataset();
        String iri = datasetIri(dataset.id());
        String owner = "urn:sluice:organisation:" + urnPart(dataset.organisation());
        JsonObject json = new JsonObject()
                .put("@id", iri)
                .put("@type", "dcat:Dataset")
                .put("dct:identifier", dataset.id())
                .put("dct:title", dataset.name())
                .put("dct:description", dataset.description())
                .put("dct:publisher", new JsonObject()
                        .put("@id", owner)
                        .put("@type", "foaf:Organization")
                        .put("foaf:name", dataset.organisation()))
                .put("dct:issued", dateTime(dataset.registeredAt()))
                .put("dcat:version", dataset.version())
                .put("sluice:policyVersion", OdrlJsonLd.integer(dataset.policyVersion()))
                .put("dct:accessRights", id(RESTRICTED))
                .put("dcat:landingPage", id("/v1/datasets/" + urnPart(dataset.id())))
                .put("sluice:schema", columns(dataset.schema()))
                .put("dcat:distribution", new JsonObject()
                        .put("@id", iri + ":arrow-stream")
                        .put("@type", "dcat:Distribution")
                        .put("dct:title", "Arrow IPC stream under a grant")
                        .put("dct:description", "POST /v1/grants {dataset, purpose} for a grant, then"
                                + " GET /v1/grants/{id}/stream; columns and values as the offer's permission says.")
                        .put("dcat:mediaType", id(ARROW_STREAM))
                        .put("dcat:accessURL", id("/v1/grants")))
                .put("odrl:hasPolicy", OdrlJsonLd.offer(iri + ":policy:" + dataset.policyVersion(), iri, owner,
                        entry.offer()));
        // HealthDCAT-AP's count of records: what a whole-dataset stream reads before the policy filters rows.
        dataset.rows().ifPresent(rows -> json.put("healthdcatap:numberOfRecords",
                new JsonObject().put("@value", rows).put("@type", "xsd:nonNegativeInteger")));
        return json;
    }

    static String datasetIri(String datasetId) {
        return "urn:sluice:dataset:" + urnPart(datasetId);
    }

    /** The columns of {@code schema}, in order, with their Arrow types as the plain catalog writes them. */
    static JsonObject columns(Schema schema) {
        JsonArray columns = new JsonArray();
        for (Field field : schema.getFields()) {
            columns.add(new JsonObject()
                    .put("@type", "sluice:Column")
                    .put("sluice:name", field.getName())
                    .put("sluice:arrowType", field.getType().toString())
                    .put("sluice:nullable", field.isNullable()));
        }
        return new JsonObject().put("@list", columns);
    }

    /** Percent-encodes everything but unreserved characters: safe in a URN and in a path segment. */
    static String urnPart(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A");
    }
}
