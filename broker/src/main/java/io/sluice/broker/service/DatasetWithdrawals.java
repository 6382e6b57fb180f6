package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.store.Dataset;
import io.sluice.broker.store.DatasetStore;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.GrantStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An owner withdraws a dataset: it leaves the catalog, takes no new grants, and every active grant
 * on it is revoked, which stops running streams before their next batch. Its rows in the store,
 * its history and its data stay as they are: the broker never touches an owner's files. Blocking;
 * call from worker threads.
 */
public final class DatasetWithdrawals {

    /** What a withdrawn dataset's streams and grants say, completing "the grant was revoked ...". */
    static String how(String datasetId) {
        return "because its owner withdrew dataset '" + datasetId + "'";
    }

    /** A withdrawal done: when, and the grants it revoked. */
    public record Withdrawal(String datasetId, Instant withdrawnAt, List<String> revokedGrants) {
        public Withdrawal {
            requireNonNull(datasetId, "datasetId is null");
            requireNonNull(withdrawnAt, "withdrawnAt is null");
            revokedGrants = List.copyOf(requireNonNull(revokedGrants, "revokedGrants is null"));
        }
    }

    private final DatasetService datasets;
    private final DatasetStore store;
    private final GrantStore grants;
    private final GrantRevoker revoker;
    private final AuditLog auditLog;
    private final Clock clock;

    public DatasetWithdrawals(DatasetService datasets, DatasetStore store, GrantStore grants, GrantRevoker revoker,
            AuditLog auditLog, Clock clock) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.store = requireNonNull(store, "store is null");
        this.grants = requireNonNull(grants, "grants is null");
        this.revoker = requireNonNull(revoker, "revoker is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Withdraws the owner's dataset ({@code dataset.withdrawn}), then revokes its active grants, one
     * {@code grant.revoked} each. A grant request deciding meanwhile is refused inside its own
     * transaction ({@link DatasetService#checkNotWithdrawn}), so none is issued after this call.
     * A withdrawal that stopped before every grant was revoked (the audit log or the store failed,
     * the broker died) is finished by asking again: the dataset stays withdrawn, and the grants
     * still active are revoked then.
     *
     * @throws BrokerException {@code FORBIDDEN} (audited) for another organisation's dataset;
     *     {@code CONFLICT} when it was already withdrawn and no grant of it was left to revoke
     */
    public Withdrawal withdraw(Identity owner, String datasetId, String requestId) {
        Dataset dataset = datasets.owned(owner, datasetId, "withdrawing the dataset", requestId);
        Instant now = clock.instant();
        boolean withdrawnNow = !dataset.isWithdrawn() && recordWithdrawal(owner, dataset, now, requestId);
        GrantRevoker.Why why = GrantRevoker.Why.of("DATASET_WITHDRAWN", how(datasetId));
        List<String> revoked = new ArrayList<>();
        for (Grant grant : grants.active(datasetId, now)) {
            if (revoker.revokeIfActive(owner.actor(), grant, why, Optional.empty(), requestId)) {
                revoked.add(grant.id());
            }
        }
        if (!withdrawnNow && revoked.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.CONFLICT, "dataset '" + datasetId + "' was already withdrawn");
        }
        // As stored (the store keeps microseconds), so that it reads the same here and in GET /v1/datasets/{id}.
        return new Withdrawal(datasetId, datasets.get(datasetId).withdrawnAt().orElse(now), revoked);
    }

    /** Records the withdrawal; false when another request recorded it first (this one still revokes). */
    private boolean recordWithdrawal(Identity owner, Dataset dataset, Instant now, String requestId) {
        String datasetId = dataset.id();
        try {
            auditLog.append(AuditEvent.of(AuditAction.DATASET_WITHDRAWN, owner.actor())
                            .with("dataset", datasetId)
                            .with("datasetVersion", dataset.version())
                            .with("policyVersion", dataset.policyVersion())
                            .with("requestId", requestId)
                            .with("outcome", "withdrawn")
                            .with("message", "dataset '" + datasetId + "' (" + dataset.name() + ") withdrawn by its"
                                    + " owner; its active grants are revoked, its data untouched"),
                    connection -> {
                        if (!store.withdraw(connection, datasetId, now)) {
                            throw new BrokerException(BrokerErrorCode.CONFLICT,
                                    "dataset '" + datasetId + "' was already withdrawn");
                        }
                    });
            return true;
        } catch (BrokerException e) {
            if (e.errorCode() == BrokerErrorCode.CONFLICT) {
                return false;
            }
            throw e;
        }
    }
}
