package io.sluice.broker.audit.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.audit.AuditEntry;
import io.sluice.broker.audit.AuditExportFormat;
import io.sluice.broker.audit.AuditExportWriter;
import io.sluice.broker.audit.tlog.MerkleHash;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every action the log records becomes a valid R4 AuditEvent (HAPI's instance validator, no
 * errors) of the BALP event, action code and outcome decision 0019 gives it; also the actions a
 * test broker cannot easily produce (an aborted or interrupted stream, a rejected registration).
 */
class FhirAuditEventTest {
    private static final String ORIGIN = "sluice.test/audit";

    @ParameterizedTest
    @CsvSource({
        "stream.opened,      opened,      http://dicom.nema.org/resources/ontology/DCM,         110106,   R, 0",
        "stream.closed,      completed,   http://dicom.nema.org/resources/ontology/DCM,         110106,   R, 0",
        "stream.aborted,     aborted,     http://dicom.nema.org/resources/ontology/DCM,         110106,   R, 8",
        "stream.interrupted, interrupted, http://dicom.nema.org/resources/ontology/DCM,         110106,   R, 8",
        "grant.issued,       issued,      http://dicom.nema.org/resources/ontology/DCM,         110113,   E, 0",
        "grant.denied,       denied,      http://dicom.nema.org/resources/ontology/DCM,         110113,   E, 4",
        "grant.revoked,      revoked,     http://terminology.hl7.org/CodeSystem/audit-event-type, rest,   D, 0",
        "dataset.registered, registered,  http://terminology.hl7.org/CodeSystem/audit-event-type, rest,   C, 0",
        "dataset.rejected,   rejected,    http://terminology.hl7.org/CodeSystem/audit-event-type, rest,   C, 4",
        "policy.changed,     changed,     http://terminology.hl7.org/CodeSystem/audit-event-type, rest,   U, 0",
        "optout.added,       added,       http://terminology.hl7.org/CodeSystem/audit-event-type, rest,   U, 0",
        "dataset.withdrawn,  withdrawn,   http://terminology.hl7.org/CodeSystem/audit-event-type, rest,   D, 0",
        "auth.failed,        refused,     http://dicom.nema.org/resources/ontology/DCM,         110113,   E, 4",
        "audit.exported,     ,            http://dicom.nema.org/resources/ontology/DCM,         110101,   R, 0",
        "something.new,      ,            http://dicom.nema.org/resources/ontology/DCM,         110100,   E, 0"})
    void everyActionIsAValidAuditEventOfItsKind(String action, String outcome, String typeSystem, String typeCode,
            String actionCode, String outcomeCode) {
        AuditEntry entry = entry(41, record(41, action, outcome));
        String json = FhirAuditEvent.of(entry, ORIGIN).encode();

        assertThat(FhirR4.errors(json)).as(json).isEmpty();
        AuditEvent event = FhirR4.CONTEXT.newJsonParser().parseResource(AuditEvent.class, json);
        assertThat(event.getType().getSystem()).isEqualTo(typeSystem);
        assertThat(event.getType().getCode()).isEqualTo(typeCode);
        assertThat(event.getAction().toCode()).isEqualTo(actionCode);
        assertThat(event.getOutcome().toCode()).isEqualTo(outcomeCode);
        assertThat(event.getSubtype()).anySatisfy(s -> {
            assertThat(s.getSystem()).isEqualTo("https://sluice.dev/ns/audit-action");
            assertThat(s.getCode()).isEqualTo(action);
        });
        assertThat(event.getRecorded().toInstant()).isEqualTo(Instant.parse("2026-03-01T10:15:30.123456Z").truncatedTo(
                java.time.temporal.ChronoUnit.MILLIS));
        AuditEvent.AuditEventEntityComponent logRecord = event.getEntity().stream()
                .filter(e -> "https://sluice.dev/ns/audit-leaf-hash".equals(e.getWhat().getIdentifier().getSystem()))
                .findFirst().orElseThrow();
        assertThat(logRecord.getWhat().getIdentifier().getValue()).isEqualTo(entry.leafHash());
        assertThat(logRecord.getDetail()).singleElement().satisfies(d -> {
            assertThat(d.getType()).isEqualTo("index");
            assertThat(((StringType) d.getValue()).getValue()).isEqualTo("41");
        });
    }

