package io.sluice.broker.audit.fhir;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.AuditEntry;
import io.sluice.broker.audit.AuditExportFormat;
import io.sluice.broker.audit.AuditExportWriter;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * An audit export as a FHIR R4 Bundle of type {@code collection}, written an entry at a time: the
 * Bundle's opening, then one AuditEvent per record, then its closing brackets. Nothing holds more
 * than one record, so an export of the whole log needs no more memory than one of ten records.
 * Not thread-safe: one export, one thread.
 */
public final class FhirBundleWriter implements AuditExportWriter {
    private final AuditExportFormat.Export export;
    private boolean first = true;

    public FhirBundleWriter(AuditExportFormat.Export export) {
        this.export = requireNonNull(export, "export is null");
    }

    @Override
    public String header() {
        // Each export ends at a tree size of its own (its audit.exported record is the last below it), so the
        // origin and that size name one export: the same export downloaded twice gets the same Bundle id.
        String id = UUID.nameUUIDFromBytes((export.logOrigin() + "\n" + export.treeSize()).getBytes(StandardCharsets.UTF_8))
                .toString();
        String opening = new JsonObject()
                .put("resourceType", "Bundle")
                .put("id", id)
                .put("identifier", new JsonObject().put("system", FhirCodes.SLUICE_TREE_SIZE)
                        .put("value", Long.toString(export.treeSize())))
                .put("type", "collection")
                .put("timestamp", export.exportedAt().toString())
                .encode();
        // Left open: FHIR allows no empty array, so "entry" starts with the first record, if any.
        return opening.substring(0, opening.length() - 1);
    }

    @Override
    public String record(AuditEntry entry) {
        String separator = first ? ",\"entry\":[\n" : ",\n";
        first = false;
        return separator + new JsonObject()
                .put("fullUrl", "urn:uuid:" + FhirAuditEvent.id(entry))
                .put("resource", FhirAuditEvent.of(entry, export.logOrigin()))
                .encode();
    }

    @Override
    public String footer() {
        return first ? "}\n" : "\n]}\n";
    }
}
