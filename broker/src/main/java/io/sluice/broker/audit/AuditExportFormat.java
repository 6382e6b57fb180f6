package io.sluice.broker.audit;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/**
 * How an audit export is written. JSON lines are the records' exact leaf bytes, one per line, so
 * an export can be verified offline against a signed checkpoint; CSV is for spreadsheets.
 */
public enum AuditExportFormat {
    JSONL("application/x-ndjson", "jsonl"),
    CSV("text/csv; charset=utf-8", "csv");

    private static final List<String> CSV_COLUMNS = List.of("index", "time", "action", "actor.subject",
            "actor.organisation", "dataset", "datasetVersion", "policyVersion", "purpose", "grant", "stream",
            "outcome", "rows", "batches", "bytes", "sha256", "reasons", "message", "requestId");

    private final String contentType;
    private final String extension;

    AuditExportFormat(String contentType, String extension) {
        this.contentType = contentType;
        this.extension = extension;
    }

    public static AuditExportFormat parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "format must be jsonl or csv, was '" + name + "'");
        }
    }

    public String contentType() {
        return contentType;
    }

    public String extension() {
        return extension;
    }

    public String header() {
        return this == CSV ? String.join(",", CSV_COLUMNS) + ",leafHash\r\n" : "";
    }

    public String line(AuditEntry entry) {
        if (this == JSONL) {
            return entry.recordJson() + "\n";
        }
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
