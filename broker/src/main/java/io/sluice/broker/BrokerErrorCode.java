package io.sluice.broker;

/**
 * Stable error codes of the broker. The HTTP status follows from the category and, for user
 * errors, from the code itself; the snake_case name is the {@code error} field of every error
 * response.
 */
public enum BrokerErrorCode {
    BAD_REQUEST(3001, Category.USER, 400),
    MALFORMED_JSON(3002, Category.USER, 400),
    UNAUTHENTICATED(3003, Category.USER, 401),
    FORBIDDEN(3004, Category.USER, 403),
    NOT_FOUND(3005, Category.USER, 404),
    SOURCE_CHANGED(3006, Category.USER, 409),
    PAYLOAD_TOO_LARGE(3007, Category.USER, 413),
    GRANT_EXPIRED(3008, Category.USER, 403),
    GRANT_REVOKED(3009, Category.USER, 403),
    /** The request contradicts the state of what it acts on: a grant already revoked, a dataset already withdrawn. */
    CONFLICT(3010, Category.USER, 409),
    /** The owner's organisation already has a dataset of this name that is not withdrawn. */
    DATASET_NAME_TAKEN(3011, Category.USER, 409),
    /** A dataset named by its bare name that two organisations share: name it {@code organisation/name}. */
    AMBIGUOUS_DATASET(3012, Category.USER, 409),
    /** Its owner withdrew the dataset: no new grants. */
    DATASET_WITHDRAWN(3013, Category.USER, 403),
    /** A policy names a purpose outside the broker's purpose hierarchy. */
    UNKNOWN_PURPOSE(3014, Category.USER, 400),
    AUDIT_UNAVAILABLE(3101, Category.RESOURCES, 503),
    SHUTTING_DOWN(3102, Category.RESOURCES, 503),
    TOO_MANY_STREAMS(3103, Category.RESOURCES, 429),
    /** One organisation already has as many source operations (registrations opening sources) in flight as allowed. */
    TOO_MANY_SOURCE_OPERATIONS(3104, Category.RESOURCES, 429),
    INTERNAL(3201, Category.INTERNAL, 500);

    /** Who is to blame: decides how the edge reports it. */
    public enum Category { USER, RESOURCES, EXTERNAL, INTERNAL }

    private final int code;
    private final Category category;
    private final int httpStatus;

    BrokerErrorCode(int code, Category category, int httpStatus) {
        this.code = code;
        this.category = category;
        this.httpStatus = httpStatus;
    }

    public int code() {
        return code;
    }

    public Category category() {
        return category;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The {@code error} field of an error response, e.g. {@code "not_found"}. */
    public String errorName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
