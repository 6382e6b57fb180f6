package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A training receipt: what the log says a grant was used for, in a form anyone can check offline
 * with the log's public key ({@link ReceiptVerifier}). The header names the grant as the broker's
 * store has it; the records are the grant's audit records as their exact leaf bytes, each with an
 * RFC 9162 inclusion proof against {@link #checkpointNote()}, one signed checkpoint covering all of
 * them; {@link #consistency()}, when asked for, proves that checkpoint a prefix of a later one.
 *
 * <p>The header is a convenience: the verifier checks it against the {@code grant.issued} record,
 * which is what the signature covers.
 */
public record TrainingReceipt(String grant, String dataset, String datasetVersion, String purpose, String project,
        int policyVersion, String holderSubject, String holderOrganisation, String checkpointNote, long treeSize,
        List<ProvenRecord> records, Optional<Consistency> consistency) {
    /** The value of the receipt's {@code format} field; a verifier refuses any other. */
    public static final String FORMAT = "sluice-receipt/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    public TrainingReceipt {
        requireNonNull(grant, "grant is null");
        requireNonNull(dataset, "dataset is null");
        requireNonNull(datasetVersion, "datasetVersion is null");
        requireNonNull(purpose, "purpose is null");
        requireNonNull(project, "project is null");
        requireNonNull(holderSubject, "holderSubject is null");
        requireNonNull(holderOrganisation, "holderOrganisation is null");
        requireNonNull(checkpointNote, "checkpointNote is null");
        records = List.copyOf(requireNonNull(records, "records is null"));
        requireNonNull(consistency, "consistency is null");
    }

    /** One audit record: its index in the log, its exact bytes, and the path from its leaf to the checkpoint's root. */
    public record ProvenRecord(long index, byte[] leaf, List<byte[]> proof) {
        public ProvenRecord {
            requireNonNull(leaf, "leaf is null");
            proof = List.copyOf(requireNonNull(proof, "proof is null"));
        }
    }

    /** A later checkpoint and the RFC 9162 consistency proof from the receipt's checkpoint to it. */
    public record Consistency(String checkpointNote, long treeSize, List<byte[]> proof) {
        public Consistency {
            requireNonNull(checkpointNote, "checkpointNote is null");
            proof = List.copyOf(requireNonNull(proof, "proof is null"));
        }
    }

    /** The receipt as the JSON {@code GET /v1/grants/{id}/receipt} answers. */
    public ObjectNode toJson() {
        ObjectNode json = JSON.createObjectNode()
                .put("format", FORMAT)
                .put("grant", grant)
                .put("dataset", dataset)
                .put("datasetVersion", datasetVersion)
                .put("purpose", purpose)
                .put("project", project)
                .put("policyVersion", policyVersion);
        json.putObject("holder").put("subject", holderSubject).put("organisation", holderOrganisation);
        json.put("checkpoint", checkpointNote).put("treeSize", treeSize);
        ArrayNode list = json.putArray("records");
        for (ProvenRecord record : records) {
            ObjectNode node = list.addObject().put("index", record.index())
                    .put("leaf", Base64.getEncoder().encodeToString(record.leaf()));
            base64(node.putArray("proof"), record.proof());
        }
        consistency.ifPresent(c -> base64(json.putObject("consistency").put("checkpoint", c.checkpointNote())
                .put("treeSize", c.treeSize()).putArray("proof"), c.proof()));
        return json;
    }

    public String toJsonText() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a receipt", e);
        }
    }

    /**
     * Reads a receipt.
     *
     * @throws IllegalArgumentException naming the field that is missing or malformed
     */
    public static TrainingReceipt parse(String text) {
        requireNonNull(text, "text is null");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the receipt is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the receipt is not a JSON object");
        }
        String format = text(root, "format");
        if (!format.equals(FORMAT)) {
            throw new IllegalArgumentException("the receipt's format is '" + format + "'; this verifier reads " + FORMAT);
        }
        JsonNode holder = root.path("holder");
        List<ProvenRecord> records = new ArrayList<>();
        JsonNode list = root.path("records");
        if (!list.isArray()) {
            throw new IllegalArgumentException("the receipt has no 'records' array");
        }
        for (int i = 0; i < list.size(); i++) {
            JsonNode record = list.get(i);
            String where = "records[" + i + "]";
            records.add(new ProvenRecord(number(record, "index", where), bytes(record.path("leaf"), where + ".leaf"),
                    hashes(record.path("proof"), where + ".proof")));
        }
        Optional<Consistency> consistency = Optional.empty();
        JsonNode later = root.path("consistency");
        if (!later.isMissingNode() && !later.isNull()) {
            consistency = Optional.of(new Consistency(text(later, "checkpoint"), number(later, "treeSize", "consistency"),
                    hashes(later.path("proof"), "consistency.proof")));
        }
        long policyVersion = number(root, "policyVersion", "the receipt");
        if (policyVersion > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the receipt's 'policyVersion' is out of range: " + policyVersion);
        }
        return new TrainingReceipt(text(root, "grant"), text(root, "dataset"), text(root, "datasetVersion"),
                text(root, "purpose"), text(root, "project"), (int) policyVersion, text(holder, "subject"),
                text(holder, "organisation"), text(root, "checkpoint"), number(root, "treeSize", "the receipt"),
                records, consistency);
    }

    private static void base64(ArrayNode array, List<byte[]> hashes) {
        hashes.forEach(h -> array.add(Base64.getEncoder().encodeToString(h)));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (!value.isTextual()) {
            throw new IllegalArgumentException("the receipt has no text field '" + field + "'");
        }
        return value.textValue();
    }

    private static long number(JsonNode node, String field, String where) {
        JsonNode value = node.path(field);
        if (!value.canConvertToExactIntegral() || !value.canConvertToLong() || value.longValue() < 0) {
            throw new IllegalArgumentException(where + " has no non-negative integer '" + field + "'");
        }
        return value.longValue();
    }

    private static byte[] bytes(JsonNode node, String where) {
        if (!node.isTextual()) {
            throw new IllegalArgumentException(where + " is not base64 text");
        }
        try {
            return Base64.getDecoder().decode(node.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " is not base64: " + e.getMessage());
        }
    }

    private static List<byte[]> hashes(JsonNode node, String where) {
        if (!node.isArray()) {
            throw new IllegalArgumentException(where + " is not an array of base64 hashes");
        }
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            hashes.add(bytes(node.get(i), where + "[" + i + "]"));
        }
        return hashes;
    }
}
