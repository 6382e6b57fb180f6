package io.sluice.broker.auth;

/**
 * Why a caller was refused for want of identity or right: the {@code code} of an
 * {@code auth.failed} record's reason, and the {@code reason} label of the authentication-failure
 * metric. A closed set, so neither the log's readers nor the metrics see free text in it; the
 * record's message says the particulars (which check of the token failed, which role was missing).
 */
public enum AuthFailureReason {
    /** No {@code Authorization: Bearer} header, or an empty one. */
    MISSING_TOKEN,
    /** The token did not verify: malformed, forged, expired, another issuer or audience, missing claims. */
    INVALID_TOKEN,
    /** A valid caller without a role the route requires. */
    MISSING_ROLE,
    /** A node certificate that is missing, expired or not from this data space's CA, where one is required. */
    NODE_CERTIFICATE,
    /** A change to a dataset of another organisation, or a read of what only its owner may read. */
    NOT_DATASET_OWNER,
    /** Revoking a grant the caller neither holds nor owns the dataset of. */
    NOT_GRANT_HOLDER
}
