package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.ca.NodeIdentity;
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
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Decides grant requests under the dataset's current policy. A grant and a denial are both
 * committed with their audit record. Blocking; call from worker threads.
 */
public final class GrantService {

    /**
     * What a training job asked for.
     *
     * @param project the project pseudonyms are keyed for; empty = the requester's organisation
     */
    public record GrantRequest(String datasetId, String purpose, Optional<List<String>> columns, Optional<String> project) {
        public GrantRequest {
            requireNonNull(datasetId, "datasetId is null");
            requireNonNull(purpose, "purpose is null");
            columns = requireNonNull(columns, "columns is null").map(List::copyOf);
            requireNonNull(project, "project is null");
        }
    }

    /** An issued grant and the schema its streams will have, announced before the first byte. */
    public record IssuedGrant(Grant grant, Schema outputSchema) {
        public IssuedGrant {
            requireNonNull(grant, "grant is null");
            requireNonNull(outputSchema, "outputSchema is null");
        }
    }

    private final DatasetService datasets;
    private final GrantStore grants;
    private final AuditLog auditLog;
    private final Clock clock;
    private final Duration grantTtl;
    private final GrantRevoker revoker;
    private final GrantRefusals refusals;

    public GrantService(DatasetService datasets, GrantStore grants, AuditLog auditLog, Clock clock,
            Duration grantTtl, GrantRevoker revoker) {
        this.revoker = requireNonNull(revoker, "revoker is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.grants = requireNonNull(grants, "grants is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.grantTtl = requireNonNull(grantTtl, "grantTtl is null");
        this.refusals = new GrantRefusals(auditLog);
    }

    /**
     * @throws BrokerException {@code FORBIDDEN} with the policy's coded reasons when denied (after
     *     the denial is audited); {@code BAD_REQUEST} for columns the dataset does not have
     */
    public IssuedGrant request(Identity requester, GrantRequest request, Optional<NodeIdentity> node, String requestId) {
        Dataset dataset = datasets.resolve(request.datasetId());
        request.columns().ifPresent(columns -> checkColumnsExist(dataset, columns));
        request.project().ifPresent(GrantService::checkProject);
        Instant now = clock.instant();
        AccessRequest access = new AccessRequest(requester.organisation(), requester.roles(), request.purpose(),
                request.columns(), now, request.project(), Optional.empty(), 0, node.map(GrantService::policyNode));
        AuditEvent base = AuditEvent.of(AuditAction.GRANT_ISSUED, requester.actor())
                .with("dataset", dataset.id())
                .with("datasetVersion", dataset.version())
                .with("policyVersion", dataset.policyVersion())
                .with("purpose", request.purpose())
                .with("project", access.effectiveProject())
                .with("node", node.map(StreamService::nodeJson).orElse(null))
                .with("requestId", requestId);
        if (dataset.isWithdrawn()) {
            throw deniedFor(base, DatasetService.withdrawn(dataset.id(), dataset.withdrawnAt().get()));
        }
        return switch (Policies.decide(datasets.policy(dataset), dataset.schema(), access)) {
            case PolicyDecision.Deny deny -> throw denied(base, deny, "the policy of dataset '" + dataset.id()
                    + "' does not permit this request");
            case PolicyDecision.Permit permit -> {
                // The grant-time check that every column and duty can be streamed: a 400 before any grant exists.
                Schema output = Policies.outputSchema(permit, dataset.schema());
                Instant expires = now.plus(grantTtl);
                if (permit.expiresAt().isPresent() && permit.expiresAt().get().isBefore(expires)) {
                    expires = permit.expiresAt().get();
                }
                Grant grant = new Grant(Ids.next("gr"), dataset.id(), requester.subject(), requester.organisation(),
                        request.purpose(), access.effectiveProject(), List.copyOf(new TreeSet<>(requester.roles())),
                        permit.columns(), permit.transforms(), dataset.policyVersion(), permit.maxStreams(), now, expires,
                        Optional.empty(), Optional.empty());
                try {
                    auditLog.append(base.with("grant", grant.id()).with("outcome", "issued")
                                    .with("columns", grant.columns()),
                            connection -> {
                                datasets.checkNotWithdrawn(connection, dataset.id());
                                grants.insert(connection, grant);
                            });
                } catch (BrokerException e) {
                    if (e.errorCode() != BrokerErrorCode.DATASET_WITHDRAWN) {
                        throw e;
                    }
                    throw deniedFor(base, e);
                }
                yield new IssuedGrant(grant, output);
            }
        };
    }

    /**
     * Revokes one grant: its holder gives it up, or a data owner of its dataset's organisation takes
     * it back. Running streams under it stop before their next batch. Anyone else is refused with
     * 403, audited as {@code auth.failed} on the grant's dataset.
     *
     * @param reason the caller's words, kept in the record and the grant
     * @return the grant as revoked
     * @throws BrokerException {@code NOT_FOUND}; {@code FORBIDDEN}; {@code CONFLICT} when already revoked
     */
    public Grant revoke(Identity caller, String grantId, Optional<String> reason, String requestId) {
        Grant grant = grants.find(grantId).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "grant '" + grantId + "' does not exist"));
        String because = reason.map(r -> ": " + r).orElse("");
        GrantRevoker.Why why;
        if (grant.heldBy(caller.subject(), caller.organisation())) {
            why = GrantRevoker.Why.of("GIVEN_UP_BY_HOLDER", "by its holder, who gave it up" + because);
        } else if (caller.hasRole(Identity.DATA_OWNER)
                && datasets.get(grant.datasetId()).organisation().equals(caller.organisation())) {
            why = GrantRevoker.Why.of("REVOKED_BY_OWNER", "by the owner of dataset '" + grant.datasetId() + "'" + because);
        } else {
            throw refusals.refuse(caller, grant, "revoking the grant", requestId);
        }
        revoker.revoke(caller.actor(), grant, why, Optional.empty(), requestId);
        return grants.find(grantId).orElseThrow();
    }

    /** The grant with this id, whoever holds it; for the broker's own bookkeeping, not for callers. */
    public Optional<Grant> find(String grantId) {
        return grants.find(grantId);
    }

    /** The grant, if the caller holds it; an attempt on someone else's grant is audited. */
    public Grant held(Identity holder, String grantId, String requestId) {
        Grant grant = grants.find(grantId).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "grant '" + grantId + "' does not exist"));
        if (!grant.heldBy(holder.subject(), holder.organisation())) {
            String message = "grant '" + grantId + "' was issued to another requester";
            auditLog.append(AuditEvent.of(AuditAction.GRANT_DENIED, holder.actor())
                    .with("dataset", grant.datasetId())
                    .with("grant", grantId)
                    .with("requestId", requestId)
                    .with("outcome", "denied")
                    .with("reasons", List.of(Map.of("code", "NOT_GRANT_HOLDER", "message", message))));
            throw new BrokerException(BrokerErrorCode.FORBIDDEN, message);
        }
        return grant;
    }

    /**
     * How the store says the grant was revoked (possibly by another broker), completing "the grant
     * was revoked ..."; empty while it is not.
     */
    public Optional<String> revocation(String grantId) {
        Optional<Grant> grant = grants.find(grantId);
        if (grant.isEmpty()) {
            return Optional.of("(it no longer exists)");
        }
        return grant.get().revokedAt().map(at -> grant.get().revokedReason().orElse(GrantRevoker.BY_POLICY_CHANGE));
    }

    /**
     * Refuses inside the caller's transaction when the grant was revoked since it was read: a
     * revocation on another broker that committed meanwhile wins over a stream being opened.
     */
    public void checkNotRevoked(java.sql.Connection connection, String grantId) throws java.sql.SQLException {
        Optional<String> how = grants.revocation(connection, grantId);
        if (how.isPresent()) {
            throw new BrokerException(BrokerErrorCode.GRANT_REVOKED, "grant '" + grantId + "' was revoked "
                    + (how.get().isEmpty() ? GrantRevoker.BY_POLICY_CHANGE : how.get()));
        }
    }

    public long streamsOpened(String grantId) {
        return grants.streamsOpened(grantId);
    }

    /** Audits a denial for {@code refusal}'s reasons and returns it. */
    private BrokerException deniedFor(AuditEvent base, BrokerException refusal) {
        auditLog.append(new AuditEvent(AuditAction.GRANT_DENIED, base.actor(), base.details())
                .with("outcome", "denied")
                .with("reasons", refusal.reasons().stream()
                        .map(r -> Map.of("code", r.code(), "message", r.message())).toList()));
        return refusal;
    }

    /** Audits a denial and returns the exception that answers it with 403 and the coded reasons. */
    BrokerException denied(AuditEvent base, PolicyDecision.Deny deny, String message) {
        auditLog.append(new AuditEvent(AuditAction.GRANT_DENIED, base.actor(), base.details())
                .with("outcome", "denied")
                .with("reasons", deny.reasons().stream().map(GrantService::reasonJson).toList()));
        return new BrokerException(BrokerErrorCode.FORBIDDEN, message, deny.reasons().stream()
                .map(r -> new BrokerException.Reason(r.code().name(), r.message()))
                .toList());
    }

    static Map<String, String> reasonJson(DenialReason reason) {
        return Map.of("code", reason.code().name(), "message", reason.message());
    }

    /** The policy module's view of a node: what its constraints can test. */
    static io.sluice.policy.NodeIdentity policyNode(NodeIdentity node) {
        return io.sluice.policy.NodeIdentity.of(node.nodeId(), node.region());
    }

    private static void checkProject(String project) {
        if (!project.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST,
                    "'project' must be 1-100 characters of [A-Za-z0-9._-], was '" + project + "'");
        }
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
