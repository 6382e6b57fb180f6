package io.sluice.broker.auth;

/** A bearer token was missing or did not verify; the message says which check failed. */
public class AuthenticationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
        super(message);
    }
}
