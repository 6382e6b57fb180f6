package io.sluice.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A grant's training receipt as the broker answered it ({@code GET /v1/grants/{id}/receipt}): the
 * exact JSON, to keep, and the streams' ends its records name, to compare with what this loader
 * received. The comparison reads fields only: whether the records are really in the log and signed
 * is for {@code sluice receipt verify}, which needs the log's public key and no broker.
 */
public final class GrantReceipt {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One stream's end as a record of the receipt states it. */
    public record StreamEnd(String streamId, String action, long bytes, Optional<String> sha256Hex) {
        public StreamEnd {
            Objects.requireNonNull(streamId, "streamId is null");
            Objects.requireNonNull(action, "action is null");
            Objects.requireNonNull(sha256Hex, "sha256Hex is null");
        }
    }

    private final byte[] json;
    private final String grantId;
    private final Map<String, StreamEnd> ends;
    private final List<String> running;
    private final long treeSize;

    private GrantReceipt(byte[] json, String grantId, Map<String, StreamEnd> ends, List<String> running, long treeSize) {
        this.json = json;
        this.grantId = grantId;
        this.ends = ends;
        this.running = running;
        this.treeSize = treeSize;
    }

    /**
     * Reads a receipt's fields.
     *
     * @throws IllegalArgumentException when the body is not a receipt
     */
    public static GrantReceipt parse(byte[] json) {
        Objects.requireNonNull(json, "json is null");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("the receipt is not JSON", e);
        }
        if (root == null || !root.path("grant").isTextual() || !root.path("records").isArray()) {
            throw new IllegalArgumentException("the broker's answer is not a receipt (no 'grant' and 'records')");
        }
        Map<String, StreamEnd> ends = new LinkedHashMap<>();
        Set<String> opened = new LinkedHashSet<>();
        for (JsonNode record : root.path("records")) {
            JsonNode fields;
            try {
                fields = JSON.readTree(Base64.getDecoder().decode(record.path("leaf").asText("")));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("record " + record.path("index").asText() + " of the receipt is not"
                        + " base64 of a JSON record", e);
            }
            String action = fields.path("action").asText("");
            if (action.equals("stream.opened")) {
                opened.add(fields.path("stream").asText(""));
            } else if (action.startsWith("stream.")) {
                ends.put(fields.path("stream").asText(""), new StreamEnd(fields.path("stream").asText(""), action,
                        fields.path("bytes").asLong(), fields.path("sha256").isTextual()
                                ? Optional.of(fields.path("sha256").asText()) : Optional.empty()));
            }
        }
        List<String> running = opened.stream().filter(stream -> !ends.containsKey(stream)).toList();
        return new GrantReceipt(json.clone(), root.path("grant").asText(), Map.copyOf(ends), running,
                root.path("treeSize").asLong());
    }

    /** The receipt exactly as the broker sent it. */
    public byte[] json() {
        return json.clone();
    }

    public String grantId() {
        return grantId;
    }

    /**
     * Streams of the grant opened and not ended at the receipt's checkpoint, in the order they
     * opened: other ranks of the job still streaming, most likely. {@code sluice receipt verify}
     * fails on them unless told {@code --allow-running}.
     */
    public List<String> running() {
        return running;
    }

    /** The size of the checkpoint the receipt is anchored at. */
    public long treeSize() {
        return treeSize;
    }

    /** The end of stream {@code streamId}, when the receipt has one. */
    public Optional<StreamEnd> end(String streamId) {
        return Optional.ofNullable(ends.get(streamId));
    }

    /**
     * Compares the receipt with the connections this loader read: each one read to its end must be
     * a {@code stream.closed} record with the bytes and SHA-256 the loader counted and hashed itself.
     * Connections that ended early are not compared (the broker records what it handed to the
     * connection, which may be more than arrived).
     *
     * @return the first disagreement, naming the stream and both values; empty when they agree
     */
    public Optional<String> mismatch(List<StreamSummary> received) {
        Objects.requireNonNull(received, "received is null");
        for (StreamSummary stream : received) {
            if (stream.sha256Hex().isEmpty()) {
                continue;
            }
            Optional<StreamEnd> end = end(stream.streamId());
            if (end.isEmpty() || !end.get().action().equals("stream.closed")) {
                return Optional.of("the receipt of grant " + grantId + " has no stream.closed record of stream "
                        + stream.streamId() + ", which this loader read to its end"
                        + end.map(e -> " (it records " + e.action() + ")").orElse(""));
            }
            if (end.get().bytes() != stream.bytes()) {
                return Optional.of(String.format(Locale.ROOT, "the receipt says stream %s sent %,d bytes; this loader"
                        + " received %,d", stream.streamId(), end.get().bytes(), stream.bytes()));
            }
            String hash = stream.sha256Hex().get();
            if (!end.get().sha256Hex().map(h -> h.equalsIgnoreCase(hash)).orElse(false)) {
                return Optional.of("the receipt says stream " + stream.streamId() + " had SHA-256 "
                        + end.get().sha256Hex().orElse("(none)") + "; what this loader received has SHA-256 " + hash);
            }
        }
        return Optional.empty();
    }
}
