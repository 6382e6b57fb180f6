package io.sluice.policy;

import static java.util.Objects.requireNonNull;

/**
 * A policy that cannot be accepted. The message names the offending term and where it is,
 * e.g. {@code "permission[0].constraint[1]: unknown leftOperand 'colour'"}.
 */
public class PolicyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final PolicyErrorCode errorCode;

    public PolicyException(PolicyErrorCode errorCode, String message) {
        super(message);
        this.errorCode = requireNonNull(errorCode, "errorCode is null");
    }

    public PolicyErrorCode errorCode() {
        return errorCode;
    }
}
