package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.Actor;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.GrantStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Revokes grants: the revocation and its {@code grant.revoked} record commit together, then this
 * broker's running streams under the grant learn it ({@link GrantRevocations}) and stop before
 * their next batch; other brokers' streams learn it from the store within a couple of seconds.
 * Every way a grant ends early goes through here: a policy change, the dataset's withdrawal, its
 * owner, its holder giving it up. Blocking; call from worker threads.
 */
public final class GrantRevoker {

    /** What the policy change phrase is; streams and clients have read it since grants could be revoked. */
    public static final String BY_POLICY_CHANGE = "by a change of the dataset's policy";

    /**
     * Why a grant is revoked.
     *
     * @param code the record's reason code: {@code POLICY_CHANGED}, {@code DATASET_WITHDRAWN},
     *     {@code REVOKED_BY_OWNER}, {@code GIVEN_UP_BY_HOLDER}, or a policy's denial codes
     * @param how completes "the grant was revoked ...", e.g. "by the owner of dataset 'ds-1'"
     * @param reasons the record's reasons (at least one)
     */
    public record Why(String how, List<Map<String, String>> reasons) {
        public Why {
            requireNonNull(how, "how is null");
            reasons = List.copyOf(requireNonNull(reasons, "reasons is null"));
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a revocation needs at least one reason");
            }
        }

        /** One reason, coded, that also says how. */
        public static Why of(String code, String how) {
            return new Why(how, List.of(Map.of("code", code, "message", "the grant was revoked " + how)));
        }
    }

    private final GrantStore grants;
    private final AuditLog auditLog;
    private final GrantRevocations revocations;
    private final Clock clock;

    public GrantRevoker(GrantStore grants, AuditLog auditLog, GrantRevocations revocations, Clock clock) {
        this.grants = requireNonNull(grants, "grants is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.revocations = requireNonNull(revocations, "revocations is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Revokes {@code grant} for {@code by}, with its record.
     *
     * @param policyVersion the policy version the record names, when a policy change revokes
     * @throws BrokerException {@code CONFLICT} when the grant was already revoked (nothing recorded)
     */
    public void revoke(Actor by, Grant grant, Why why, Optional<Integer> policyVersion, String requestId) {
        Instant now = clock.instant();
        auditLog.append(AuditEvent.of(AuditAction.GRANT_REVOKED, by)
                        .with("dataset", grant.datasetId())
                        .with("policyVersion", policyVersion.orElse(null))
                        .with("grant", grant.id())
                        .with("purpose", grant.purpose())
                        .with("project", grant.project())
                        .with("requestId", requestId)
                        .with("outcome", "revoked")
                        .with("message", "grant '" + grant.id() + "' of " + grant.organisation() + "/" + grant.subject()
                                + " revoked " + why.how())
                        .with("reasons", why.reasons()),
                connection -> {
                    if (!grants.revoke(connection, grant.id(), now, why.how())) {
                        throw new BrokerException(BrokerErrorCode.CONFLICT, "grant '" + grant.id() + "' was already revoked");
                    }
                });
        revocations.revoke(grant.id(), why.how());
    }

    /** As {@link #revoke}, but a grant revoked meanwhile (by another request or broker) is left as it is; true if this revoked it. */
    public boolean revokeIfActive(Actor by, Grant grant, Why why, Optional<Integer> policyVersion, String requestId) {
        try {
            revoke(by, grant, why, policyVersion, requestId);
            return true;
        } catch (BrokerException e) {
            if (e.errorCode() != BrokerErrorCode.CONFLICT) {
                throw e;
            }
            return false;
        }
    }
}
