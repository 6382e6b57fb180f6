package io.sluice.loader;

import java.util.Locale;

/**
 * Stable codes of the failures the loader itself detects (the broker's own errors keep the broker's
 * code and name). The numbers never change meaning.
 */
public enum LoaderErrorCode {
    /** The calling thread was interrupted while waiting for the broker. */
    INTERRUPTED(4001, Category.USER),
    /** No connection to the broker, or the request failed before a response arrived. */
    BROKER_UNREACHABLE(4101, Category.EXTERNAL),
    /** The broker answered something other than a Sluice Arrow stream or a Sluice error body. */
    UNEXPECTED_RESPONSE(4102, Category.EXTERNAL),
    /** The body ended before the Arrow end-of-stream marker. */
    STREAM_TRUNCATED(4103, Category.EXTERNAL),
    /** The connection failed while the body was being read. */
    STREAM_BROKEN(4104, Category.EXTERNAL),
    /** The body is not a readable Arrow IPC stream, or a resumed stream does not match the first. */
    STREAM_INVALID(4105, Category.EXTERNAL),
    /** A training stream failed again after its {@link RetryPolicy#maxRetries()} reconnects. */
    RETRIES_EXHAUSTED(4106, Category.EXTERNAL),
    /**
     * The broker aborted the stream because its source is bad (a malformed row, a file that changed
     * since registration): every stream of it fails the same way, so it is not retried; the message
     * is the broker's reason. Its owner must fix or register the source again.
     */
    SOURCE_FAILED(4107, Category.EXTERNAL),
    /**
     * The broker stopped the stream because its grant was revoked or expired: a new stream would be
     * refused, so it is not retried; the message is the broker's reason. Ask for a new grant.
     */
    GRANT_ENDED(4108, Category.USER),
    /** A batch would take the loader past {@link LoaderConfig#pinnedLimitBytes()}. */
    PINNED_LIMIT_EXCEEDED(4201, Category.RESOURCES),
    /** A device call failed (a CUDA driver error, named in the message). */
    DEVICE_FAILED(4301, Category.EXTERNAL);

    /** Who is to blame. */
    public enum Category { USER, RESOURCES, EXTERNAL, INTERNAL }

    private final int code;
    private final Category category;

    LoaderErrorCode(int code, Category category) {
        this.code = code;
        this.category = category;
    }

    public int code() {
        return code;
    }

    public Category category() {
        return category;
    }

    /** The value of {@link LoaderException#error()}, e.g. {@code "stream_truncated"}. */
    public String errorName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