    @Test
    void aStreamNamesWhoReceivedWhatForWhichPurposeAndTheBrokerAsTheSource() {
        AuditEntry entry = entry(7, record(7, "stream.closed", "completed"));
        AuditEvent event = FhirR4.CONTEXT.newJsonParser().parseResource(AuditEvent.class,
                FhirAuditEvent.of(entry, ORIGIN).encode());

        assertThat(event.getAgent()).hasSize(3);
        AuditEvent.AuditEventAgentComponent user = event.getAgentFirstRep();
        assertThat(user.getRequestor()).isTrue();
        assertThat(user.getType().getCodingFirstRep().getCode()).isEqualTo("IRCP");
        assertThat(user.getWho().getIdentifier().getValue()).isEqualTo("lab-7");
        assertThat(user.getPurposeOfUseFirstRep().getCoding()).extracting(c -> c.getSystem() + "#" + c.getCode())
                .containsExactly("https://sluice.dev/ns/purpose#medical-research",
                        "http://terminology.hl7.org/CodeSystem/v3-ActReason#HRESCH");
        assertThat(event.getAgent().get(1).getWho().getIdentifier().getValue()).isEqualTo("ai-lab");
        AuditEvent.AuditEventAgentComponent broker = event.getAgent().get(2);
        assertThat(broker.getRequestor()).isFalse();
        assertThat(broker.getType().getCodingFirstRep().getCode()).isEqualTo("110153");
        assertThat(broker.getWho().getIdentifier().getValue()).isEqualTo(ORIGIN);
        assertThat(event.getSource().getSite()).isEqualTo(ORIGIN);
        assertThat(event.getSource().getObserver().getIdentifier().getValue()).isEqualTo(ORIGIN);
        assertThat(event.getEntity()).extracting(e -> e.getWhat().getIdentifier().getSystem() + "="
                        + e.getWhat().getIdentifier().getValue())
                .containsExactly("https://sluice.dev/ns/dataset=ds-1", "https://sluice.dev/ns/grant=gr-1",
                        "https://sluice.dev/ns/stream=st-1", "null=rq-1",
                        "https://sluice.dev/ns/audit-leaf-hash=" + entry.leafHash());
        assertThat(event.getEntity().get(2).getDetail()).extracting(d -> d.getType() + "=" + d.getValue().primitiveValue())
                .contains("rows=1000", "bytes=65536", "sha256=ab12");
        assertThat(event.getEntity().getFirst().getDetail()).extracting(d -> d.getType() + "=" + d.getValue().primitiveValue())
                .containsExactly("datasetVersion=v-1", "policyVersion=2");
    }

    @Test
    void aDenialSaysWhyInItsOutcomeDescription() {
        AuditEvent event = FhirR4.CONTEXT.newJsonParser().parseResource(AuditEvent.class, FhirAuditEvent.of(entry(3,
                "{\"action\":\"grant.denied\",\"actor\":{\"organisation\":\"ai-lab\",\"roles\":[],\"subject\":\"lab\"},"
                        + "\"dataset\":\"ds-1\",\"index\":3,\"outcome\":\"denied\",\"purpose\":\"marketing\",\"reasons\":"
                        + "[{\"code\":\"PURPOSE_NOT_PERMITTED\",\"message\":\"marketing is not permitted\"}],"
                        + "\"time\":\"2026-03-01T10:15:30Z\"}"), ORIGIN).encode());

        assertThat(event.getOutcomeDesc()).isEqualTo("PURPOSE_NOT_PERMITTED: marketing is not permitted");
        assertThat(event.getPurposeOfEventFirstRep().getText()).isEqualTo("marketing");
    }

    @Test
    void aBundleWithNoRecordsIsStillAValidBundle() {
        AuditExportWriter writer = AuditExportFormat.FHIR.writer(new AuditExportFormat.Export(5, ORIGIN,
                Instant.parse("2026-03-01T10:15:30Z")));
        String json = writer.header() + writer.footer();

        assertThat(FhirR4.errors(json)).as(json).isEmpty();
        Bundle bundle = FhirR4.parseBundle(json);
        assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.COLLECTION);
        assertThat(bundle.getEntry()).isEmpty();
        assertThat(bundle.getIdentifier().getValue()).isEqualTo("5");
    }

    @Test
    void aBundleOfSeveralRecordsIsValidAndKeepsTheirOrder() {
        AuditExportWriter writer = AuditExportFormat.FHIR.writer(new AuditExportFormat.Export(3, ORIGIN,
                Instant.parse("2026-03-01T10:15:30Z")));
        StringBuilder json = new StringBuilder(writer.header());
        java.util.List<AuditEntry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            entries.add(entry(i, record(i, i == 1 ? "grant.denied" : "stream.closed", i == 1 ? "denied" : "completed")));
            json.append(writer.record(entries.getLast()));
        }
        json.append(writer.footer());

        assertThat(FhirR4.errors(json.toString())).isEmpty();
        Bundle bundle = FhirR4.parseBundle(json.toString());
        assertThat(bundle.getEntry()).hasSize(3);
        assertThat(bundle.getEntry()).extracting(e -> ((AuditEvent) e.getResource()).getOutcome().toCode())
                .containsExactly("0", "4", "0");
        assertThat(bundle.getEntry()).extracting(Bundle.BundleEntryComponent::getFullUrl)
                .containsExactlyElementsOf(entries.stream().map(e -> "urn:uuid:" + FhirAuditEvent.id(e)).toList())
                .doesNotHaveDuplicates();
    }

    private static String record(long index, String action, String outcome) {
        return "{\"action\":\"" + action + "\",\"actor\":{\"organisation\":\"ai-lab\",\"roles\":[\"data-consumer\"],"
                + "\"subject\":\"lab-7\"},\"batches\":4,\"bytes\":65536,\"dataset\":\"ds-1\",\"datasetVersion\":\"v-1\","
                + "\"epoch\":0,\"grant\":\"gr-1\",\"index\":" + index + ","
                + (outcome == null ? "" : "\"outcome\":\"" + outcome + "\",")
                + "\"policyVersion\":2,\"prev\":\"00\",\"purpose\":\"medical-research\",\"remote\":\"127.0.0.1:5000\","
                + "\"requestId\":\"rq-1\",\"rows\":1000,\"sha256\":\"ab12\",\"shard\":0,\"shards\":1,\"stream\":\"st-1\","
                + "\"time\":\"2026-03-01T10:15:30.123456Z\"}";
    }

    private static AuditEntry entry(long index, String json) {
        String leafHash = HexFormat.of().formatHex(MerkleHash.leaf(json.getBytes(StandardCharsets.UTF_8)));
        return new AuditEntry(index, json, leafHash);
    }
}
