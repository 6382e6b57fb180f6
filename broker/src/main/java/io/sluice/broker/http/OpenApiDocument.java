package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.broker.BrokerVersion;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /v1/openapi.json}: the OpenAPI 3.1 document of the HTTP contract. It is written by
 * hand as YAML ({@value #RESOURCE}), read once when the router is built, and served as JSON with
 * {@code info.version} set to this broker's version. Open like the probes: a contract is no secret.
 */
final class OpenApiDocument implements Handler<RoutingContext> {
    static final String PATH = "/v1/openapi.json";
    static final String RESOURCE = "/openapi/sluice-v1.yaml";

    private final String json;

    private OpenApiDocument(String json) {
        this.json = requireNonNull(json, "json is null");
    }

    /** Reads and converts the document; a broken document fails the broker's start, not a request. */
    static OpenApiDocument load() {
        ObjectMapper yaml = new ObjectMapper(YAMLFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
        try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the broker's jar");
            }
            JsonNode document = yaml.readTree(in);
            ((ObjectNode) document.get("info")).put("version", BrokerVersion.get());
            return new OpenApiDocument(new ObjectMapper().writeValueAsString(document));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(json);
    }
}
