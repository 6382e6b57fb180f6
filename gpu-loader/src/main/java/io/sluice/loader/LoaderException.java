package io.sluice.loader;

import java.util.List;
import java.util.Optional;

import io.sluice.loader.internal.BrokerError;

/**
 * A stream could not be opened or read: either the broker refused it (an HTTP error status with the
 * broker's error body) or the loader detected the failure (see {@link LoaderErrorCode}).
 */
public class LoaderException extends RuntimeException {

    private final int httpStatus;
    private final int code;
    private final String error;
    private final String requestId; // null when absent
    private final List<String> reasons;

    LoaderException(LoaderErrorCode code, String message, Throwable cause) {
        this(code, 0, message, cause);
    }

    LoaderException(LoaderErrorCode code, int httpStatus, String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.code = code.code();
        this.error = code.errorName();
        this.requestId = null;
        this.reasons = List.of();
    }

    LoaderException(int httpStatus, BrokerError brokerError, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.code = brokerError.code();
        this.error = brokerError.error();
        this.requestId = brokerError.requestId().orElse(null);
        this.reasons = brokerError.reasons();
    }

    /**
     * The HTTP status of the broker's answer when it refused the request (or answered something
     * unexpected); 0 when no answer arrived or when the failure happened while reading a stream.
     */
    public int httpStatus() {
        return httpStatus;
    }

    /**
     * The snake_case name of the error: the broker's {@code error} field (e.g. {@code "forbidden"}),
     * or a {@link LoaderErrorCode#errorName()} for failures the loader detected.
     */
    public String error() {
        return error;
    }

    /** The broker's numeric {@code code}, or the {@link LoaderErrorCode#code()}; 0 if the broker sent none. */
    public int code() {
        return code;
    }

    /** The broker's {@code requestId}, to quote when asking the broker's operator. */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }

    /** The broker's {@code reasons} (for example the policy rules that denied), empty otherwise. */
    public List<String> reasons() {
        return reasons;
    }
}
