package io.sluice.broker.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * The JSON log format: exactly one JSON object per line (JSON Lines), whatever the message or the
 * stack trace holds:
 *
 * <pre>
 * {"time":"2026-05-01T14:03:07.123+02:00","level":"INFO","logger":"sluice.access","message":"GET /v1/catalog 200",
 *  "thread":"vert.x-eventloop-thread-1","requestId":"rq-...","actor":"lab@ai-lab","status":200,...}
 * </pre>
 *
 * {@code time} is RFC 3339 with the zone's offset and milliseconds; then {@code level},
 * {@code logger}, {@code message}, {@code thread}; then the context fields ({@link LogFields},
 * then any other MDC key), each only when present; then the event's SLF4J key-value pairs (numbers
 * and booleans stay JSON numbers and booleans); last {@code error}, the stack trace as one string,
 * when the event carries a throwable. A context field or pair named like one of the fixed fields is
 * left out rather than written twice. Quotes, backslashes and control characters are escaped by
 * Jackson, so a line break in a message never breaks the line.
 */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final Set<String> FIXED = Set.of("time", "level", "logger", "message", "thread", "error");

    private final LogTime time;

    public JsonLogLayout() {
        this(ZoneId.systemDefault());
    }

    JsonLogLayout(ZoneId zone) {
        this.time = new LogTime(zone);
    }

    @Override
    public String getContentType() {
        return "application/jsonl";
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringWriter line = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(line)) {
            json.writeStartObject();
            json.writeStringField("time", time.format(event.getInstant()));
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("message", event.getFormattedMessage());
            json.writeStringField("thread", event.getThreadName());
            for (Map.Entry<String, String> field : ContextFields.of(event)) {
                if (!FIXED.contains(field.getKey())) {
                    json.writeStringField(field.getKey(), field.getValue());
                }
            }
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs != null) {
                for (KeyValuePair pair : pairs) {
                    if (pair.key != null && !FIXED.contains(pair.key)) {
                        json.writeFieldName(pair.key);
                        writeValue(json, pair.value);
                    }
                }
            }
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                json.writeStringField("error", ThrowableProxyUtil.asString(thrown));
            }
            json.writeEndObject();
        } catch (IOException e) {
            // A StringWriter does not fail; Jackson declares it anyway.
            throw new UncheckedIOException(e);
        }
        return line.append('\n').toString();
    }

    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case Integer i -> json.writeNumber(i);
            case Long l -> json.writeNumber(l);
            case Double d when Double.isFinite(d) -> json.writeNumber(d);
            case Boolean b -> json.writeBoolean(b);
            default -> json.writeString(value.toString());
        }
    }
}
