package io.sluice.broker.cli;

/** A failure the CLI reports as one line on stderr, with exit code 2, without a stack trace. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message, null, false, false);
    }
}
