package io.sluice.broker.http;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
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
    /** Jackson's complaints, to restate them ({@link #describe}). */
    private static final Pattern UNEXPECTED_CHARACTER = Pattern.compile(
            "Unexpected character \\('(.{1,2})' \\(code \\d+\\)\\)(?:: (.*))?", Pattern.DOTALL);
    private static final Pattern UNRECOGNISED_TOKEN = Pattern.compile("Unrecognized token '(.{0,40}?)'.*", Pattern.DOTALL);
    private static final Pattern CONTROL_CHARACTER = Pattern.compile(
            "Illegal unquoted character \\(\\(CTRL-CHAR, code (\\d+)\\)\\).*", Pattern.DOTALL);
    private static final Pattern UNEXPECTED_CLOSE = Pattern.compile("Unexpected close marker '(.)'.*", Pattern.DOTALL);
    /** What an expectation may say when passed on: plain words and quotes, no class names, brackets or excerpts. */
    private static final Pattern SAFE_WORDS = Pattern.compile("[A-Za-z ,'-]{1,120}");
    /** Vert.x's wording for a second value after the first (JacksonCodec.fromParser). */
    private static final String TRAILING = "Unexpected trailing token";

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
     * What the parser found, with its place, in our own words: "duplicate key 'rightOperand' at
     * line 3, column 61". The parser's wording quotes a source excerpt ({@code at [Source: ...]}),
     * character codes and, for some errors, the names of its own types; none of that is for clients.
     */
    private static String why(DecodeException e) {
        if (!(e.getCause() instanceof JsonProcessingException cause)) {
            // Vert.x's own checks after the parser's: a second value after the first.
            return TRAILING.equals(e.getMessage()) ? ": more than one JSON value (something follows the first)" : "";
        }
        String where = cause.getLocation() == null ? ""
                : " at line " + cause.getLocation().getLineNr() + ", column " + cause.getLocation().getColumnNr();
        String original = String.valueOf(cause.getOriginalMessage());
        Matcher duplicate = DUPLICATE.matcher(original);
        if (duplicate.matches()) {
            return ": duplicate key '" + duplicate.group(1) + "'" + where
                    + "; a JSON object must name each key once (which one would count is not defined)";
        }
        if (cause instanceof JsonEOFException || original.startsWith("Unexpected end-of-input")) {
            return where + ": the body ends before the JSON value is complete";
        }
        return where + ": " + describe(original);
    }

    /** The parser's complaint (see {@link #why}) restated; anything not recognised as "not JSON" without detail. */
    private static String describe(String complaint) {
        Matcher character = UNEXPECTED_CHARACTER.matcher(complaint);
        if (character.matches()) {
            String expected = character.group(2) == null ? "" : clean(character.group(2));
            return "unexpected character '" + character.group(1) + "'" + (expected.isEmpty() ? "" : ": " + expected);
        }
        Matcher token = UNRECOGNISED_TOKEN.matcher(complaint);
        if (token.matches()) {
            return "unrecognised value '" + token.group(1) + "': expected a string, number, array, object, true, false"
                    + " or null";
        }
        Matcher control = CONTROL_CHARACTER.matcher(complaint);
        if (control.matches()) {
            int code = Integer.parseInt(control.group(1));
            return String.format(java.util.Locale.ROOT, "unexpected control character U+%04X in a string; escape it as"
                    + " \\u%04X", code, code);
        }
        Matcher close = UNEXPECTED_CLOSE.matcher(complaint);
        if (close.matches()) {
            return "unexpected '" + close.group(1) + "'";
        }
        return "this is not JSON";
    }

    /** What the parser expected, without its source excerpt or character codes; empty when nothing is left. */
    private static String clean(String expected) {
        String text = expected;
        for (String cut : List.of(" (start marker", " at [Source", "\n")) {
            int at = text.indexOf(cut);
            text = at < 0 ? text : text.substring(0, at);
        }
        text = text.replaceAll("\\s*\\((?:CTRL-CHAR, )?code \\d+\\)", "").strip();
        return SAFE_WORDS.matcher(text).matches() ? text : "";
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
