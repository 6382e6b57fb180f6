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
    SOURCE_READ_FAILED(2101, Category.EXTERNAL);

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
