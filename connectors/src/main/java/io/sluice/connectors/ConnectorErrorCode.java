package io.sluice.connectors;

/** Stable error codes of the connectors module; the numbers never change meaning. */
public enum ConnectorErrorCode {
    UNKNOWN_SOURCE_TYPE(2001, Category.USER),
    INVALID_SOURCE_CONFIG(2002, Category.USER),
    SOURCE_NOT_FOUND(2003, Category.USER),
    PATH_OUTSIDE_ROOT(2004, Category.USER),
    CORRUPT_SOURCE(2005, Category.USER),
    UNSUPPORTED_TYPE(2006, Category.USER),
    UNKNOWN_COLUMN(2007, Category.USER),
    /** A pushed-down predicate compares a column with a literal of an incompatible type. */
    INVALID_PREDICATE(2008, Category.USER),
    /**
     * The source's bytes changed since the source was opened (its fingerprint no longer holds); the
     * owner must register the new version. The broker answers 409.
     */
    SOURCE_CHANGED(2009, Category.USER),
    /** A JDBC URL names a host the broker's configuration does not allow. */
    HOST_NOT_ALLOWED(2010, Category.USER),
    /** The files of one directory source do not share one schema or one partition layout. */
    SCHEMA_MISMATCH(2011, Category.USER),
    /** A JDBC query is not a single read-only SELECT (or WITH ... SELECT) statement. */
    QUERY_NOT_ALLOWED(2012, Category.USER),
    /** A source path, or a file in a directory source, is a pipe, socket or device: opening it could block for good. */
    NOT_A_REGULAR_FILE(2013, Category.USER),
    SOURCE_READ_FAILED(2101, Category.EXTERNAL),
    /**
     * The source's database did not answer within one of its timeouts (connecting, a query, a read):
     * it is slow or overloaded; the broker answers 504.
     */
    SOURCE_TIMED_OUT(2102, Category.EXTERNAL),
    /** A scan would need more memory than its bound (the {@code maxBatchBytes} option or the allocator's limit). */
    MEMORY_BOUND_EXCEEDED(2201, Category.RESOURCES);

    /** Who is to blame, which decides how the edge reports it (4xx, 5xx, 502). */
    public enum Category { USER, RESOURCES, EXTERNAL, INTERNAL }

    private final int code;
    private final Category category;

    ConnectorErrorCode(int code, Category category) {
        this.code = code;
        this.category = category;
    }

    public int code() {
        return code;
    }

    public Category category() {
        return category;
    }
}
