package io.sluice.broker.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextLogLayoutTest {
    private final TextLogLayout layout = new TextLogLayout(ZoneId.of("America/New_York"));

    @Test
    void aLineHasDateTimeZoneLevelThreadLoggerMessageThenTheContextFields() {
        String line = layout.doLayout(LogEvents.event(Level.WARN, "io.sluice.broker.http.ErrorHandler",
                "request {} failed", null, Map.of("actor", "lab@ai-lab", "requestId", "rq-1", "zz", "other"), "rq-1"));

        assertThat(line).isEqualTo("2026-05-01T08:03:07.123-04:00 WARN  [vert.x-eventloop-thread-1]"
                + " io.sluice.broker.http.ErrorHandler - request rq-1 failed requestId=rq-1 actor=lab@ai-lab zz=other\n");
    }

    @Test
    void utcIsWrittenZ() {
        assertThat(new TextLogLayout(ZoneId.of("UTC")).doLayout(LogEvents.event(Level.INFO, "x", "m", null, Map.of())))
                .startsWith("2026-05-01T12:03:07.123Z INFO  [");
    }

    @Test
    void lineBreaksInTheMessageAndOddContextValuesCannotStartAnotherLine() {
        String line = layout.doLayout(LogEvents.event(Level.INFO, "x", "a\r\nb\u001b", null,
                Map.of("actor", "two words=\"x\"\n")));

        assertThat(line).endsWith(" - a\\r\\nb\\u001b actor=\"two words=\\\"x\\\"\\n\"\n");
        assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n", "\r");
    }

    @Test
    void aStackTraceFollowsTheLine() {
        String text = layout.doLayout(LogEvents.event(Level.ERROR, "x", "failed", new IllegalStateException("why"),
                Map.of("requestId", "rq-1")));

        assertThat(text).startsWith("2026-05-01T08:03:07.123-04:00 ERROR [vert.x-eventloop-thread-1] x - failed requestId=rq-1\n"
                + "\tjava.lang.IllegalStateException: why\n\tat ");
    }

    @Test
    void noLineOfAStackTraceCanReadAsAnotherEvent() {
        String forged = "2026-05-01T08:03:07.124-04:00 INFO  [main] sluice.access - GET /admin 200";
        String text = layout.doLayout(LogEvents.event(Level.ERROR, "x", "failed",
                new IllegalStateException("bad input\n" + forged + "\u2028more\u0085"), Map.of()));

        String[] lines = text.split("\n");
        assertThat(lines[0]).startsWith("2026-05-01T08:03:07.123-04:00 ERROR");
        assertThat(java.util.Arrays.stream(lines).skip(1)).allMatch(line -> line.startsWith("\t"));
        assertThat(text).contains("\t" + forged + "\\u2028more\\u0085\n");
    }
}
