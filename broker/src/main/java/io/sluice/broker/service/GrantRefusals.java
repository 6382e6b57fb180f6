package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.AuthFailureReason;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.store.Grant;
import java.util.List;
import java.util.Map;

/**
 * Refuses a caller who is neither a grant's holder nor a data owner of its dataset's organisation
 * (nor, where the action allows, a compliance officer): audited as {@code auth.failed} on the
 * grant's dataset first, so the dataset's owner sees the attempt in their log, then answered 403.
 * The reason is {@code NOT_DATASET_OWNER} for a data owner of another organisation,
 * {@code NOT_GRANT_HOLDER} for anyone else. Blocking; call from worker threads.
 */
final class GrantRefusals {
    private final AuditLog auditLog;

    GrantRefusals(AuditLog auditLog) {
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
    }

    /**
     * Records the refusal and returns the exception that answers it.
     *
     * @param attempt what was refused, for the record: "revoking the grant"
     */
    BrokerException refuse(Identity caller, Grant grant, String attempt, String requestId) {
        String message = "grant '" + grant.id() + "' is neither held by the caller nor on a dataset of its organisation";
        AuthFailureReason reason = caller.hasRole(Identity.DATA_OWNER)
                ? AuthFailureReason.NOT_DATASET_OWNER : AuthFailureReason.NOT_GRANT_HOLDER;
        auditLog.append(AuditEvent.of(AuditAction.AUTH_FAILED, caller.actor())
                .with("dataset", grant.datasetId())
                .with("grant", grant.id())
                .with("requestId", requestId)
                .with("outcome", "refused")
                .with("message", attempt + " refused: " + message)
                .with("reasons", List.of(Map.of("code", reason.name(), "message", message))));
        return new BrokerException(BrokerErrorCode.FORBIDDEN, message);
    }
}
