package io.sluice.broker.audit;

/** What an audit record records; {@link #wireName()} is the {@code action} field. */
public enum AuditAction {
    DATASET_REGISTERED("dataset.registered"),
    DATASET_REJECTED("dataset.rejected"),
    /** Its owner withdrew the dataset: out of the catalog, its grants revoked; its data untouched. */
    DATASET_WITHDRAWN("dataset.withdrawn"),
    POLICY_CHANGED("policy.changed"),
    /** A new policy refused (invalid, or naming what the dataset does not have); the one in force stays. */
    POLICY_REJECTED("policy.rejected"),
    OPTOUT_ADDED("optout.added"),
    /** Opt-outs refused (a malformed list); none of them was added. */
    OPTOUT_REJECTED("optout.rejected"),
    GRANT_ISSUED("grant.issued"),
    GRANT_DENIED("grant.denied"),
    GRANT_REVOKED("grant.revoked"),
    STREAM_OPENED("stream.opened"),
    STREAM_CLOSED("stream.closed"),
    STREAM_ABORTED("stream.aborted"),
    STREAM_INTERRUPTED("stream.interrupted"),
    AUTH_FAILED("auth.failed"),
    AUDIT_EXPORTED("audit.exported");

    private final String wireName;

    AuditAction(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
