package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.tlog.CanonicalJson;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An audit record before the log has given it an index and a time.
 *
 * @param details the record's other fields (dataset, purpose, rows, ...); only the names of
 *     DESIGN.md's audit record are accepted, so a typo cannot create a field no query knows
 */
public record AuditEvent(AuditAction action, Actor actor, Map<String, Object> details) {

    private static final Set<String> FIELDS = Set.of("dataset", "datasetVersion", "policyVersion", "purpose",
            "grant", "stream", "outcome", "reasons", "columns", "scheme", "rows", "batches", "bytes", "sha256", "requestId",
            "remote", "message", "failure", "shard", "shards", "epoch", "format", "records", "node", "project", "rowsIn", "seed",
            "from");

    /** The longest grant id (the width of {@code grants.id} and {@code audit_log.grant_id}). */
    public static final int MAX_GRANT_ID = 64;

    public AuditEvent {
        requireNonNull(action, "action is null");
        requireNonNull(actor, "actor is null");
        details = Map.copyOf(new TreeMap<>(requireNonNull(details, "details is null")));
        for (String key : details.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new IllegalArgumentException("unknown audit field '" + key + "'");
            }
            // Refused here, at the caller, rather than in the log's writer, where one bad value would fail a whole commit.
            try {
                CanonicalJson.encode(details.get(key));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("audit field '" + key + "': " + e.getMessage(), e);
            }
        }
    }

    public static AuditEvent of(AuditAction action, Actor actor) {
        return new AuditEvent(action, actor, Map.of());
    }

    /** A copy with one more field; a null value leaves the field out. */
    public AuditEvent with(String field, Object value) {
        if (value == null) {
            return this;
        }
        Map<String, Object> copy = new TreeMap<>(details);
        copy.put(field, value);
        return new AuditEvent(action, actor, copy);
    }

    /** A detail as text, or null when absent: for the indexed columns of the log. */
    public String detail(String field) {
        Object value = details.get(field);
        return value == null ? null : value.toString();
    }

    /**
     * The grant this record is about ({@code audit_log.grant_id}, what a receipt's records are found
     * by): its {@code grant} field when that is text of at most {@value #MAX_GRANT_ID} characters,
     * else null. Migration V7 reads stored records by the same rule, so the column means the same for
     * old and new rows. The bound is the grants table's: a longer text names no grant (a refusal
     * records the id as the caller sent it), and an unbounded one could exceed what an index entry
     * holds and fail the writer's whole batch.
     */
    public String grantId() {
        return details.get("grant") instanceof String grant && grant.length() <= MAX_GRANT_ID ? grant : null;
    }

    /** The dataset this record is about, for the owner's view of the log. */
    public String datasetId() {
        Object dataset = details.get("dataset");
        return dataset == null ? null : dataset.toString();
    }
}
