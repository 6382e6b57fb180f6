package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

/** A failure of a connector, with a stable code; the message is safe to show the caller. */
public class ConnectorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ConnectorErrorCode errorCode;

    public ConnectorException(ConnectorErrorCode errorCode, String message) {
        super(message);
        this.errorCode = requireNonNull(errorCode, "errorCode is null");
    }

    public ConnectorException(ConnectorErrorCode errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = requireNonNull(errorCode, "errorCode is null");
    }

    public ConnectorErrorCode errorCode() {
        return errorCode;
    }
}
