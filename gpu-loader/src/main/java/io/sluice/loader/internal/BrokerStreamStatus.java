package io.sluice.loader.internal;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;

/**
 * What the broker says of one stream ({@code GET /v1/streams/{id}}): its status and, for a stream it
 * aborted, why ({@code message}) and the kind of cause ({@code failure}: {@code source} when the
 * source itself is bad, so the stream fails the same way every time; {@code revoked} or
 * {@code expired} when its grant ended, so a new stream is refused; {@code client}, {@code shutdown}
 * or {@code error} otherwise).
 */
public record BrokerStreamStatus(String status, Optional<String> message, Optional<String> failure) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public BrokerStreamStatus {
        requireNonNull(status, "status is null");
        requireNonNull(message, "message is null");
        requireNonNull(failure, "failure is null");
    }

    /** Whether the broker aborted the stream because its source is bad: retrying cannot help. */
    public boolean sourceFailed() {
        return status.equals("aborted") && failure.filter("source"::equals).isPresent();
    }

    /** Whether the broker aborted the stream because its grant was revoked or expired: a retry is refused. */
    public boolean grantEnded() {
        return status.equals("aborted") && failure.filter(f -> f.equals("revoked") || f.equals("expired")).isPresent();
    }

    /** The stream view's fields, or empty when the body is not one. */
    public static Optional<BrokerStreamStatus> parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (root == null || !root.isObject() || !root.path("status").isTextual()) {
            return Optional.empty();
        }
        return Optional.of(new BrokerStreamStatus(root.path("status").textValue(), text(root, "message"),
                text(root, "failure")));
    }

    private static Optional<String> text(JsonNode root, String field) {
        return root.path(field).isTextual() ? Optional.of(root.path(field).textValue()) : Optional.empty();
    }
}
