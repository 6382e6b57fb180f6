package io.sluice.broker.store;

/** The store could not be read or written; the cause says why. Never shown to callers verbatim. */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
