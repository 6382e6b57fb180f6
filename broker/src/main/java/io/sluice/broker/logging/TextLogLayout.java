package io.sluice.broker.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.time.ZoneId;
import java.util.Map;

/**
 * The text log format: one line per event, for people, then the stack trace if there is one:
 *
 * <pre>
 * 2026-05-01T14:03:07.123+02:00 WARN  [vert.x-eventloop-thread-1] io.sluice.broker.http.ErrorHandler - message requestId=rq-... actor=lab@ai-lab
 * </pre>
 *
 * The context fields ({@link LogFields}, then any other MDC key) follow the message as
 * {@code key=value}; a value with spaces, quotes or control characters is written as a JSON
 * string. Control characters in the message are escaped ({@code \n}, {@code \r}, ...), so that
 * nothing a request carries into a message can start a line that looks like another event.
 * SLF4J key-value pairs are left to the JSON format: a text message already says them.
 */
public final class TextLogLayout extends LayoutBase<ILoggingEvent> {
    private final LogTime time;

    public TextLogLayout() {
        this(ZoneId.systemDefault());
    }

    TextLogLayout(ZoneId zone) {
        this.time = new LogTime(zone);
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(160);
        line.append(time.format(event.getInstant())).append(' ');
        String level = event.getLevel().toString();
        line.append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
        line.append('[').append(event.getThreadName()).append("] ");
        line.append(event.getLoggerName()).append(" - ");
        appendEscaped(line, event.getFormattedMessage());
        for (Map.Entry<String, String> field : ContextFields.of(event)) {
            line.append(' ').append(field.getKey()).append('=');
            appendValue(line, field.getValue());
        }
        line.append('\n');
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            // Every line of a trace is indented and escaped, so that nothing an exception's message
            // quotes (request text, a source's error) can start a line that reads as another event.
            for (String traceLine : ThrowableProxyUtil.asString(thrown).split("\r?\n")) {
                line.append('\t');
                appendEscaped(line, traceLine.startsWith("\t") ? traceLine.substring(1) : traceLine);
                line.append('\n');
            }
        }
        return line.toString();
    }

    private static void appendEscaped(StringBuilder line, String message) {
        if (message == null) {
            return;
        }
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            switch (c) {
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append('\t');
                default -> {
                    // C0 and C1 controls, and the Unicode line and paragraph separators some readers break on.
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
    }

    private static void appendValue(StringBuilder line, String value) {
        if (!value.isEmpty() && value.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"')) {
            line.append(value);
        } else {
            line.append('"').append(JsonStringEncoder.getInstance().quoteAsString(value)).append('"');
        }
    }
}
