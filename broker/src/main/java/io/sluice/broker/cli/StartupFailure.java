package io.sluice.broker.cli;

import java.net.BindException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Why {@code sluice serve} could not start, as the one line the command prints on stderr before it
 * exits with {@link #EXIT_CODE} (a busy port, an unreadable TLS file, an OIDC issuer that does not
 * answer, a data directory another broker holds, a bad purposes file). The cause, with its stack
 * trace, goes to the application log at DEBUG.
 */
final class StartupFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Not 2, which is a mistake in the command line itself. */
    static final int EXIT_CODE = 1;

    StartupFailure(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** The failure of a broker that was to listen on {@code host:port}, said for the operator. */
    static StartupFailure of(Throwable failure, String host, int port) {
        Throwable cause = unwrapped(failure);
        String listen = "cannot listen on " + host + ":" + port + ": ";
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage();
            // The JDK's BindException, or Netty's native transport's IOException with the same errno text.
            if (message.contains("Address already in use")) {
                return new StartupFailure(listen + "the address is already in use (another process holds it;"
                        + " choose another --port or stop that process)", failure);
            }
            if (t instanceof BindException) {
                return new StartupFailure(listen + message.toLowerCase(Locale.ROOT)
                        + (message.contains("Permission denied") ? " (ports below 1024 need privileges;"
                                + " choose another --port)" : " (is --host an address of this machine?)"), failure);
            }
            if (t instanceof UnknownHostException) {
                return new StartupFailure(listen + "unknown host " + message, failure);
            }
        }
        return new StartupFailure("cannot start the broker: " + describe(cause), failure);
    }

    /** Without the wrappers of futures, which add nothing but their own class name to the message. */
    private static Throwable unwrapped(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String describe(Throwable cause) {
        if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
            return cause.getMessage();
        }
        // A failure without words is a bug: name it, and where to find its trace.
        return cause.getClass().getSimpleName() + " (--log-level debug logs its stack trace)";
    }

    private static String oneLine(String message) {
        return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}
