package io.sluice.policy;

/** Stable error codes of the policy module: all are the policy author's to fix (HTTP 400). */
public enum PolicyErrorCode {
    MALFORMED_POLICY(1001),
    UNKNOWN_TERM(1002),
    UNKNOWN_ACTION(1003),
    UNKNOWN_LEFT_OPERAND(1004),
    UNKNOWN_OPERATOR(1005),
    INVALID_RIGHT_OPERAND(1006),
    UNKNOWN_COLUMN(1007),
    /** A row-filter expression that does not parse or does not type-check; the message gives the position. */
    INVALID_EXPRESSION(1008),
    /** A duty on a column whose type it cannot transform (e.g. pseudonymising a date). */
    UNSUPPORTED_COLUMN_TYPE(1009),
    /** Two duties of one permission transform the same column. */
    CONFLICTING_DUTIES(1010),
    /** A literal of the wrong type for its column (e.g. masking an int32 column with a string). */
    INVALID_LITERAL(1011);

    private final int code;

    PolicyErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
