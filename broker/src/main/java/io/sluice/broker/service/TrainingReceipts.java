package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditCheckpoints;
import io.sluice.broker.audit.AuditEntry;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.GrantAuditRecords;
import io.sluice.broker.audit.TrainingReceipt;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.store.Dataset;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.GrantStore.GrantUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Training receipts ({@link TrainingReceipt}): a grant's audit records with inclusion proofs against
 * one signed checkpoint, for the grant's holder, the owning data owner and compliance officers, and
 * a dataset's receipts, a page of grants at a time, for its owner.
 *
 * <p>A receipt is anchored at the size of the smallest stored checkpoint that covers the grant's last
 * record, so asking again gives the same receipt until the grant has new records; when none covers
 * it yet, one is signed at once (as {@code GET /v1/audit/checkpoint} does), so a receipt never waits.
 * The note is always this broker's own ({@link AuditCheckpoints#signAt}): on a store shared by
 * several brokers the stored note at that size may be another broker's, which this broker's public
 * key would not verify; its own note at the same size is deterministic, so the receipt stays stable.
 * Reading a
 * receipt is a read of the log and is not itself recorded (as {@code GET /v1/audit}); a refusal is.
 * Blocking; call from worker threads.
 */
public final class TrainingReceipts {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;

    /** The later checkpoint a receipt's consistency proof leads to: one at {@code size}, or the newest. */
    public record Later(OptionalLong size) {
        public Later {
            requireNonNull(size, "size is null");
        }

        public static Later newest() {
            return new Later(OptionalLong.empty());
        }

        public static Later at(long size) {
            return new Later(OptionalLong.of(size));
        }
    }

    /** A page of a dataset's receipts, newest grant first; {@code next} is the cursor of the page after it. */
    public record Page(List<TrainingReceipt> receipts, Optional<String> next) {
        public Page {
            receipts = List.copyOf(requireNonNull(receipts, "receipts is null"));
            requireNonNull(next, "next is null");
        }
    }

    private final DatasetService datasets;
    private final GrantService grants;
    private final GrantListings listings;
    private final AuditLog auditLog;
    private final AuditCheckpoints checkpoints;
    private final GrantAuditRecords records;
    private final GrantRefusals refusals;

    public TrainingReceipts(DatasetService datasets, GrantService grants, GrantListings listings, AuditLog auditLog,
            AuditCheckpoints checkpoints, GrantAuditRecords records) {
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.grants = requireNonNull(grants, "grants is null");
        this.listings = requireNonNull(listings, "listings is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.checkpoints = requireNonNull(checkpoints, "checkpoints is null");
        this.records = requireNonNull(records, "records is null");
        this.refusals = new GrantRefusals(auditLog);
    }

    /**
     * The grant's receipt, for its holder (subject and organisation, as for its streams), a data
     * owner of its dataset's organisation or a compliance officer; anyone else is refused (403),
     * audited as {@code auth.failed} as a refused revocation is.
     *
     * @param later when present, the receipt carries a consistency proof to that checkpoint
     * @throws BrokerException {@code NOT_FOUND}, {@code FORBIDDEN}; {@code BAD_REQUEST} for a later
     *     checkpoint that was never signed or is older than the receipt's
     */
    public TrainingReceipt forGrant(Identity caller, String grantId, Optional<Later> later, String requestId) {
        Grant grant = grants.find(grantId).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "grant '" + grantId + "' does not exist"));
        Dataset dataset = datasets.get(grant.datasetId());
        boolean holder = grant.heldBy(caller.subject(), caller.organisation());
        boolean owner = caller.hasRole(Identity.DATA_OWNER) && caller.organisation().equals(dataset.organisation());
        if (!holder && !owner && !caller.hasRole(Identity.COMPLIANCE_OFFICER)) {
            throw refusals.refuse(caller, grant, "reading the training receipt", requestId);
        }
        return receipt(grant, dataset, later);
    }

    /**
     * Receipts of the dataset's grants, newest first, for a data owner of its organisation or a
     * compliance officer (others: 403, audited as for its grant listing).
     */
    public Page ofDataset(Identity caller, String datasetId, Optional<String> after, int limit, String requestId) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'limit' must be 1 to " + MAX_LIMIT + ", was " + limit);
        }
        GrantListings.Page page = listings.ofDataset(caller, datasetId, after, limit, requestId);
        Dataset dataset = datasets.get(datasetId);
        List<TrainingReceipt> receipts = new ArrayList<>();
        for (GrantUsage usage : page.grants()) {
            receipts.add(receipt(usage.grant(), dataset, Optional.empty()));
        }
        return new Page(receipts, page.next());
    }

    private TrainingReceipt receipt(Grant grant, Dataset dataset, Optional<Later> later) {
        List<AuditEntry> entries = records.of(grant.datasetId(), grant.id());
        // Records another broker on the same store appended must be in this broker's tree before it proves them.
        auditLog.refresh();
        long last = entries.isEmpty() ? 0 : entries.getLast().index();
        AuditCheckpoints.Signed anchor = checkpoints.list(last, 1).stream()
                .filter(stored -> stored.size() <= auditLog.size())
                .findFirst()
                .map(stored -> checkpoints.signAt(stored.size()))
                .orElseGet(checkpoints::signIfGrown);
        List<TrainingReceipt.ProvenRecord> proven = new ArrayList<>();
        for (AuditEntry entry : entries) {
            proven.add(new TrainingReceipt.ProvenRecord(entry.index(), entry.leafBytes(),
                    auditLog.tree().inclusionProof(entry.index(), anchor.size())));
        }
        Optional<TrainingReceipt.Consistency> consistency = later.map(l -> consistency(anchor, l));
        return new TrainingReceipt(grant.id(), dataset.id(), dataset.version(), grant.purpose(), grant.project(),
                grant.policyVersion(), grant.subject(), grant.organisation(), anchor.note(), anchor.size(), proven,
                consistency);
    }

    private TrainingReceipt.Consistency consistency(AuditCheckpoints.Signed anchor, Later later) {
        AuditCheckpoints.Signed to;
        if (later.size().isEmpty()) {
            to = checkpoints.signIfGrown();
        } else {
            long size = later.size().getAsLong();
            if (size < anchor.size()) {
                throw new BrokerException(BrokerErrorCode.BAD_REQUEST, "'consistencyTo' must be at least the receipt's"
                        + " checkpoint size " + anchor.size() + ", was " + size);
            }
            // Any broker of the store may have stored the checkpoint at that size; the proof leads to this broker's note.
            to = checkpoints.find(size).filter(stored -> stored.size() <= auditLog.size())
                    .map(stored -> checkpoints.signAt(stored.size()))
                    .orElseThrow(() -> new BrokerException(BrokerErrorCode.BAD_REQUEST, "no checkpoint was signed at size "
                            + size + " ('consistencyTo'); GET /v1/audit/checkpoints lists those that were"));
        }
        return new TrainingReceipt.Consistency(to.note(), to.size(),
                auditLog.tree().consistencyProof(anchor.size(), to.size()));
    }
}
