package io.sluice.policy;

/** Stable error codes of the policy module: all are the policy author's to fix. */
public enum PolicyErrorCode {
    MALFORMED_POLICY(1001),
    UNKNOWN_TERM(1002),
    UNKNOWN_ACTION(1003),
    UNKNOWN_LEFT_OPERAND(1004),
    UNKNOWN_OPERATOR(1005),
    INVALID_RIGHT_OPERAND(1006),
    UNKNOWN_COLUMN(1007);

    private final int code;

    PolicyErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
