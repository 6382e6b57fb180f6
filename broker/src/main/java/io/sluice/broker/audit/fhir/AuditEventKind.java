package io.sluice.broker.audit.fhir;

import io.vertx.core.json.JsonObject;

/**
 * Which IHE Basic Audit Log Patterns (BALP) event an audit action is, and how each party takes part
 * in it (decision 0019): streams disclose data (Export, read), grant decisions are authorisation
 * decisions (Security Alert, AuthZ), the owner's changes are RESTful create, update and delete.
 */
enum AuditEventKind {
    /** A stream: data leaves the broker for the grant's holder (BALP PrivacyDisclosure at the source). */
    DISCLOSURE(FhirCodes.DCM_EXPORT, "R", FhirCodes.DCM_SOURCE_ROLE, FhirCodes.INFORMATION_RECIPIENT,
            FhirCodes.DISCLOSE, FhirCodes.REST_READ),
    /** A grant decided: permitted or denied (BALP AuthZ, decided by roles, organisation and the dataset's policy). */
    AUTHORISATION(FhirCodes.DCM_SECURITY_ALERT, "E", FhirCodes.AUTHORISATION_SERVER, FhirCodes.INFORMATION_RECIPIENT,
            FhirCodes.AUTHZ_ROLE),
    CREATE(FhirCodes.REST, "C", FhirCodes.DCM_DESTINATION_ROLE, FhirCodes.AUTHOR, FhirCodes.REST_CREATE),
    UPDATE(FhirCodes.REST, "U", FhirCodes.DCM_DESTINATION_ROLE, FhirCodes.AUTHOR, FhirCodes.REST_UPDATE),
    DELETE(FhirCodes.REST, "D", FhirCodes.DCM_DESTINATION_ROLE, FhirCodes.AUTHOR, FhirCodes.REST_DELETE),
    /** A request refused before it reached the action it asked for: no or a bad token, a missing role. */
    SECURITY_ALERT(FhirCodes.DCM_SECURITY_ALERT, "E", FhirCodes.DCM_DESTINATION_ROLE, FhirCodes.INFORMATION_RECIPIENT),
    /** An export of this log. */
    AUDIT_LOG_USED(FhirCodes.DCM_AUDIT_LOG_USED, "R", FhirCodes.DCM_SOURCE_ROLE, FhirCodes.INFORMATION_RECIPIENT),
    /** An action this mapping does not know yet; still one AuditEvent, so none is lost. */
    OTHER(FhirCodes.DCM_APPLICATION_ACTIVITY, "E", FhirCodes.DCM_DESTINATION_ROLE, FhirCodes.INFORMATION_RECIPIENT);

    private final JsonObject type;
    private final String action;
    private final JsonObject brokerRole;
    private final JsonObject requesterRole;
    private final JsonObject[] subtypes;

    AuditEventKind(JsonObject type, String action, JsonObject brokerRole, JsonObject requesterRole, JsonObject... subtypes) {
        this.type = type;
        this.action = action;
        this.brokerRole = brokerRole;
        this.requesterRole = requesterRole;
        this.subtypes = subtypes;
    }

    static AuditEventKind of(String action) {
        return switch (action) {
            case "stream.opened", "stream.closed", "stream.aborted", "stream.interrupted" -> DISCLOSURE;
            case "grant.issued", "grant.denied" -> AUTHORISATION;
            case "dataset.registered", "dataset.rejected" -> CREATE;
            case "policy.changed", "policy.rejected", "optout.added", "optout.rejected" -> UPDATE;
            case "dataset.withdrawn", "grant.revoked" -> DELETE;
            case "auth.failed" -> SECURITY_ALERT;
            case "audit.exported" -> AUDIT_LOG_USED;
            default -> OTHER;
        };
    }

    /** AuditEvent.type: a Coding. */
    JsonObject type() {
        return type.copy();
    }

    /** AuditEvent.action: C, R, U, D or E. */
    String action() {
        return action;
    }

    /** The broker's agent type: where data came from (Source Role ID), the server asked (Destination), the authoriser. */
    JsonObject brokerRole() {
        return brokerRole.copy();
    }

    /** The requesting user's agent type: who received information, or who authored a change. */
    JsonObject requesterRole() {
        return requesterRole.copy();
    }

    /** The standard subtypes of this kind; the mapping adds the Sluice action itself. */
    JsonObject[] subtypes() {
        JsonObject[] copies = new JsonObject[subtypes.length];
        for (int i = 0; i < subtypes.length; i++) {
            copies[i] = subtypes[i].copy();
        }
        return copies;
    }
}
