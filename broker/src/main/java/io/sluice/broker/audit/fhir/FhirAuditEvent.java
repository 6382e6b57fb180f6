package io.sluice.broker.audit.fhir;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.AuditEntry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One audit record as a FHIR R4 AuditEvent following the IHE Basic Audit Log Patterns; the mapping
 * is decision 0019. Every AuditEvent carries the record's index and leaf hash (an entity whose
 * identifier is the leaf hash), so a FHIR copy can be tied back to the signed log and checked there.
 */
public final class FhirAuditEvent {
    /** Sluice's purposes that HL7's PurposeOfUse names too; the others keep only their Sluice code. */
    private static final Map<String, JsonObject> PURPOSE_OF_USE = Map.of(
            "medical-research", FhirCodes.coding(FhirCodes.ACT_REASON, "HRESCH", "healthcare research"),
            "clinical-research", FhirCodes.coding(FhirCodes.ACT_REASON, "CLINTRCH", "clinical trial research"),
            "public-health", FhirCodes.coding(FhirCodes.ACT_REASON, "PUBHLTH", "public health"),
            "marketing", FhirCodes.coding(FhirCodes.ACT_REASON, "HMARKT", "healthcare marketing"));

    /** Stream details that say what was disclosed, kept on the stream's entity. */
    private static final List<String> STREAM_DETAILS = List.of("rows", "rowsIn", "batches", "bytes", "sha256", "shard",
            "shards", "epoch", "failure");

    private FhirAuditEvent() {}

    /** The id (and {@code urn:uuid:} full URL) of a record's AuditEvent: a name-based UUID of its leaf hash. */
    public static String id(AuditEntry entry) {
        return UUID.nameUUIDFromBytes(entry.leafHash().getBytes(StandardCharsets.US_ASCII)).toString();
    }

    /**
     * The AuditEvent of one record.
     *
     * @param logOrigin the origin line of the log's checkpoints: the audit source every event names
     */
    public static JsonObject of(AuditEntry entry, String logOrigin) {
        requireNonNull(entry, "entry is null");
        requireNonNull(logOrigin, "logOrigin is null");
        JsonObject record = new JsonObject(entry.recordJson());
        String action = record.getString("action", "");
        AuditEventKind kind = AuditEventKind.of(action);
        JsonObject broker = new JsonObject()
                .put("identifier", new JsonObject().put("system", FhirCodes.SLUICE_AUDIT_LOG).put("value", logOrigin))
                .put("display", "Sluice broker, audit log " + logOrigin);

        JsonArray subtypes = new JsonArray();
        for (JsonObject subtype : kind.subtypes()) {
            subtypes.add(subtype);
        }
        subtypes.add(FhirCodes.coding(FhirCodes.SLUICE_ACTION, action, null));

        JsonObject event = new JsonObject()
                .put("resourceType", "AuditEvent")
                .put("id", id(entry))
                .put("type", kind.type())
                .put("subtype", subtypes)
                .put("action", kind.action())
                .put("recorded", record.getString("time"))
                .put("outcome", outcome(record.getString("outcome")));
        String description = outcomeDescription(record);
        if (description != null) {
            event.put("outcomeDesc", description);
        }
        JsonObject purpose = purpose(record.getString("purpose"));
        if (purpose != null) {
            event.put("purposeOfEvent", new JsonArray().add(purpose));
        }
        event.put("agent", agents(record, kind, broker, purpose));
        event.put("source", new JsonObject()
                .put("site", logOrigin)
                .put("observer", broker.copy())
                .put("type", new JsonArray().add(FhirCodes.APPLICATION_SERVER.copy())));
        event.put("entity", entities(entry, record));
        return event;
    }

    /**
     * DICOM's outcome codes: 0 success; 4 (minor failure) for a request refused before anything
     * happened, which the caller may correct and ask again; 8 (serious failure) for an action cut
     * short after it began, such as a stream that was aborted or interrupted with data already sent.
     */
    static String outcome(String recorded) {
        if (recorded == null) {
            return "0";
        }
        return switch (recorded) {
            case "denied", "refused", "rejected" -> "4";
            case "aborted", "interrupted" -> "8";
            default -> "0";
        };
    }

    private static String outcomeDescription(JsonObject record) {
        StringBuilder text = new StringBuilder();
        JsonArray reasons = record.getJsonArray("reasons");
        if (reasons != null) {
            for (Object reason : reasons) {
                if (reason instanceof JsonObject coded) {
                    append(text, coded.getString("code", "") + ": " + coded.getString("message", ""));
                } else if (reason != null) {
                    append(text, reason.toString());
                }
            }
        }
        if (record.getString("message") != null) {
            append(text, record.getString("message"));
        }
        return text.isEmpty() ? null : text.toString();
    }

    private static void append(StringBuilder text, String part) {
        text.append(text.isEmpty() ? "" : "; ").append(part);
    }

