package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.AuthFailureReason;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.store.Dataset;
import io.sluice.broker.store.DatasetStore;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.GrantStore;
import io.sluice.broker.store.PolicyVersion;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.csv.CsvBatchSource;
import io.sluice.connectors.csv.CsvCheck;
import io.sluice.connectors.SourceConfig;
import io.sluice.policy.AccessRequest;
import io.sluice.policy.DenialReason;
import io.sluice.policy.Policies;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PolicyException;
import io.sluice.policy.PurposeHierarchy;
import io.sluice.policy.ReasonCode;
import io.sluice.policy.enforce.OptOuts;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Registration, policy versions and opt-outs of datasets. Registration confines the source path,
 * opens the source, validates the policy against its schema, and commits the dataset together
 * with its audit record; a refused registration is audited too. Blocking; call from worker threads.
 */
public final class DatasetService {

    /** A registration as the owner asked for it. */
    public record Registration(String name, String description, String sourceType, Optional<String> sourcePath,
            Map<String, String> sourceOptions, String policyJson, Optional<String> subjectColumn) {
        public Registration {
            requireNonNull(name, "name is null");
            requireNonNull(description, "description is null");
            requireNonNull(sourceType, "sourceType is null");
            requireNonNull(sourcePath, "sourcePath is null");
            sourceOptions = Map.copyOf(requireNonNull(sourceOptions, "sourceOptions is null"));
            requireNonNull(policyJson, "policyJson is null");
            requireNonNull(subjectColumn, "subjectColumn is null");
        }
    }

    /**
     * A new policy version as the owner sent it.
     *
     * @param subjectColumn the subject column to set or change with it; empty = keep the one in force
     */
    public record PolicyUpdate(String policyJson, Optional<String> subjectColumn) {
        public PolicyUpdate {
            requireNonNull(policyJson, "policyJson is null");
            requireNonNull(subjectColumn, "subjectColumn is null");
        }
    }

    /** The outcome of a policy change: the dataset under its new version and the grants it revoked. */
    public record PolicyChange(Dataset dataset, List<String> revokedGrants) {
        public PolicyChange {
            requireNonNull(dataset, "dataset is null");
            revokedGrants = List.copyOf(requireNonNull(revokedGrants, "revokedGrants is null"));
        }
    }

    private final DatasetStore datasets;
    private final GrantStore grants;
    private final AuditLog auditLog;
    private final Connectors connectors;
    private final SourceLocator sources;
    private final PurposeHierarchy purposes;
    private final GrantRevoker revoker;
    private final BufferAllocator allocator;
    private final long csvCheckBytes;
    private final SourceOperationLimit sourceOperations;
    private final Clock clock;

    /**
     * What a registration created, and for a CSV source what checking it found.
     *
     * @param check how much of a CSV file was converted, and the malformed rows skipped in it
     */
    public record Registered(Dataset dataset, Optional<CsvCheck> check) {
        public Registered {
            requireNonNull(dataset, "dataset is null");
            requireNonNull(check, "check is null");
        }
    }

