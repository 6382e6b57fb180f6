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
    private final boolean brokerSilent;

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
        this.brokerSilent = false;
    }

    /** {@code failure} (a loader-detected one) again, noting that its broker did not answer the status lookup either. */
    private LoaderException(LoaderException failure, String message) {
        super(message, failure);
        this.httpStatus = failure.httpStatus;
        this.code = failure.code;
        this.error = failure.error;
        this.requestId = failure.requestId;
        this.reasons = failure.reasons;
        this.brokerSilent = true;
    }

    LoaderException(int httpStatus, BrokerError brokerError, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.code = brokerError.code();
        this.error = brokerError.error();
        this.requestId = brokerError.requestId().orElse(null);
        this.reasons = brokerError.reasons();
        this.brokerSilent = false;
    }

    /**
     * A broken stream whose broker did not answer when asked why ({@code GET /v1/streams/{id}}):
     * the same error, with the lookup's silence in the message and {@link #brokerSilent()} set.
     */
    static LoaderException brokerSilent(LoaderException failure, String streamId) {
        return new LoaderException(failure, failure.getMessage() + "; the broker did not answer GET /v1/streams/"
                + streamId + " either");
    }

    /** Whether the broker of a broken stream did not answer the status lookup after the break: it is likely gone. */
    boolean brokerSilent() {
        return brokerSilent;
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
