package io.sluice.broker.http;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads request bodies strictly: wrong shapes are 400s that name the field and the rule. Every
 * route reads its body here, once: a key given twice is refused, because a body that is decoded,
 * re-encoded and parsed again (a policy) would otherwise have one reader see the first value and
 * another the last.
 */
final class JsonBodies {
    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    /** Jackson's wording for a repeated key (StreamReadFeature.STRICT_DUPLICATE_DETECTION). */
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);

    private JsonBodies() {}

    static JsonObject object(RoutingContext ctx) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "the request body must be a JSON object");
        }
        Object value;
        try (JsonParser parser = STRICT.createParser(text)) {
            value = JacksonCodec.fromParser(parser, Object.class);
        } catch (DecodeException e) {
            throw new BrokerException(BrokerErrorCode.MALFORMED_JSON, "the request body is not valid JSON" + why(e));
        } catch (IOException e) {
            throw new UncheckedIOException("parsing a string cannot fail to read", e);
        }
        if (!(value instanceof JsonObject object)) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "the request body must be a JSON object");
        }
        return object;
    }

    /**
     * What the parser found, with its place, and without the parser's own wording of where (its
     * source excerpt) or its class names: "duplicate key 'rightOperand' at line 3, column 61".
     */
    private static String why(DecodeException e) {
        if (!(e.getCause() instanceof JsonProcessingException cause)) {
            return ": " + e.getMessage(); // Vert.x's own: "Unexpected trailing token"
        }
        String where = cause.getLocation() == null ? ""
                : " at line " + cause.getLocation().getLineNr() + ", column " + cause.getLocation().getColumnNr();
        Matcher duplicate = DUPLICATE.matcher(String.valueOf(cause.getOriginalMessage()));
        if (duplicate.matches()) {
            return ": duplicate key '" + duplicate.group(1) + "'" + where
                    + "; a JSON object must name each key once (which one would count is not defined)";
        }
        return where + ": " + cause.getOriginalMessage();
    }

    static String requiredString(JsonObject body, String field, int maxLength) {
        return optionalString(body, field, maxLength).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + field + "' is required"));
    }

    static Optional<String> optionalString(JsonObject body, String field, int maxLength) {
        Object value = body.getValue(field);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String text) || text.isBlank()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + field + "' must be a non-empty string");
        }
        if (text.length() > maxLength) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'" + field + "' must be at most " + maxLength + " characters, was " + text.length());
        }
        checkNoControlCharacters(field, text);
        return Optional.of(text);
    }

    static Optional<List<String>> optionalStrings(JsonObject body, String field, int maxLength) {
        Object value = body.getValue(field);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof JsonArray array)) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + field + "' must be an array of strings");
        }
        List<String> result = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof String text) || text.isBlank() || text.length() > maxLength) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + field
                        + "' must be an array of non-empty strings of at most " + maxLength + " characters");
            }
            checkNoControlCharacters(field, text);
            result.add(text);
        }
        return Optional.of(result);
    }

    /**
     * Control characters (NUL above all, which PostgreSQL refuses in text) have no place in names
     * and ids; tabs and line breaks are allowed (descriptions).
     */
    static void checkNoControlCharacters(String field, String text) {
        if (text.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r')) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + field + "' must not contain control characters");
        }
    }

    static JsonObject requiredObject(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (!(value instanceof JsonObject object)) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + field + "' must be a JSON object");
        }
        return object;
    }

    static int intParam(RoutingContext ctx, String name, int defaultValue) {
        long value = longParam(ctx, name, defaultValue);
        if (value != (int) value) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + name + "' is out of range, was " + value);
        }
        return (int) value;
    }

    static long longParam(RoutingContext ctx, String name, long defaultValue) {
        String value = ctx.request().getParam(name);
        if (value == null || value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'" + name + "' must be an integer, was '" + value + "'");
        }
    }
}
