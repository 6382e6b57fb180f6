package io.sluice.broker.audit.tlog;

import static java.util.Objects.requireNonNull;

/**
 * A signed note that does not verify against the expected key. The message names the key and
 * what is wrong; {@link #reason()} says it for machines.
 */
public final class NoteVerificationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a note was rejected. */
    public enum Reason {
        /** Not a signed note: bad characters, no blank line before the signatures, bad lines. */
        MALFORMED_NOTE,
        /** Well-formed, but no signature line carries the expected key's name and id. */
        NO_SIGNATURE_BY_KEY,
        /** A signature line by the expected key does not verify: the text or it was altered. */
        BAD_SIGNATURE
    }

    private final Reason reason;

    public NoteVerificationException(Reason reason, String message) {
        super(message);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason() {
        return reason;
    }
}
