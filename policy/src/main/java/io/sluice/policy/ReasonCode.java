package io.sluice.policy;

/** Why a request was denied. Serialised by {@link #name()}; names never change meaning. */
public enum ReasonCode {
    /** The declared purpose fails a purpose constraint. */
    PURPOSE_NOT_PERMITTED,
    /** The requester's organisation fails an organisation constraint. */
    ORGANISATION_NOT_PERMITTED,
    /** The requester's roles fail a role constraint. */
    ROLE_NOT_PERMITTED,
    /** The request time fails a dateTime constraint. */
    OUTSIDE_VALIDITY_PERIOD,
    /** A requested column is removed by a duty (e.g. {@code sluice:drop}). */
    COLUMN_NOT_PERMITTED,
    /** A prohibition matches the request. */
    PROHIBITED,
    /** The policy has no permission for the requested action at all. */
    NO_PERMISSION,
    /** The time since the grant was issued fails an elapsedTime constraint. */
    GRANT_EXPIRED,
    /** The number of the stream being opened fails a count constraint. */
    STREAM_QUOTA_EXCEEDED,
    /** The node certificate's id or region fails a nodeId/nodeRegion constraint, or is absent. */
    NODE_NOT_PERMITTED,
    /** An {@code or} or {@code xone} constraint does not hold (its message lists the operands). */
    LOGICAL_CONSTRAINT_NOT_MET
}
