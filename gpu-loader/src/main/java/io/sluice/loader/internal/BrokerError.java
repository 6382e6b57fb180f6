package io.sluice.loader.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The broker's error body, {@code {"code", "error", "message", "requestId", "reasons"}}, parsed
 * tolerantly: unknown fields are ignored, a reason that is an object is kept as its JSON text.
 *
 * @param code the broker's numeric error code, 0 when absent
 * @param error the snake_case error name
 * @param message the human-readable message, empty when absent
 * @param requestId the broker's request id, when present
 * @param reasons the reasons, in the broker's order
 */
public record BrokerError(int code, String error, String message, Optional<String> requestId, List<String> reasons) {

    /** At most this much of an error body is read. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    public BrokerError {
        Objects.requireNonNull(error, "error is null");
        Objects.requireNonNull(message, "message is null");
        Objects.requireNonNull(requestId, "requestId is null");
        reasons = List.copyOf(reasons);
    }

    /**
     * Parses {@code body}; empty when it is not a JSON object with a textual {@code error} field.
     */
    public static Optional<BrokerError> parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (root == null || !root.isObject() || !root.path("error").isTextual()) {
            return Optional.empty();
        }
        List<String> reasons = new ArrayList<>();
        JsonNode reasonNodes = root.path("reasons");
        if (reasonNodes.isArray()) {
            reasonNodes.forEach(reason -> reasons.add(reason.isTextual() ? reason.textValue() : reason.toString()));
        }
        JsonNode requestId = root.path("requestId");
        return Optional.of(new BrokerError(
                root.path("code").asInt(0),
                root.path("error").textValue(),
                root.path("message").isTextual() ? root.path("message").textValue() : "",
                requestId.isTextual() || requestId.isNumber() ? Optional.of(requestId.asText()) : Optional.empty(),
                reasons));
    }

    /** The start of a body that was not a Sluice error, for a message: at most 200 characters, one line. */
    public static String excerpt(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 400), StandardCharsets.UTF_8)
                .replaceAll("\\s+", " ")
                .strip();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}
