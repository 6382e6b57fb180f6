package io.sluice.broker.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Chooses the application log's format and level at run time. {@code logback.xml} reads them from
 * system properties ({@value #FORMAT_PROPERTY}, default {@code text}; {@value #LEVEL_PROPERTY},
 * default {@code info}; {@value #ACCESS_PROPERTY}, the access log's level, {@code INFO} or
 * {@code OFF}); {@link #configure} sets them and has Logback read its configuration
 * again, so the choice holds however early something logged. An operator's own configuration
 * ({@code -Dlogback.configurationFile=...}) is read again instead, and decides for itself.
 */
public final class Logging {
    public static final String FORMAT_PROPERTY = "sluice.log.format";
    public static final String LEVEL_PROPERTY = "sluice.log.level";
    public static final String ACCESS_PROPERTY = "sluice.log.access";
    /** The access log's logger, and the name of the queue {@code logback.xml} gives it. */
    private static final String ACCESS_LOGGER = "sluice.access";
    private static final String ACCESS_APPENDER = "access-async";

    private Logging() {}

    /**
     * Writes the log in {@code format} from {@code level} up (the quiet libraries stay at WARN), with
     * the access log's lines at INFO whatever the level, or none.
     */
    public static void configure(LogFormat format, Level level, boolean accessLog) {
        requireNonNull(format, "format is null");
        requireNonNull(level, "level is null");
        System.setProperty(FORMAT_PROPERTY, format.wireName());
        System.setProperty(LEVEL_PROPERTY, level.toString());
        System.setProperty(ACCESS_PROPERTY, accessLog ? Level.INFO.toString() : Level.OFF.toString());
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            // Another SLF4J provider: it configures itself; nothing here would reach it.
            return;
        }
        context.reset();
        try {
            new ContextInitializer(context).autoConfig();
        } catch (JoranException e) {
            throw new IllegalStateException("cannot configure logging: " + e.getMessage(), e);
        }
    }

    /**
     * Writes out the access log's queued lines (waiting up to the 2 s {@code logback.xml} gives) and
     * stops its writer thread: for when the broker has stopped, so its last requests are logged
     * before the process exits. Later access lines are dropped until {@link #configure} runs again;
     * every other line is written as before (the queue feeds an appender of its own).
     */
    public static void flushAccessLog() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            Appender<ILoggingEvent> queue = context.getLogger(ACCESS_LOGGER).getAppender(ACCESS_APPENDER);
            if (queue != null) {
                queue.stop();
            }
        }
    }
}
