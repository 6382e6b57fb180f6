package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableResponse;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The broker's OpenAPI document as a test checks responses against it, with Vert.x's OpenAPI
 * validator ({@code vertx-openapi}): the document must load as a valid OpenAPI 3.1 contract, and
 * a response passes when its status is documented for the operation, its media type is one the
 * document lists for that status, its documented headers are there and valid, and its body
 * matches the schema.
 *
 * <p>The validator (5.0) analyses JSON, text and binary bodies only, and refuses to load a
 * contract whose responses name any other media type, such as {@code application/ld+json} or
 * {@code application/vnd.apache.arrow.stream}. So it is handed a copy of the document in which
 * such a media type stands in as one it knows: a {@code +json} type as a vendor JSON type with the
 * same schema ({@code application/ld+json} as {@code application/vnd.sluice-ld+json}), any other
 * as {@code application/octet-stream}. Text and binary bodies lose their schemas in the copy (the
 * validator would hand them to the schema as bytes, not as a string): the validator checks that
 * they are there, the test reads them itself (the Arrow stream with an Arrow reader). It also
 * looks response headers up by the documented name after lower-casing the response's, so the copy
 * names headers in lower case. The document served is never changed.
 */
final class OpenApiValidator implements AutoCloseable {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options",
            "trace");
    private static final String BINARY_STAND_IN = MediaType.APPLICATION_OCTET_STREAM;

    private final JsonObject document;
    private final Vertx vertx;
    private final ResponseValidator validator;

    private OpenApiValidator(JsonObject document, Vertx vertx, ResponseValidator validator) {
        this.document = requireNonNull(document, "document is null");
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.validator = requireNonNull(validator, "validator is null");
    }

    /** Loads {@code document} (as served) into the validator; fails when it is not a valid OpenAPI 3.1 contract. */
    static OpenApiValidator load(JsonObject document) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            OpenAPIContract contract = await(OpenAPIContract.from(vertx, validatorView(document)));
            return new OpenApiValidator(document.copy(), vertx, ResponseValidator.create(vertx, contract));
        } catch (Exception | Error e) {
            vertx.close();
            throw e;
        }
    }

    /** Every documented route, as {@code "GET /v1/datasets/{id}"}. */
    Set<String> routes() {
        Set<String> routes = new TreeSet<>();
        JsonObject paths = document.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            for (String method : paths.getJsonObject(path).fieldNames()) {
                if (METHODS.contains(method)) {
                    routes.add(method.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
        }
        return routes;
    }

    /** Every documented response, as {@code "getDataset 404"}. */
    Set<String> responses() {
        Set<String> responses = new TreeSet<>();
        operations().forEach((id, operation) ->
                operation.getJsonObject("responses").fieldNames().forEach(status -> responses.add(id + " " + status)));
        return responses;
    }

    /** Operation ids by route ({@code "GET /v1/catalog"}). */
    Map<String, String> operationIds() {
        Map<String, String> ids = new HashMap<>();
        JsonObject paths = document.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.fieldNames()) {
                if (METHODS.contains(method)) {
                    ids.put(method.toUpperCase(Locale.ROOT) + " " + path, item.getJsonObject(method).getString("operationId"));
                }
            }
        }
        return ids;
    }

    /** Whether the operation needs a bearer token (the document's security, the operation's own or the global one). */
    boolean needsToken(String operationId) {
        JsonObject operation = operation(operationId);
        var security = operation.containsKey("security") ? operation.getJsonArray("security") : document.getJsonArray("security");
        return security != null && !security.isEmpty()
                && security.stream().allMatch(requirement -> ((JsonObject) requirement).containsKey("bearer"));
    }

    /** Whether the operation takes a request body. */
    boolean takesBody(String operationId) {
        return operation(operationId).containsKey("requestBody");
    }

    /** The media types the operation documents for {@code status}. */
    Set<String> mediaTypes(String operationId, int status) {
        JsonObject response = resolve(operation(operationId).getJsonObject("responses").getJsonObject(Integer.toString(status)));
        return response == null || !response.containsKey("content") ? Set.of()
                : new TreeSet<>(response.getJsonObject("content").fieldNames());
    }

    /**
     * Checks a response of {@code operationId} against the document.
     *
     * @throws AssertionError naming what does not match
     */
    void validate(String operationId, HttpResponse<byte[]> response) {
        int status = response.statusCode();
        String where = operationId + " " + status + " (" + response.request().method() + " " + response.uri().getPath() + ")";
        Set<String> documented = mediaTypes(operationId, status);
        Optional<String> contentType = response.headers().firstValue("Content-Type");
        String mediaType = contentType.map(OpenApiValidator::mediaType).orElse(null);
        if (!documented.isEmpty() && !documented.contains(mediaType)) {
            throw new AssertionError(where + ": media type " + mediaType + " is not one of " + documented);
        }
        Map<String, String> headers = new HashMap<>();
        response.headers().map().forEach((name, values) -> headers.put(name, values.getFirst()));
        byte[] body = response.body();
        ValidatableResponse validatable = body == null || body.length == 0 || mediaType == null
                ? ValidatableResponse.create(status, headers)
                : ValidatableResponse.create(status, headers, Buffer.buffer(body), standIn(mediaType));
        try {
            await(validator.validate(validatable, operationId));
        } catch (SchemaValidationException e) {
            throw new AssertionError(where + ": " + e.getMessage() + " " + e.getOutputUnit() + "\n" + new String(body), e);
        } catch (Exception e) {
            throw new AssertionError(where + ": " + e.getMessage() + "\n" + (body == null ? "" : new String(body)), e);
        }
    }

    /**
     * Checks the body of a response no operation answers (a path that does not exist, a method a
     * path does not take) against the document's {@code Error} schema, with the same library's
     * JSON Schema validator (the schema refers to nothing else).
     */
    void validateError(HttpResponse<byte[]> response) {
        String where = response.request().method() + " " + response.uri().getPath() + " " + response.statusCode();
        if (!response.headers().firstValue("Content-Type").map(OpenApiValidator::mediaType).orElse("")
                .equals("application/json")) {
            throw new AssertionError(where + ": not JSON: " + response.headers().firstValue("Content-Type"));
        }
        JsonObject schema = document.getJsonObject("components").getJsonObject("schemas").getJsonObject("Error");
        OutputUnit result = Validator.create(JsonSchema.of(schema),
                        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app:///")
                                .setOutputFormat(OutputFormat.Basic))
                .validate(new JsonObject(Buffer.buffer(response.body())));
        if (!result.getValid()) {
            throw new AssertionError(where + ": not the error envelope: " + result.toJson().encode());
        }
    }

    @Override
    public void close() throws Exception {
        await(vertx.close());
    }

    private Map<String, JsonObject> operations() {
        Map<String, JsonObject> operations = new HashMap<>();
        JsonObject paths = document.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.fieldNames()) {
                if (METHODS.contains(method)) {
                    operations.put(item.getJsonObject(method).getString("operationId"), item.getJsonObject(method));
                }
            }
        }
        return operations;
    }

    private JsonObject operation(String operationId) {
        JsonObject operation = operations().get(operationId);
        if (operation == null) {
            throw new AssertionError("the document has no operation " + operationId);
        }
        return operation;
    }

    /** A {@code $ref} to {@code #/components/...}, followed; anything else as it is. */
    private JsonObject resolve(JsonObject object) {
        if (object == null || !object.containsKey("$ref")) {
            return object;
        }
        JsonObject target = document;
        for (String part : object.getString("$ref").substring(2).split("/")) {
            target = target.getJsonObject(part.replace("~1", "/").replace("~0", "~"));
        }
        return target;
    }

    private static String mediaType(String contentType) {
        return contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    }

    private static boolean isJson(String mediaType) {
        return mediaType.equals(MediaType.APPLICATION_JSON) || mediaType.endsWith("+json");
    }

    /** The media type the validator's copy of the document has in place of {@code mediaType}. */
    private static String standIn(String mediaType) {
        if (MediaType.isMediaTypeSupported(mediaType)) {
            return mediaType;
        }
        if (mediaType.endsWith("+json")) {
            String[] parts = mediaType.split("/", 2);
            return parts[0] + "/vnd.sluice-" + parts[1];
        }
        return BINARY_STAND_IN;
    }

    /** The copy of the document the validator loads (see the class comment). */
    private static JsonObject validatorView(JsonObject document) {
        JsonObject view = document.copy();
        JsonObject paths = view.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.fieldNames()) {
                if (METHODS.contains(method)) {
                    JsonObject responses = item.getJsonObject(method).getJsonObject("responses");
                    responses.fieldNames().forEach(status -> adapt(responses.getJsonObject(status)));
                }
            }
        }
        JsonObject components = view.getJsonObject("components", new JsonObject());
        JsonObject shared = components.getJsonObject("responses", new JsonObject());
        shared.fieldNames().forEach(name -> adapt(shared.getJsonObject(name)));
        return view;
    }

    private static void adapt(JsonObject response) {
        if (response.containsKey("$ref")) {
            return;
        }
        JsonObject headers = response.getJsonObject("headers");
        if (headers != null) {
            JsonObject lowerCase = new JsonObject();
            headers.forEach(header -> lowerCase.put(header.getKey().toLowerCase(Locale.ROOT), header.getValue()));
            response.put("headers", lowerCase);
        }
        JsonObject content = response.getJsonObject("content");
        if (content != null) {
            JsonObject adapted = new JsonObject();
            // Only JSON bodies keep their schemas: the validator hands text and binary bodies to a schema as bytes.
            content.forEach(entry -> adapted.put(standIn(entry.getKey()), isJson(entry.getKey()) ? entry.getValue()
                    : new JsonObject()));
            response.put("content", adapted);
        }
    }

    private static <T> T await(io.vertx.core.Future<T> future) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("the validator did not answer within 30 s", e);
        }
    }
}
