package io.sluice.broker.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the log's free-text search ({@code GET /v1/audit?q=}) looks in: the values of a record's
 * actor (subject, organisation), dataset id, purpose, reasons (code and message), message, grant
 * and stream ids, lower-cased and one per line. Stored beside each record ({@code
 * audit_log.search_text}, filled at append time and by migration V6 for older records) so that the
 * search is one {@code LIKE} in SQL and pages stay exact.
 *
 * <p>Values only, never field names: a search for "purpose" must not match every record that has a
 * purpose. Dataset names are not here (a record names its dataset by id; a rename must not need a
 * rewrite): the query matches them through the datasets table.
 */
public final class AuditSearchText {
    /** Between values, so that a search cannot match across the end of one value into the next. */
    static final String SEPARATOR = "\n";

    private AuditSearchText() {}

    /**
     * The search text of a stored record (its canonical JSON); empty for text that is no JSON object
     * (a record altered in the database: the verifier reports it, the search need not find it).
     */
    public static String of(String recordJson) {
        JsonObject record;
        try {
            record = new JsonObject(recordJson);
        } catch (DecodeException | ClassCastException e) {
            return "";
        }
        List<String> values = new ArrayList<>();
        if (record.getValue("actor") instanceof JsonObject actor) {
            add(values, actor.getValue("subject"));
            add(values, actor.getValue("organisation"));
        }
        for (String field : List.of("dataset", "purpose", "message", "grant", "stream")) {
            add(values, record.getValue(field));
        }
        if (record.getValue("reasons") instanceof JsonArray reasons) {
            for (Object reason : reasons) {
                if (reason instanceof JsonObject coded) {
                    add(values, coded.getValue("code"));
                    add(values, coded.getValue("message"));
                } else {
                    add(values, reason);
                }
            }
        }
        return String.join(SEPARATOR, values).toLowerCase(Locale.ROOT);
    }

    /** The search text as {@code LIKE ? ESCAPE '\'} must be given it: lower-cased, line breaks as values have them, its wildcards escaped, inside '%'. */
    static String likePattern(String text) {
        String plain = text.replace(SEPARATOR, " ").toLowerCase(Locale.ROOT);
        return "%" + plain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }

    private static void add(List<String> values, Object value) {
        if (value instanceof String text && !text.isEmpty()) {
            values.add(text.replace(SEPARATOR, " "));
        }
    }
}
