package io.sluice.broker;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A request the broker refuses or cannot serve. The message is shown to the caller; the
 * reasons, when present, are machine-readable (e.g. policy denial codes).
 */
public class BrokerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final BrokerErrorCode errorCode;
    private final transient List<Reason> reasons;

    /** A machine-readable reason attached to an error response. */
    public record Reason(String code, String message) {
        public Reason {
            requireNonNull(code, "code is null");
            requireNonNull(message, "message is null");
        }
    }

    public BrokerException(BrokerErrorCode errorCode, String message) {
        this(errorCode, message, List.of(), null);
    }

    public BrokerException(BrokerErrorCode errorCode, String message, List<Reason> reasons) {
        this(errorCode, message, reasons, null);
    }

    public BrokerException(BrokerErrorCode errorCode, String message, List<Reason> reasons, Throwable cause) {
        super(message, cause);
        this.errorCode = requireNonNull(errorCode, "errorCode is null");
        this.reasons = List.copyOf(requireNonNull(reasons, "reasons is null"));
    }

    public BrokerErrorCode errorCode() {
        return errorCode;
    }

    public List<Reason> reasons() {
        return reasons;
    }
}
