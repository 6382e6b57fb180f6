package io.sluice.broker.logging;

import java.util.Map;
import org.slf4j.MDC;

/**
 * Puts log context fields (see {@link LogFields}) into this thread's MDC for the length of a
 * {@code try} block, and puts back what was there before when it closes. Threads that serve many
 * requests in turn (Vert.x event loops, worker pools) must never keep one request's fields into
 * the next, so every use is a {@code try}-with-resources on the thread that logs:
 *
 * <pre>{@code
 * try (MdcScope scope = MdcScope.of(fields)) {
 *     LOG.warn("...");
 * }
 * }</pre>
 *
 * Not thread-safe: open and close on the same thread.
 */
public final class MdcScope implements AutoCloseable {
    private final Map<String, String> previous;

    private MdcScope(Map<String, String> previous) {
        this.previous = previous;
    }

    /** Adds {@code fields} to this thread's MDC (null values are left out) until {@link #close()}. */
    public static MdcScope of(Map<String, String> fields) {
        MdcScope scope = new MdcScope(MDC.getCopyOfContextMap());
        fields.forEach((key, value) -> {
            if (value != null) {
                MDC.put(key, value);
            }
        });
        return scope;
    }

    @Override
    public void close() {
        if (previous == null || previous.isEmpty()) {
            MDC.clear();
        } else {
            MDC.setContextMap(previous);
        }
    }
}
