package io.sluice.broker.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class JsonLogLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonLogLayout layout = new JsonLogLayout(ZoneId.of("Europe/Berlin"));

    private JsonNode line(LoggingEvent event) throws Exception {
        String text = layout.doLayout(event);
        assertThat(text).endsWith("\n");
        assertThat(text.substring(0, text.length() - 1)).as("one line per event").doesNotContain("\n", "\r");
        return JSON.readTree(text);
    }

    @Test
    void writesTheFixedFieldsThenTheContextFieldsInTheirOrder() throws Exception {
        var mdc = Map.of("stream", "st-1", "requestId", "rq-1", "actor", "lab@ai-lab", "grant", "gr-1",
                "dataset", "ds-1", "clientRequestId", "abc-123");
        JsonNode line = line(LogEvents.event(Level.INFO, "io.sluice.broker.service.StreamService",
                "stream {} completed: {} rows", null, mdc, "st-1", 42));

        assertThat(line.properties()).extracting(Map.Entry::getKey).containsExactly("time", "level", "logger",
                "message", "thread", "requestId", "clientRequestId", "actor", "dataset", "grant", "stream");
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("logger").asText()).isEqualTo("io.sluice.broker.service.StreamService");
        assertThat(line.get("message").asText()).isEqualTo("stream st-1 completed: 42 rows");
        assertThat(line.get("thread").asText()).isEqualTo("vert.x-eventloop-thread-1");
        assertThat(line.get("actor").asText()).isEqualTo("lab@ai-lab");
    }

    @Test
    void theTimeIsRfc3339WithTheZonesOffsetAndMilliseconds() throws Exception {
        JsonNode line = line(LogEvents.event(Level.WARN, "x", "m", null, Map.of()));

        // 12:03 UTC is 14:03 in Berlin in May (summer time).
        assertThat(line.get("time").asText()).isEqualTo("2026-05-01T14:03:07.123+02:00");
        assertThat(OffsetDateTime.parse(line.get("time").asText()).toInstant())
                .isEqualTo(java.time.Instant.parse("2026-05-01T12:03:07.123Z"));
        assertThat(new JsonLogLayout(ZoneId.of("UTC")).doLayout(LogEvents.event(Level.WARN, "x", "m", null, Map.of())))
                .contains("\"time\":\"2026-05-01T12:03:07.123Z\"");
    }

    @Test
    void escapesQuotesBackslashesLineBreaksAndControlCharacters() throws Exception {
        String hostile = "a \"quoted\" \\ back\r\nslash\t\u0000\u0007\u001b[31m end\u2028";
        JsonNode line = line(LogEvents.event(Level.ERROR, "x", "refused: {}", null, Map.of("requestId", hostile),
                hostile));

        assertThat(line.get("message").asText()).isEqualTo("refused: " + hostile);
        assertThat(line.get("requestId").asText()).isEqualTo(hostile);
    }

    @Test
    void aStackTraceIsOneStringFieldOnTheSameLine() throws Exception {
        IllegalStateException failure = new IllegalStateException("outer\nsecond line",
                new java.io.IOException("inner cause"));
        JsonNode line = line(LogEvents.event(Level.ERROR, "x", "request failed", failure, Map.of()));

        String error = line.get("error").asText();
        assertThat(error).startsWith("java.lang.IllegalStateException: outer\nsecond line")
                .contains("\tat io.sluice.broker.logging.JsonLogLayoutTest.aStackTraceIsOneStringFieldOnTheSameLine")
                .contains("Caused by: java.io.IOException: inner cause");
        assertThat(line.properties()).extracting(Map.Entry::getKey).last().isEqualTo("error");
    }

    @Test
    void keyValuePairsAreFieldsAndKeepTheirJsonTypes() throws Exception {
        LoggingEvent event = LogEvents.event(Level.INFO, "sluice.access", "GET /health 200", null, Map.of("requestId", "rq-1"));
        event.addKeyValuePair(new KeyValuePair("status", 200));
        event.addKeyValuePair(new KeyValuePair("bytes", 12_345_678_901L));
        event.addKeyValuePair(new KeyValuePair("completed", false));
        event.addKeyValuePair(new KeyValuePair("remote", "127.0.0.1"));
        event.addKeyValuePair(new KeyValuePair("absent", null));
        // A pair named like a fixed field is left out, never written twice.
        event.addKeyValuePair(new KeyValuePair("message", "spoofed"));
        JsonNode line = line(event);

        assertThat(line.get("status").isInt()).isTrue();
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("bytes").asLong()).isEqualTo(12_345_678_901L);
        assertThat(line.get("completed").isBoolean()).isTrue();
        assertThat(line.get("remote").asText()).isEqualTo("127.0.0.1");
        assertThat(line.get("absent").isNull()).isTrue();
        assertThat(line.get("message").asText()).isEqualTo("GET /health 200");
        assertThat(layout.doLayout(event)).containsOnlyOnce("\"message\"");
    }

    @Test
    void aContextFieldNamedLikeAFixedFieldIsLeftOut() throws Exception {
        JsonNode line = line(LogEvents.event(Level.INFO, "x", "real", null, Map.of("level", "FATAL", "custom", "kept")));

        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("custom").asText()).isEqualTo("kept");
    }
}