    /**
     * @param allocator a CSV source's registration check takes a child of it for its scan
     * @param csvCheckBytes how much of a CSV source registration converts ({@link CsvBatchSource#check})
     * @param sourceOperations how many registrations one organisation may have opening sources at once
     */
    public DatasetService(DatasetStore datasets, GrantStore grants, AuditLog auditLog, Connectors connectors,
            SourceLocator sources, PurposeHierarchy purposes, GrantRevoker revoker, BufferAllocator allocator,
            long csvCheckBytes, SourceOperationLimit sourceOperations, Clock clock) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.grants = requireNonNull(grants, "grants is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.connectors = requireNonNull(connectors, "connectors is null");
        this.sources = requireNonNull(sources, "sources is null");
        this.purposes = requireNonNull(purposes, "purposes is null");
        this.revoker = requireNonNull(revoker, "revoker is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        if (csvCheckBytes < 1) {
            throw new IllegalArgumentException("csvCheckBytes must be >= 1, was " + csvCheckBytes);
        }
        this.csvCheckBytes = csvCheckBytes;
        this.sourceOperations = requireNonNull(sourceOperations, "sourceOperations is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Registers a dataset. A CSV source is converted first, as far as {@code csvCheckBytes} allows:
     * with {@code onError=reject} a malformed row there refuses the registration (400 naming its
     * line and column), with {@code onError=skip} the result says which rows a stream will skip.
     * The source work takes a place of the owner's organisation in {@link SourceOperationLimit}: past
     * it the registration is refused (429) and audited like any other refusal.
     */
    public Registered register(Identity owner, Registration registration, String requestId) {
        AuditEvent rejected = AuditEvent.of(AuditAction.DATASET_REJECTED, owner.actor())
                .with("requestId", requestId).with("outcome", "rejected");
        Dataset dataset;
        Optional<CsvCheck> check;
        try (SourceOperationLimit.Permit permit = sourceOperations.enter(owner.organisation())) {
            SourceConfig config = sources.locate(owner.organisation(), registration.sourceType(),
                    registration.sourcePath(), registration.sourceOptions());
            // Checked again when the dataset is inserted; here so that a taken name costs no source work.
            checkNameFree(owner.organisation(), registration.name(), datasets.listedNamed(
                    Optional.of(owner.organisation()), registration.name()).stream().map(Dataset::id).toList());
            try (BatchSource source = connectors.open(config)) {
                checkPurposesKnown(Policies.parse(registration.policyJson(), source.schema(), purposes));
                registration.subjectColumn().ifPresent(column -> OptOuts.checkSubjectColumn(source.schema(), column));
                check = source instanceof CsvBatchSource csv ? Optional.of(csv.check(csvCheckBytes, allocator))
                        : Optional.empty();
                dataset = new Dataset(Ids.next("ds"), registration.name(), registration.description(),
                        owner.organisation(), registration.sourceType(), registration.sourcePath(),
                        registration.sourceOptions(), source.fingerprint(), source.schema(), source.rowCount(), registration.policyJson(), 1,
                        registration.subjectColumn(), clock.instant(), Optional.empty());
            }
        } catch (ConnectorException | PolicyException | BrokerException | IllegalArgumentException e) {
            auditLog.append(rejected.with("message", e.getMessage()));
            throw e instanceof IllegalArgumentException ? new BrokerException(BrokerErrorCode.BAD_REQUEST, e.getMessage()) : e;
        }
        try {
            auditLog.append(AuditEvent.of(AuditAction.DATASET_REGISTERED, owner.actor())
                            .with("dataset", dataset.id())
                            .with("datasetVersion", dataset.version())
                            .with("policyVersion", dataset.policyVersion())
                            .with("requestId", requestId)
                            .with("outcome", "registered")
                            .with("message", check.filter(c -> c.skippedRows() > 0).map(DatasetService::skippedMessage)
                                    .orElse(null)),
                    connection -> {
                        // Under the audit log's lock, which every broker on the store takes: two registrations of
                        // one name cannot both find it free.
                        checkNameFree(owner.organisation(), dataset.name(),
                                datasets.listedIdsNamed(connection, owner.organisation(), dataset.name()));
                        datasets.insert(connection, dataset, owner.subject(), owner.organisation());
                    });
        } catch (BrokerException e) {
            auditLog.append(rejected.with("message", e.getMessage()));
            throw e;
        }
        return new Registered(dataset, check);
    }

    /** E.g. "checked 1048576 bytes (the whole file): 2 malformed rows skipped, lines [19, 40]". */
    static String skippedMessage(CsvCheck check) {
        return "checked " + check.bytesChecked() + " bytes (" + (check.whole() ? "the whole file" : "the start of the file")
                + "): " + check.skippedRows() + " malformed row" + (check.skippedRows() == 1 ? "" : "s")
                + " skipped, lines " + check.skippedLines();
    }

    /**
     * Replaces the policy with a new version (the old one stays on record), with the subject column
     * the update names or the one in force, and revokes every active grant the new version would
     * deny. A running stream under a revoked grant stops at its next batch.
     */
    public PolicyChange replacePolicy(Identity owner, String datasetId, PolicyUpdate update, String requestId) {
        Dataset current = owned(owner, datasetId, "replacing the policy", requestId);
        Policy policy;
        Optional<String> subjectColumn = update.subjectColumn().or(current::subjectColumn);
        try {
            if (current.isWithdrawn()) {
                throw new BrokerException(BrokerErrorCode.CONFLICT, "dataset '" + datasetId + "' was withdrawn at "
                        + current.withdrawnAt().get() + "; its policy can no longer change");
            }
            policy = Policies.parse(update.policyJson(), current.schema(), purposes);
            checkPurposesKnown(policy);
            if (update.subjectColumn().isPresent()) {
                OptOuts.checkSubjectColumn(current.schema(), update.subjectColumn().get());
                checkSubjectColumnChange(current, update.subjectColumn().get());
            }
        } catch (PolicyException | BrokerException e) {
            // The owner's attempt is on record like a refused registration; the policy in force stays.
            String code = e instanceof PolicyException p ? p.errorCode().name() : ((BrokerException) e).errorCode().name();
            auditLog.append(AuditEvent.of(AuditAction.POLICY_REJECTED, owner.actor())
                    .with("dataset", datasetId)
                    .with("policyVersion", current.policyVersion())
                    .with("requestId", requestId)
                    .with("outcome", "rejected")
                    .with("reasons", List.of(Map.of("code", code, "message", e.getMessage()))));
            throw e;
        }
        Dataset changed = current.withPolicy(update.policyJson(), current.policyVersion() + 1, subjectColumn);
        Instant now = clock.instant();
        auditLog.append(AuditEvent.of(AuditAction.POLICY_CHANGED, owner.actor())
                        .with("dataset", datasetId)
                        .with("datasetVersion", current.version())
                        .with("policyVersion", changed.policyVersion())
                        .with("requestId", requestId)
                        .with("outcome", "changed")
                        .with("message", "policy version " + current.policyVersion() + " replaced by " + changed.policyVersion()
                                + (subjectColumn.equals(current.subjectColumn()) ? ""
                                        : "; subject column " + subjectColumn.get())),
                connection -> {
                    // Checked again under the log's lock: a withdrawal that committed since the read above wins.
                    Optional<Instant> withdrawn = datasets.withdrawnAt(connection, datasetId);
                    if (withdrawn.isPresent()) {
                        throw new BrokerException(BrokerErrorCode.CONFLICT, "dataset '" + datasetId + "' was withdrawn at "
                                + withdrawn.get() + "; its policy can no longer change");
                    }
                    datasets.replacePolicy(connection, changed, owner.subject(), owner.organisation(), now);
                });
        List<String> revoked = new ArrayList<>();
        for (Grant grant : grants.active(datasetId, now)) {
            List<DenialReason> reasons = stillDenied(policy, changed, grant, now);
            if (reasons.isEmpty()) {
                continue;
            }
            GrantRevoker.Why why = new GrantRevoker.Why(GrantRevoker.BY_POLICY_CHANGE,
                    reasons.stream().map(GrantService::reasonJson).toList());
            if (revoker.revokeIfActive(owner.actor(), grant, why, Optional.of(changed.policyVersion()), requestId)) {
                revoked.add(grant.id());
            }
        }
        return new PolicyChange(changed, revoked);
    }

    /**
     * A dataset's subject column may be set, and changed while no opt-outs are recorded; recorded
     * opt-outs are ids of the column in force, and matched against another column they would let
     * those subjects' rows through again.
     */
    private void checkSubjectColumnChange(Dataset current, String column) {
        if (current.subjectColumn().isEmpty() || current.subjectColumn().get().equals(column)) {
            return;
        }
        int recorded = datasets.optOuts(current.id()).size();
        if (recorded > 0) {
            throw new BrokerException(BrokerErrorCode.CONFLICT, "dataset '" + current.id() + "' has " + recorded
                    + " opt-out(s) recorded as ids of subject column '" + current.subjectColumn().get()
                    + "'; changing it to '" + column + "' would stop excluding those subjects");
        }
    }

    /** Refuses a policy naming a purpose outside the broker's hierarchy: no requester could be expected to ask for it. */
    private void checkPurposesKnown(Policy policy) {
        List<String> unknown = Policies.purposesNamed(policy).stream().filter(p -> !purposes.knows(p)).toList();
        if (!unknown.isEmpty()) {
            String message = "the policy names purpose" + (unknown.size() == 1 ? " " : "s ") + unknown
                    + " that this broker does not know; known purposes: " + purposes.purposes()
                    + " (the broker's purpose hierarchy, --purposes)";
            throw new BrokerException(BrokerErrorCode.UNKNOWN_PURPOSE, message,
                    List.of(new BrokerException.Reason("UNKNOWN_PURPOSE", message)));
        }
    }

    /** Refuses a name the organisation's datasets not withdrawn already have. */
    private static void checkNameFree(String organisation, String name, List<String> holders) {
        if (!holders.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.DATASET_NAME_TAKEN, "organisation '" + organisation
                    + "' already has a dataset named '" + name + "': " + holders.getFirst()
                    + "; withdraw it first or choose another name");
        }
    }

    /**
     * Withdraws subjects from every later stream of the dataset. The audit record counts them and
     * never names them.
     *
     * @return how many of the ids were not withdrawn before
     */
    public int addOptOuts(Identity owner, String datasetId, List<Object> ids, String requestId) {
        Dataset dataset = owned(owner, datasetId, "adding opt-outs", requestId);
        List<String> subjectIds;
        try {
            if (dataset.subjectColumn().isEmpty()) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "dataset '" + datasetId + "' has no subjectColumn,"
                        + " so its rows cannot be matched to subjects; set one with a new policy version"
                        + " (PUT /v1/datasets/" + datasetId + "/policy {\"policy\": ..., \"subjectColumn\": ...})");
            }
            subjectIds = SubjectIds.of(dataset.schema().findField(dataset.subjectColumn().get()), ids);
        } catch (BrokerException e) {
            auditLog.append(AuditEvent.of(AuditAction.OPTOUT_REJECTED, owner.actor())
                    .with("dataset", datasetId)
                    .with("requestId", requestId)
                    .with("outcome", "rejected")
                    .with("reasons", List.of(Map.of("code", e.errorCode().name(), "message", e.getMessage()))));
            throw e;
        }
        int[] added = new int[1];
        auditLog.append(AuditEvent.of(AuditAction.OPTOUT_ADDED, owner.actor())
                        .with("dataset", datasetId)
                        .with("requestId", requestId)
                        .with("outcome", "added")
                        .with("records", subjectIds.size()),
                connection -> added[0] = datasets.addOptOuts(connection, datasetId, subjectIds, clock.instant()));
        return added[0];
    }

    /** The opt-outs to apply to a stream of the dataset. */
    public OptOuts optOuts(Dataset dataset) {
        return dataset.subjectColumn()
                .map(column -> OptOuts.of(column, new HashSet<>(datasets.optOuts(dataset.id()))))
                .orElseGet(OptOuts::none);
    }

    public Dataset get(String id) {
        return datasets.find(id).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "dataset '" + id + "' does not exist"));
    }

    /** The datasets the catalog lists: those not withdrawn. */
    public List<Dataset> list() {
        return datasets.list();
    }

    /**
     * The dataset a grant request names: its id; or its name, among the datasets not withdrawn,
     * bare when one organisation has it, or as {@code organisation/name}.
     *
     * @throws BrokerException {@code NOT_FOUND} when nothing has that id or name;
     *     {@code AMBIGUOUS_DATASET} when several datasets have it
     */
    public Dataset resolve(String reference) {
        Optional<Dataset> byId = datasets.find(reference);
        if (byId.isPresent()) {
            return byId.get();
        }
        int slash = reference.indexOf('/');
        List<Dataset> named = slash > 0
                ? datasets.listedNamed(Optional.of(reference.substring(0, slash)), reference.substring(slash + 1))
                : datasets.listedNamed(Optional.empty(), reference);
        if (named.size() == 1) {
            return named.getFirst();
        }
        if (named.isEmpty()) {
            throw new BrokerException(BrokerErrorCode.NOT_FOUND, "dataset '" + reference + "' does not exist");
        }
        List<String> candidates = named.stream().map(d -> d.organisation() + "/" + d.name() + " (" + d.id() + ")").toList();
        throw new BrokerException(BrokerErrorCode.AMBIGUOUS_DATASET, "dataset name '" + reference + "' names "
                + named.size() + " datasets: " + candidates + "; name one as "
                + (slash > 0 ? "its id" : "organisation/name, or by its id"));
    }

    /** When the dataset was withdrawn, as the store says now; empty while it is listed. */
    public Optional<Instant> withdrawnAt(String datasetId) {
        return datasets.withdrawnAt(datasetId);
    }

    /** When the dataset was withdrawn, read inside the caller's transaction; empty while it is listed. */
    public Optional<Instant> withdrawnAt(java.sql.Connection connection, String datasetId) throws java.sql.SQLException {
        return datasets.withdrawnAt(connection, datasetId);
    }

    /**
     * Refuses, inside the caller's transaction (under the audit log's lock), a grant on a dataset
     * withdrawn meanwhile, so that no grant is issued after a withdrawal revoked the others.
     */
    public void checkNotWithdrawn(java.sql.Connection connection, String datasetId) throws java.sql.SQLException {
        Optional<Instant> withdrawn = datasets.withdrawnAt(connection, datasetId);
        if (withdrawn.isPresent()) {
            throw withdrawn(datasetId, withdrawn.get());
        }
    }

    /** The refusal of a grant on a withdrawn dataset: 403 with the reason code {@code DATASET_WITHDRAWN}. */
    static BrokerException withdrawn(String datasetId, Instant at) {
        String message = "dataset '" + datasetId + "' was withdrawn by its owner at " + at + "; it takes no new grants";
        return new BrokerException(BrokerErrorCode.DATASET_WITHDRAWN, message,
                List.of(new BrokerException.Reason("DATASET_WITHDRAWN", message)));
    }

    /** The policy in force and every earlier version, oldest first, for the owner or a compliance officer. */
    public List<PolicyVersion> policyVersions(Identity caller, String datasetId, String requestId) {
        readable(caller, datasetId, "reading the policy", requestId);
        return datasets.policyVersions(datasetId);
    }

    /**
     * The dataset, for a reader with a right to what only its owner sees (its policy's history, its
     * grants): a compliance officer, or a data owner of its organisation. Others are refused as by {@link #owned}.
     */
    Dataset readable(Identity caller, String datasetId, String attempt, String requestId) {
        if (caller.hasRole(Identity.COMPLIANCE_OFFICER)) {
            return get(datasetId);
        }
        return owned(caller, datasetId, attempt, requestId);
    }

    /** What a connector needs to open the dataset's source now. */
    public SourceConfig sourceConfig(Dataset dataset) {
        return sources.locate(dataset.organisation(), dataset.sourceType(), dataset.sourcePath(), dataset.sourceOptions());
    }

    /** The dataset's current policy, parsed with this broker's purpose hierarchy. */
    public Policy policy(Dataset dataset) {
        return Policies.parse(dataset.policyJson(), dataset.schema(), purposes);
    }

    /**
     * The dataset, if the owner's organisation owns it. An attempt on another organisation's
     * dataset is audited first, so the dataset's owner sees it in their log (as a grant denial would
     * be), then refused with 403.
     *
     * @param attempt what was refused, for the record: "replacing the policy"
     */
    Dataset owned(Identity owner, String datasetId, String attempt, String requestId) {
        Dataset dataset = get(datasetId);
        if (!dataset.organisation().equals(owner.organisation())) {
            String message = "dataset '" + datasetId + "' belongs to another organisation";
            auditLog.append(AuditEvent.of(AuditAction.AUTH_FAILED, owner.actor())
                    .with("dataset", datasetId)
                    .with("requestId", requestId)
                    .with("outcome", "refused")
                    .with("message", attempt + " refused: " + message)
                    .with("reasons", List.of(Map.of("code", AuthFailureReason.NOT_DATASET_OWNER.name(), "message", message))));
            throw new BrokerException(BrokerErrorCode.FORBIDDEN, message);
        }
        return dataset;
    }

    /**
     * Why the new policy would deny the grant's original request now. A node constraint does not
     * revoke: the node is known only when a stream opens, and every stream is decided again then.
     */
    private List<DenialReason> stillDenied(Policy policy, Dataset dataset, Grant grant, Instant now) {
        AccessRequest request = new AccessRequest(grant.organisation(), new HashSet<>(grant.roles()), grant.purpose(),
                Optional.of(grant.columns()), now, Optional.of(grant.project()), Optional.of(grant.issuedAt()),
                grants.streamsOpened(grant.id()), Optional.empty());
        return switch (Policies.decide(policy, dataset.schema(), request)) {
            case PolicyDecision.Permit permit -> List.of();
            case PolicyDecision.Deny deny -> deny.reasons().stream()
                    .filter(r -> r.code() != ReasonCode.NODE_NOT_PERMITTED).toList();
        };
    }
}
