package io.sluice.policy;

import static java.util.Objects.requireNonNull;

/**
 * One machine-readable reason for a denial.
 *
 * @param code stable code, e.g. {@link ReasonCode#PURPOSE_NOT_PERMITTED}
 * @param message for people: names the constraint and the value that failed it, e.g.
 *     {@code "purpose 'marketing' is not one of [medical-research]"}
 */
public record DenialReason(ReasonCode code, String message) {
    public DenialReason {
        requireNonNull(code, "code is null");
        requireNonNull(message, "message is null");
    }
}
