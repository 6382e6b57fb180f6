package io.sluice.broker.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The access log's queue, with logback.xml as the broker ships it and a slow stderr. */
class LoggingTest {

    /** A stderr that stalls once, as a busy pipe or collector might. */
    private static final class SlowStream extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        private final java.util.concurrent.atomic.AtomicBoolean slowed = new java.util.concurrent.atomic.AtomicBoolean();

        /** The first write takes 200 ms, so lines are still queued when the flush starts; later ones are quick. */
        @Override
        public void write(byte[] b, int off, int len) {
            if (slowed.compareAndSet(false, true)) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (this) {
                bytes.write(b, off, len);
            }
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void flushingTheAccessLogWritesEveryQueuedLineAndEveryOtherLineStillComesOut() {
        PrintStream original = System.err;
        SlowStream stderr = new SlowStream();
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            Logging.configure(LogFormat.TEXT, Level.INFO, true);
            int lines = 200;
            for (int i = 0; i < lines; i++) {
                LoggerFactory.getLogger("sluice.access").info("GET /health 200 line-{}.", i);
            }

            Logging.flushAccessLog();

            String written = stderr.text();
            for (int i = 0; i < lines; i++) {
                assertThat(written).as("access line %d, queued before the flush", i).contains("line-" + i + ".");
            }
            LoggerFactory.getLogger(LoggingTest.class).warn("a warning after the flush");
            assertThat(stderr.text()).contains("a warning after the flush");
        } finally {
            System.setErr(original);
            Logging.configure(LogFormat.TEXT, Level.INFO, true);
        }
    }
}
