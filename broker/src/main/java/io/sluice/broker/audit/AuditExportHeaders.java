package io.sluice.broker.audit;

/**
 * The response headers of {@code GET /v1/audit/export}, named once for the route that sends them
 * and the CLI that reads them.
 */
public final class AuditExportHeaders {
    /** The tree size the export ends at: its own {@code audit.exported} record is the last below it. */
    public static final String TREE_SIZE = "Sluice-Tree-Size";
    /** The export's checkpoint note, signed by the answering broker at {@link #TREE_SIZE}, in standard base64 (a note has line breaks). */
    public static final String CHECKPOINT = "Sluice-Audit-Checkpoint";
    /** The verifier key of the broker that signed {@link #CHECKPOINT}, as {@code GET /v1/audit/public-key} serves it. */
    public static final String KEY = "Sluice-Audit-Key";
    /**
     * {@value #WHOLE_LOG} when the export holds every record below {@link #TREE_SIZE}, {@value #SUBSET}
     * when a filter or a data owner's view left records out: only a whole log can be checked against
     * the checkpoint offline.
     */
    public static final String SCOPE = "Sluice-Export-Scope";
    public static final String WHOLE_LOG = "log";
    public static final String SUBSET = "subset";

    private AuditExportHeaders() {}
}
