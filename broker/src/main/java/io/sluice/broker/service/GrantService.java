package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.store.Dataset;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.GrantStore;
import io.sluice.policy.AccessRequest;
import io.sluice.policy.DenialReason;
import io.sluice.policy.Policies;
import io.sluice.policy.PolicyDecision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Decides grant requests under the dataset's current policy. A grant and a denial are both
 * committed with their audit record. Blocking; call from worker threads.
 */
public final class GrantService {

    /** What a training job asked for. */
    public record GrantRequest(String datasetId, String purpose, Optional<List<String>> columns) {
        public GrantRequest {
            requireNonNull(datasetId, "datasetId is null");
            requireNonNull(purpose, "purpose is null");
            columns = requireNonNull(columns, "columns is null").map(List::copyOf);
        }
    }

    private final DatasetService datasets;
    private final GrantStore grants;
    private final AuditLog auditLog;
    private final Clock clock;
    private final Duration grantTtl;

    public GrantService(DatasetService datasets, GrantStore grants, AuditLog auditLog, Clock clock,
            Duration grantTtl) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.grants = requireNonNull(grants, "grants is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.grantTtl = requireNonNull(grantTtl, "grantTtl is null");
    }

    /**
     * @throws BrokerException {@code FORBIDDEN} with the policy's coded reasons when denied (after
     *     the denial is audited); {@code BAD_REQUEST} for columns the dataset does not have
     */
    public Grant request(Identity requester, GrantRequest request, String requestId) {
        Dataset dataset = datasets.get(request.datasetId());
        request.columns().ifPresent(columns -> checkColumnsExist(dataset, columns));
        Instant now = clock.instant();
        AccessRequest access = new AccessRequest(requester.organisation(), requester.roles(), request.purpose(),
                request.columns(), now);
        var policy = Policies.parse(dataset.policyJson(), dataset.schema());
        AuditEvent base = AuditEvent.of(AuditAction.GRANT_ISSUED, requester.actor())
                .with("dataset", dataset.id())
                .with("datasetVersion", dataset.version())
                .with("policyVersion", dataset.policyVersion())
                .with("purpose", request.purpose())
                .with("requestId", requestId);
        return switch (Policies.decide(policy, dataset.schema(), access)) {
            case PolicyDecision.Deny deny -> {
                auditLog.append(new AuditEvent(AuditAction.GRANT_DENIED, base.actor(), base.details())
                        .with("outcome", "denied")
                        .with("reasons", deny.reasons().stream().map(GrantService::reasonJson).toList()));
                throw new BrokerException(BrokerErrorCode.FORBIDDEN,
                        "the policy of dataset '" + dataset.id() + "' does not permit this request",
                        deny.reasons().stream()
                                .map(r -> new BrokerException.Reason(r.code().name(), r.message()))
                                .toList());
            }
            case PolicyDecision.Permit permit -> {
                Grant grant = new Grant(Ids.next("gr"), dataset.id(), requester.subject(), requester.organisation(),
                        request.purpose(), permit.columns(), permit.transforms(), dataset.policyVersion(), now,
                        now.plus(grantTtl));
                auditLog.append(base.with("grant", grant.id()).with("outcome", "issued")
                                .with("columns", grant.columns()),
                        connection -> grants.insert(connection, grant));
                yield grant;
            }
        };
    }

    /** The grant, if the caller holds it. */
    public Grant held(Identity holder, String grantId) {
        Grant grant = grants.find(grantId).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "grant '" + grantId + "' does not exist"));
        if (!grant.heldBy(holder.subject(), holder.organisation())) {
            throw new BrokerException(BrokerErrorCode.FORBIDDEN,
                    "grant '" + grantId + "' was issued to another requester");
        }
        return grant;
    }

    private static Map<String, String> reasonJson(DenialReason reason) {
        return Map.of("code", reason.code().name(), "message", reason.message());
    }

    private static void checkColumnsExist(Dataset dataset, List<String> columns) {
        Set<String> known = dataset.schema().getFields().stream().map(Field::getName).collect(Collectors.toSet());
        List<String> unknown = columns.stream().filter(c -> !known.contains(c)).toList();
        if (!unknown.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "dataset '" + dataset.id()
                    + "' has no column(s) " + unknown + "; its columns are "
                    + dataset.schema().getFields().stream().map(Field::getName).toList());
        }
        if (columns.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "columns must not be empty when given");
        }
        if (Set.copyOf(columns).size() != columns.size()) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "columns must not repeat, were " + columns);
        }
    }
}