    /** The grant's declared purpose: Sluice's code, and HL7's PurposeOfUse where one means the same. */
    private static JsonObject purpose(String purpose) {
        if (purpose == null || purpose.isEmpty()) {
            return null;
        }
        JsonArray codings = new JsonArray().add(FhirCodes.coding(FhirCodes.SLUICE_PURPOSE, purpose, null));
        JsonObject standard = PURPOSE_OF_USE.get(purpose);
        if (standard != null) {
            codings.add(standard.copy());
        }
        return new JsonObject().put("coding", codings).put("text", purpose);
    }

    private static JsonArray agents(JsonObject record, AuditEventKind kind, JsonObject broker, JsonObject purpose) {
        JsonObject actor = record.getJsonObject("actor", new JsonObject());
        String subject = actor.getString("subject", "anonymous");
        String organisation = actor.getString("organisation", "");
        JsonObject requester = new JsonObject()
                .put("type", concept(kind.requesterRole()))
                .put("who", new JsonObject()
                        .put("identifier", new JsonObject().put("system", FhirCodes.SLUICE_SUBJECT).put("value", subject))
                        .put("display", organisation.isEmpty() ? subject : subject + " (" + organisation + ")"))
                .put("requestor", true)
                .put("name", subject);
        JsonArray roles = actor.getJsonArray("roles", new JsonArray());
        if (!roles.isEmpty()) {
            JsonArray role = new JsonArray();
            roles.forEach(r -> role.add(new JsonObject().put("text", String.valueOf(r))));
            requester.put("role", role);
        }
        if (record.getString("remote") != null) {
            requester.put("network", new JsonObject().put("address", record.getString("remote")).put("type", "2"));
        }
        if (purpose != null) {
            requester.put("purposeOfUse", new JsonArray().add(purpose.copy()));
        }
        JsonArray agents = new JsonArray().add(requester);
        if (!organisation.isEmpty()) {
            agents.add(new JsonObject()
                    .put("type", concept(FhirCodes.RESPONSIBLE_PARTY.copy()))
                    .put("who", new JsonObject()
                            .put("identifier", new JsonObject().put("system", FhirCodes.SLUICE_ORGANISATION)
                                    .put("value", organisation))
                            .put("display", organisation))
                    .put("requestor", false));
        }
        agents.add(new JsonObject()
                .put("type", concept(kind.brokerRole()))
                .put("who", broker.copy())
                .put("requestor", false));
        return agents;
    }

    private static JsonArray entities(AuditEntry entry, JsonObject record) {
        JsonArray entities = new JsonArray();
        String dataset = record.getString("dataset");
        if (dataset != null) {
            entities.add(entity(FhirCodes.SLUICE_DATASET, dataset, FhirCodes.DOMAIN_RESOURCE)
                    .put("detail", details(record, List.of("datasetVersion", "policyVersion"))));
        }
        String grant = record.getString("grant");
        if (grant != null) {
            entities.add(entity(FhirCodes.SLUICE_GRANT, grant, FhirCodes.SECURITY_RESOURCE)
                    .put("detail", details(record, List.of("project", "policyVersion"))));
        }
        String stream = record.getString("stream");
        if (stream != null) {
            entities.add(entity(FhirCodes.SLUICE_STREAM, stream, FhirCodes.JOB).put("detail", details(record, STREAM_DETAILS)));
        }
        String requestId = record.getString("requestId");
        if (requestId != null) {
            entities.add(new JsonObject()
                    .put("what", new JsonObject().put("identifier", new JsonObject().put("value", requestId)))
                    .put("type", FhirCodes.REQUEST_ID.copy()));
        }
        // The record itself in the signed log: its leaf hash identifies it, its index finds it.
        entities.add(entity(FhirCodes.SLUICE_LEAF_HASH, entry.leafHash(), FhirCodes.SECURITY_RESOURCE)
                .put("name", "Sluice audit record " + entry.index())
                .put("detail", new JsonArray().add(detail("index", Long.toString(entry.index())))));
        for (Object e : entities) {
            JsonObject entity = (JsonObject) e;
            if (entity.getJsonArray("detail") != null && entity.getJsonArray("detail").isEmpty()) {
                entity.remove("detail");
            }
        }
        return entities;
    }

    private static JsonObject entity(String system, String value, JsonObject role) {
        return new JsonObject()
                .put("what", new JsonObject().put("identifier", new JsonObject().put("system", system).put("value", value)))
                .put("type", FhirCodes.SYSTEM_OBJECT.copy())
                .put("role", role.copy());
    }

    private static JsonArray details(JsonObject record, List<String> fields) {
        JsonArray details = new JsonArray();
        for (String field : fields) {
            Object value = record.getValue(field);
            if (value != null) {
                details.add(detail(field, value.toString()));
            }
        }
        return details;
    }

    private static JsonObject detail(String type, String value) {
        return new JsonObject().put("type", type).put("valueString", value);
    }

    private static JsonObject concept(JsonObject coding) {
        return new JsonObject().put("coding", new JsonArray().add(coding));
    }
}
