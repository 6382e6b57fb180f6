package io.sluice.broker.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Instant;
import java.util.Map;

/** Logging events as Logback makes them, with the fields the layouts read set by hand. */
final class LogEvents {
    private static final LoggerContext CONTEXT = new LoggerContext();

    private LogEvents() {}

    static LoggingEvent event(Level level, String logger, String message, Throwable thrown, Map<String, String> mdc,
            Object... arguments) {
        LoggingEvent event = new LoggingEvent(LogEvents.class.getName(), CONTEXT.getLogger(logger), level, message,
                thrown, arguments);
        event.setInstant(Instant.parse("2026-05-01T12:03:07.123456Z"));
        event.setThreadName("vert.x-eventloop-thread-1");
        event.setMDCPropertyMap(mdc);
        return event;
    }
}
