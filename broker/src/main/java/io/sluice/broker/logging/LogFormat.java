package io.sluice.broker.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import java.util.Locale;

/** How the application log writes each event: a line of text for people, or a JSON object per line for machines. */
public enum LogFormat {
    TEXT,
    JSON;

    /** The name on the command line and in {@code sluice.log.format}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LogFormat parse(String name) {
        for (LogFormat format : values()) {
            if (format.wireName().equalsIgnoreCase(name.strip())) {
                return format;
            }
        }
        throw new IllegalArgumentException("the log format must be text or json, was '" + name + "'");
    }

    LayoutBase<ILoggingEvent> newLayout() {
        return switch (this) {
            case TEXT -> new TextLogLayout();
            case JSON -> new JsonLogLayout();
        };
    }
}
