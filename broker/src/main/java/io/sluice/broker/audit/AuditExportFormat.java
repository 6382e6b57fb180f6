package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.fhir.FhirBundleWriter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * How an audit export is written. JSON lines are the records' exact leaf bytes, one per line, so
 * an export can be verified offline against a signed checkpoint; CSV is for spreadsheets; FHIR is
 * an R4 Bundle of AuditEvent resources for a hospital's audit repository (decision 0019).
 */
public enum AuditExportFormat {
    JSONL("application/x-ndjson", "jsonl"),
    CSV("text/csv; charset=utf-8", "csv"),
    FHIR("application/fhir+json; charset=utf-8", "fhir.json");

    private static final List<String> CSV_COLUMNS = List.of("index", "time", "action", "actor.subject",
            "actor.organisation", "dataset", "datasetVersion", "policyVersion", "purpose", "grant", "stream",
            "outcome", "rows", "batches", "bytes", "sha256", "reasons", "message", "requestId");

    private final String contentType;
    private final String extension;

    AuditExportFormat(String contentType, String extension) {
        this.contentType = contentType;
        this.extension = extension;
    }

    /**
     * What a writer may need to know about the export it writes.
     *
     * @param treeSize the size of the checkpoint signed for this export: every record in it has a smaller index
     * @param logOrigin the origin line of the log's checkpoints, which names the log
     * @param exportedAt when the export began
     */
    public record Export(long treeSize, String logOrigin, Instant exportedAt) {
        public Export {
            requireNonNull(logOrigin, "logOrigin is null");
            requireNonNull(exportedAt, "exportedAt is null");
        }
    }

    public static AuditExportFormat parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "format must be jsonl, csv or fhir, was '" + name + "'");
        }
    }

    public String contentType() {
        return contentType;
    }

    public String extension() {
        return extension;
    }

    /** A writer for one export in this format. */
    public AuditExportWriter writer(Export export) {
        requireNonNull(export, "export is null");
        return switch (this) {
            case JSONL -> new LineWriter("") {
                @Override
                public String record(AuditEntry entry) {
                    return entry.recordJson() + "\n";
                }
            };
            case CSV -> new LineWriter(String.join(",", CSV_COLUMNS) + ",leafHash\r\n") {
                @Override
                public String record(AuditEntry entry) {
                    return csvLine(entry);
                }
            };
            case FHIR -> new FhirBundleWriter(export);
        };
    }

    /** A format of one line per record, with no state between records. */
    private abstract static class LineWriter implements AuditExportWriter {
        private final String header;

        LineWriter(String header) {
            this.header = header;
        }

        @Override
        public String header() {
            return header;
        }

        @Override
        public String footer() {
            return "";
        }
    }

    private static String csvLine(AuditEntry entry) {
        JsonObject record = new JsonObject(entry.recordJson());
        StringBuilder line = new StringBuilder(256);
        for (String column : CSV_COLUMNS) {
            Object value = column.startsWith("actor.")
                    ? record.getJsonObject("actor", new JsonObject()).getValue(column.substring(6))
                    : record.getValue(column);
            line.append(csv(value)).append(',');
        }
        return line.append(entry.leafHash()).append("\r\n").toString();
    }

    /** RFC 4180 quoting; cells that a spreadsheet would run as a formula are defused. */
    private static String csv(Object value) {
        if (value == null) {
            return "";
        }
        String text = value instanceof JsonArray array ? array.encode() : value.toString();
        if (!text.isEmpty() && "=+-@".indexOf(text.charAt(0)) >= 0 && !(value instanceof Number)) {
            text = "'" + text;
        }
        if (text.indexOf(',') >= 0 || text.indexOf('"') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }
}
