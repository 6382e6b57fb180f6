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
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.SourcePaths;
import io.sluice.policy.Policies;
import io.sluice.policy.PolicyException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Registration and lookup of datasets. Registration confines the source path, opens the source,
 * validates the policy against its schema, and commits the dataset together with its audit
 * record; a refused registration is audited too. Blocking; call from worker threads.
 */
public final class DatasetService {

    /** A registration as the owner asked for it. */
    public record Registration(String name, String description, String sourceType, String sourcePath,
            String policyJson) {
        public Registration {
            requireNonNull(name, "name is null");
            requireNonNull(description, "description is null");
            requireNonNull(sourceType, "sourceType is null");
            requireNonNull(sourcePath, "sourcePath is null");
            requireNonNull(policyJson, "policyJson is null");
        }
    }

    private final DatasetStore datasets;
    private final AuditLog auditLog;
    private final Connectors connectors;
    private final Path sourcesDir;
    private final Clock clock;

    public DatasetService(DatasetStore datasets, AuditLog auditLog, Connectors connectors, Path sourcesDir,
            Clock clock) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.connectors = requireNonNull(connectors, "connectors is null");
        this.sourcesDir = requireNonNull(sourcesDir, "sourcesDir is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public Dataset register(Identity owner, Registration registration, String requestId) {
        AuditEvent rejected = AuditEvent.of(AuditAction.DATASET_REJECTED, owner.actor())
                .with("requestId", requestId).with("outcome", "rejected");
        Dataset dataset;
        try {
            Path root = Organisations.sourceRoot(sourcesDir, owner.organisation());
            Path location = SourcePaths.resolveConfined(root, registration.sourcePath());
            try (BatchSource source = connectors.open(SourceConfig.ofFile(registration.sourceType(), location))) {
                Policies.parse(registration.policyJson(), source.schema());
                dataset = new Dataset(Ids.next("ds"), registration.name(), registration.description(),
                        owner.organisation(), registration.sourceType(), registration.sourcePath(),
                        source.fingerprint(), source.schema(), source.rowCount(), registration.policyJson(), 1,
                        clock.instant());
            }
        } catch (ConnectorException | PolicyException | BrokerException e) {
            auditLog.append(rejected.with("message", e.getMessage()));
            throw e;
        }
        auditLog.append(AuditEvent.of(AuditAction.DATASET_REGISTERED, owner.actor())
                        .with("dataset", dataset.id())
                        .with("datasetVersion", dataset.version())
                        .with("policyVersion", dataset.policyVersion())
                        .with("requestId", requestId)
                        .with("outcome", "registered"),
                connection -> datasets.insert(connection, dataset));
        return dataset;
    }

    public Dataset get(String id) {
        return datasets.find(id).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "dataset '" + id + "' does not exist"));
    }

    public List<Dataset> list() {
        return datasets.list();
    }
}
