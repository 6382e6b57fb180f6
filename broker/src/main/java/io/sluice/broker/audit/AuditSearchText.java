package io.sluice.broker.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the log's free-text search ({@code GET /v1/audit?q=}) looks in: the values of a record's
 * actor (subject, organisation), dataset id, purpose, reasons (code and message), message, grant
 * and stream ids, lower-cased and one per line. Stored beside each record ({@code
 * audit_log.search_text}, filled at append time and by migration V6 for older records) so that the
 * search is one {@code LIKE} in SQL and pages stay exact.
 *
 * <p>Two ways to the same text: {@link #of(AuditEvent)} for the log's writer, from the event it is
 * about to encode (no second parse of the JSON it has just written, on the one thread every append
 * waits for), and {@link #of(String)} from a stored record, for migrations. For any event they give
 * the same text ({@code AuditSearchTextTest} holds them to it).
 *
 * <p>Values only, never field names: a search for "purpose" must not match every record that has a
 * purpose. Dataset names are not here (a record names its dataset by id; a rename must not need a
 * rewrite): the query matches them through the datasets table.
 */
public final class AuditSearchText {
    /** Between values, so that a search cannot match across the end of one value into the next. */
    static final String SEPARATOR = "\n";
    /** The record's top-level text fields searched, after the actor's, in this order. */
    private static final List<String> FIELDS = List.of("dataset", "purpose", "message", "grant", "stream");

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
        for (String field : FIELDS) {
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

    /**
     * The search text of the record the log writes for {@code event}: the same values, in the same
     * order, as {@link #of(String)} finds in that record's canonical JSON.
     */
    public static String of(AuditEvent event) {
        List<String> values = new ArrayList<>();
        add(values, event.actor().subject());
        add(values, event.actor().organisation());
        Map<String, Object> details = event.details();
        for (String field : FIELDS) {
            add(values, details.get(field));
        }
        if (details.get("reasons") instanceof List<?> reasons) {
            for (Object reason : reasons) {
                if (reason instanceof Map<?, ?> coded) {
                    add(values, coded.get("code"));
                    add(values, coded.get("message"));
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
