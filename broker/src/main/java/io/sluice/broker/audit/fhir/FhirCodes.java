package io.sluice.broker.audit.fhir;

import io.vertx.core.json.JsonObject;

/** The code systems and codes the AuditEvent export uses: FHIR R4, DICOM, HL7 v3, IHE BALP, and Sluice's own. */
final class FhirCodes {
    static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
    static final String AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    static final String RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction";
    static final String LIFECYCLE = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
    static final String BALP_AUTHZ = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType";
    static final String BALP_ENTITY_TYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
    static final String PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    static final String SECURITY_ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
    static final String SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type";
    static final String ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    static final String OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
    static final String ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    /** Sluice's own identifier systems and code systems, under the namespace its policies already use. */
    static final String SLUICE = "https://sluice.dev/ns/";
    static final String SLUICE_ACTION = SLUICE + "audit-action";
    static final String SLUICE_PURPOSE = SLUICE + "purpose";
    static final String SLUICE_SUBJECT = SLUICE + "subject";
    static final String SLUICE_ORGANISATION = SLUICE + "organisation";
    static final String SLUICE_AUDIT_LOG = SLUICE + "audit-log";
    static final String SLUICE_LEAF_HASH = SLUICE + "audit-leaf-hash";
    static final String SLUICE_TREE_SIZE = SLUICE + "audit-tree-size";
    static final String SLUICE_DATASET = SLUICE + "dataset";
    static final String SLUICE_GRANT = SLUICE + "grant";
    static final String SLUICE_STREAM = SLUICE + "stream";

    static final JsonObject DCM_EXPORT = coding(DCM, "110106", "Export");
    static final JsonObject DCM_SECURITY_ALERT = coding(DCM, "110113", "Security Alert");
    static final JsonObject DCM_AUDIT_LOG_USED = coding(DCM, "110101", "Audit Log Used");
    static final JsonObject DCM_APPLICATION_ACTIVITY = coding(DCM, "110100", "Application Activity");
    static final JsonObject DCM_SOURCE_ROLE = coding(DCM, "110153", "Source Role ID");
    static final JsonObject DCM_DESTINATION_ROLE = coding(DCM, "110152", "Destination Role ID");
    static final JsonObject REST = coding(AUDIT_EVENT_TYPE, "rest", "Restful Operation");
    static final JsonObject REST_READ = coding(RESTFUL_INTERACTION, "read", "read");
    static final JsonObject REST_CREATE = coding(RESTFUL_INTERACTION, "create", "create");
    static final JsonObject REST_UPDATE = coding(RESTFUL_INTERACTION, "update", "update");
    static final JsonObject REST_DELETE = coding(RESTFUL_INTERACTION, "delete", "delete");
    static final JsonObject DISCLOSE = coding(LIFECYCLE, "disclose", "Disclose Record Lifecycle Event");
    static final JsonObject AUTHZ_ROLE = coding(BALP_AUTHZ, "AuthZ-Role", "Authorization Decision using only Roles");
    static final JsonObject INFORMATION_RECIPIENT = coding(PARTICIPATION_TYPE, "IRCP", "information recipient");
    static final JsonObject AUTHOR = coding(PARTICIPATION_TYPE, "AUT", "author (originator)");
    static final JsonObject RESPONSIBLE_PARTY = coding(PARTICIPATION_TYPE, "RESP", "responsible party");
    static final JsonObject AUTHORISATION_SERVER = coding(SECURITY_ROLE_TYPE, "authserver", "authorization server");
    static final JsonObject APPLICATION_SERVER = coding(SOURCE_TYPE, "4", "Application Server");
    static final JsonObject SYSTEM_OBJECT = coding(ENTITY_TYPE, "2", "System Object");
    static final JsonObject DOMAIN_RESOURCE = coding(OBJECT_ROLE, "4", "Domain Resource");
    static final JsonObject SECURITY_RESOURCE = coding(OBJECT_ROLE, "13", "Security Resource");
    static final JsonObject JOB = coding(OBJECT_ROLE, "20", "Job");
    static final JsonObject REQUEST_ID = coding(BALP_ENTITY_TYPE, "XrequestId",
            "transport specific unique identifier where http X-Request-Id is used");

    private FhirCodes() {}

    static JsonObject coding(String system, String code, String display) {
        JsonObject coding = new JsonObject().put("system", system).put("code", code);
        return display == null ? coding : coding.put("display", display);
    }
}
