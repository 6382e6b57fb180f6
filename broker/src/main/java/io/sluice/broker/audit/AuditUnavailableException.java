package io.sluice.broker.audit;

/** The log could not be written, so the action it would have recorded must not happen. */
public class AuditUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AuditUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
