package io.sluice.broker.auth;

import static java.util.Objects.requireNonNull;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * What {@code vertx-auth-jwt} does not check in a token's JOSE header and claims, checked before it
 * runs: a {@code crit} header (RFC 7515 section 4.1.11: extensions the recipient must understand, and
 * the broker understands none, so a token that needs one is refused rather than read without it),
 * and the types of the registered claims it reads ({@code exp}, {@code nbf}, {@code iat} as numbers,
 * {@code aud} as a string or an array of strings, {@code iss} and {@code sub} as strings), which it
 * would otherwise cast and fail on with a 500 instead of a refusal.
 *
 * <p>Only the shape is read here; signature, issuer, audience and time stay with {@code vertx-auth-jwt}.
 * A token that is not three base64url parts of JSON objects is left to it too, so that its reason
 * stands.
 */
final class TokenShape {
    private static final List<String> TIMES = List.of("exp", "nbf", "iat");
    private static final List<String> NAMES = List.of("iss", "sub");
    private static final int MAX_NAMES_SHOWN = 100;

    private TokenShape() {}

    /** @return why the token is refused, or empty when its shape is acceptable or is not a JWT's at all */
    static Optional<String> problem(String token) {
        requireNonNull(token, "token is null");
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        Optional<JsonObject> header = json(parts[0]);
        Optional<JsonObject> claims = json(parts[1]);
        if (header.isEmpty() || claims.isEmpty()) {
            return Optional.empty();
        }
        if (header.get().containsKey("crit")) {
            return Optional.of("token header marks extensions critical that the broker does not understand: "
                    + names(header.get().getValue("crit")));
        }
        for (String claim : TIMES) {
            Object value = claims.get().getValue(claim);
            if (value != null && !(value instanceof Number)) {
                return Optional.of("token claim '" + claim + "' must be a number (seconds since the epoch), was " + kind(value));
            }
        }
        for (String claim : NAMES) {
            Object value = claims.get().getValue(claim);
            if (value != null && !(value instanceof String)) {
                return Optional.of("token claim '" + claim + "' must be a string, was " + kind(value));
            }
        }
        Object audience = claims.get().getValue("aud");
        if (audience != null && !(audience instanceof String)
                && !(audience instanceof JsonArray array && array.stream().allMatch(String.class::isInstance))) {
            return Optional.of("token claim 'aud' must be a string or an array of strings, was " + kind(audience));
        }
        return Optional.empty();
    }

    private static Optional<JsonObject> json(String part) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
            return text.startsWith("{") ? Optional.of(new JsonObject(text)) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty(); // not base64url or not JSON: vertx-auth-jwt names the problem
        }
    }

    /** The names a {@code crit} header lists, as far as they are names, shortened: they go into the audit log. */
    private static String names(Object crit) {
        if (!(crit instanceof JsonArray array)) {
            return "(" + kind(crit) + ", not an array of names)";
        }
        String listed = array.stream().map(name -> name instanceof String text ? text : "(" + kind(name) + ")")
                .toList().toString();
        return listed.length() <= MAX_NAMES_SHOWN ? listed : listed.substring(0, MAX_NAMES_SHOWN) + "...";
    }

    private static String kind(Object value) {
        return switch (value) {
            case String s -> "a string";
            case Number n -> "a number";
            case Boolean b -> "a boolean";
            case JsonArray a -> "an array";
            case JsonObject o -> "an object";
            default -> "a " + value.getClass().getSimpleName();
        };
    }
}
