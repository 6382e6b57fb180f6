package io.sluice.broker.audit;

/**
 * Writes one export: its header, then each record, then its footer, as text the caller sends on
 * in chunks. One instance per export, used by one thread; a writer may keep state between records
 * (a FHIR Bundle separates its entries with commas), so it is never shared between exports.
 */
public interface AuditExportWriter {
    /** What comes before the first record; may be empty. */
    String header();

    /** One record, with whatever separates it from the record before. */
    String record(AuditEntry entry);

    /** What comes after the last record; may be empty. */
    String footer();
}
