package io.sluice.broker.service;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.Actor;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.ca.NodeIdentity;
import io.sluice.broker.metrics.BrokerMetrics;
import io.sluice.broker.metrics.StreamMeter;
import io.sluice.broker.store.Dataset;
import io.sluice.broker.store.Grant;
import io.sluice.broker.store.HeartbeatStore;
import io.sluice.broker.store.StreamRecord;
import io.sluice.broker.store.StreamStore;
import io.sluice.broker.stream.ArrowHttpStreamer;
import io.sluice.broker.stream.ShardRequest;
import io.sluice.broker.stream.ShareScan;
import io.sluice.broker.stream.StopCheck;
import io.sluice.broker.stream.StreamOutcome;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Predicate;
import io.sluice.policy.AccessRequest;
import io.sluice.policy.Policies;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.enforce.EnforcementPipeline;
import io.sluice.policy.enforce.PseudonymKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens and closes streams. Opening checks the grant and the source's version and commits the
 * {@code stream.opened} record before a byte can leave; closing commits the counts and the
 * SHA-256 of the bytes sent. Blocking; call from worker threads.
 */
public final class StreamService {
    private static final Logger LOG = LoggerFactory.getLogger(StreamService.class);

    /**
     * A stream whose opening is on record: the share's batches to send, owned here and released by
     * {@link #close()}, with the allocator their buffers come from.
     */
    public record OpenedStream(String streamId, Grant grant, Dataset dataset, ShardRequest shard,
            Optional<NodeIdentity> node, EnforcementPipeline pipeline, ShareScan batches, BufferAllocator allocator,
            StreamMeter meter) implements AutoCloseable {
        @Override
        public void close() {
            try {
                batches.close();
            } finally {
                allocator.close();
            }
        }
    }

    /** How often a running stream asks the store whether another broker revoked its grant. */
    static final java.time.Duration REVOCATION_POLL = java.time.Duration.ofSeconds(2);

    /** What an interrupted stream's counts mean: progress is recorded every couple of seconds, not per batch. */
    static final String LAST_RECORDED = "rows, batches, bytes and sha256 are those it last recorded while it ran"
            + " (every " + ArrowHttpStreamer.PROGRESS_INTERVAL.toSeconds() + " s): it sent at least that much, and the"
            + " sha256 is that of its first bytes";

    /** The most Arrow memory one stream may hold: the source's batch, the pipeline's, the shuffle window. */
    static final long STREAM_MEMORY_LIMIT = 4L * 1024 * 1024 * 1024;

    private final GrantService grants;
    private final DatasetService datasets;
    private final GrantRevocations revocations;
    private final byte[] pseudonymMasterKey;
    private final StreamStore streams;
    private final AuditLog auditLog;
    private final Connectors connectors;
    private final BufferAllocator allocator;
    private final Clock clock;
    private final int decodeThreads;
    private final BrokerMetrics metrics;

    public StreamService(GrantService grants, DatasetService datasets, GrantRevocations revocations,
            byte[] pseudonymMasterKey, StreamStore streams, AuditLog auditLog, Connectors connectors,
            BufferAllocator allocator, Clock clock, int decodeThreads, BrokerMetrics metrics) {
        if (decodeThreads < 1) {
            throw new IllegalArgumentException("decodeThreads must be >= 1, was " + decodeThreads);
        }
        this.decodeThreads = decodeThreads;
        this.grants = requireNonNull(grants, "grants is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.revocations = requireNonNull(revocations, "revocations is null");
        this.pseudonymMasterKey = requireNonNull(pseudonymMasterKey, "pseudonymMasterKey is null").clone();
        this.streams = requireNonNull(streams, "streams is null");
        this.auditLog = requireNonNull(auditLog, "auditLog is null");
        this.connectors = requireNonNull(connectors, "connectors is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    /**
     * Checks the grant, decides again under the dataset's current policy (time, quota, node), opens
     * the scan and records the opening. The caller owns the result.
     */
    public OpenedStream open(Identity holder, String grantId, ShardRequest shard, Optional<NodeIdentity> node,
            String requestId, String remote) {
        Grant grant = grants.held(holder, grantId, requestId);
        Instant now = clock.instant();
        if (grant.revokedAt().isPresent() || revocations.isRevoked(grantId)) {
            String how = grant.revokedReason().or(() -> revocations.why(grantId)).orElse(GrantRevoker.BY_POLICY_CHANGE);
            throw refused(holder, grant, requestId, new BrokerException(BrokerErrorCode.GRANT_REVOKED,
                    "grant '" + grantId + "' was revoked " + how));
        }
        if (!now.isBefore(grant.expiresAt())) {
            throw refused(holder, grant, requestId, new BrokerException(BrokerErrorCode.GRANT_EXPIRED,
                    "grant '" + grantId + "' expired at " + grant.expiresAt()));
        }
        Dataset dataset = datasets.get(grant.datasetId());
        if (dataset.isWithdrawn()) {
            // Its grants are being revoked (DatasetWithdrawals); none may start a stream meanwhile.
            throw refused(holder, grant, requestId, new BrokerException(BrokerErrorCode.GRANT_REVOKED,
                    "grant '" + grantId + "' was revoked " + DatasetWithdrawals.how(dataset.id())));
        }
        PolicyDecision.Permit permit = decideAgain(holder, grant, dataset, shard, node, now, requestId);
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, dataset.schema(),
                PseudonymKey.derive(pseudonymMasterKey, dataset.id(), pseudonymScope(grant)), datasets.optOuts(dataset));
        String streamId = Ids.next("st");
        BufferAllocator streamAllocator = allocator.newChildAllocator("stream:" + streamId, 0,
                Math.min(allocator.getLimit(), STREAM_MEMORY_LIMIT));
        ShareScan batches = null;
        try {
            try (BatchSource source = openSource(dataset)) {
                if (!source.fingerprint().equals(dataset.version())) {
                    throw new BrokerException(BrokerErrorCode.SOURCE_CHANGED, "the source of dataset '"
                            + dataset.id() + "' changed since it was registered (version " + dataset.version()
                            + "); its owner must register the new version");
                }
                batches = openScan(source, pipeline, permit, shard, streamAllocator);
            }
            StreamRecord record = new StreamRecord(streamId, grant.id(), holder.subject(), holder.organisation(),
                    shard.shard(), shard.shards(), shard.epoch(), StreamRecord.Status.RUNNING, 0, 0, 0, 0,
                    Optional.empty(), now, Optional.empty(), Optional.empty(), Optional.empty());
            try {
                auditLog.append(streamEvent(AuditAction.STREAM_OPENED, holder, grant, dataset, streamId, shard, node)
                                .with("requestId", requestId).with("remote", remote)
                                .with("columns", permit.columns()).with("scheme", batches.scheme().wireName())
                                .with("outcome", "opened"),
                        connection -> {
                            // Checked again under the log's lock: a revocation or withdrawal that committed on any broker
                            // since the checks above (the source took a while to open) wins over this stream.
                            grants.checkNotRevoked(connection, grant.id());
                            Optional<Instant> withdrawn = datasets.withdrawnAt(connection, dataset.id());
                            if (withdrawn.isPresent()) {
                                throw new BrokerException(BrokerErrorCode.GRANT_REVOKED, "grant '" + grant.id()
                                        + "' was revoked " + DatasetWithdrawals.how(dataset.id()));
                            }
                            // Counted again here, under the log's lock, so concurrent opens cannot overrun the quota.
                            if (permit.maxStreams().isPresent()
                                    && streams.countForGrant(connection, grant.id()) >= permit.maxStreams().getAsLong()) {
                                throw new BrokerException(BrokerErrorCode.FORBIDDEN, "grant '" + grant.id()
                                        + "' has used its " + permit.maxStreams().getAsLong() + " streams",
                                        List.of(new BrokerException.Reason("STREAM_QUOTA_EXCEEDED", "the policy allows "
                                                + permit.maxStreams().getAsLong() + " streams per grant")));
                            }
                            streams.insert(connection, record);
                        });
            } catch (BrokerException e) {
                // Revoked while the source opened: refused like a revocation seen before, and on record.
                throw e.errorCode() == BrokerErrorCode.GRANT_REVOKED ? refused(holder, grant, requestId, e) : e;
            }
            LOG.info("stream {} opened: dataset {} version {}, shard {} of {}, epoch {}", streamId, dataset.id(),
                    dataset.version(), shard.shard(), shard.shards(), shard.epoch());
            return new OpenedStream(streamId, grant, dataset, shard, node, pipeline, batches, streamAllocator,
                    metrics.streamOpened());
        } catch (RuntimeException | Error e) {
            try {
                if (batches != null) {
                    batches.close();
                }
                streamAllocator.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Opens the registered source. A source that no longer opens as registered (moved, truncated,
     * rewritten) is the owner's to fix, not the consumer's mistake: 409, like a changed fingerprint.
     */
    private BatchSource openSource(Dataset dataset) {
        try {
            return connectors.open(datasets.sourceConfig(dataset));
        } catch (ConnectorException e) {
            if (e.errorCode().category() != ConnectorErrorCode.Category.USER) {
                throw e;
            }
            throw new BrokerException(BrokerErrorCode.SOURCE_CHANGED, "the source of dataset '" + dataset.id()
                    + "' can no longer be read as registered (" + e.getMessage() + "); its owner must register it again",
                    List.of(), e);
        }
    }

    /**
     * Opens the rank's share of the source, handing the policy's row filter to the connector when
     * it can use it to skip data. The pipeline filters every row again, so a connector that cannot
     * use the predicate, or uses it only in part, changes nothing but speed.
     */
    private ShareScan openScan(BatchSource source, EnforcementPipeline pipeline, PolicyDecision.Permit permit,
            ShardRequest shard, BufferAllocator allocator) {
        ScanSpec spec = ScanSpec.of(pipeline.inputColumns()).withDecodeThreads(decodeThreads);
        Set<String> columns = Set.copyOf(pipeline.inputColumns());
        Optional<Predicate> pushdown = permit.rowPredicate().flatMap(p -> PushdownPredicates.translate(p, columns));
        if (pushdown.isPresent()) {
            try {
                return ShareScan.open(source, spec.withPredicate(pushdown.get()), shard, allocator);
            } catch (ConnectorException e) {
                if (e.errorCode() != ConnectorErrorCode.INVALID_PREDICATE) {
                    throw e;
                }
            }
        }
        return ShareScan.open(source, spec, shard, allocator);
    }

    /**
     * Audits a stream refused because the broker, or the caller, already runs as many streams as
     * allowed ({@code grant.denied}, reason {@code TOO_MANY_STREAMS}), then returns the 429.
     */
    public BrokerException tooManyStreams(Identity holder, String grantId, String requestId, String why) {
        BrokerException refusal = new BrokerException(BrokerErrorCode.TOO_MANY_STREAMS, why);
        auditLog.append(AuditEvent.of(AuditAction.GRANT_DENIED, holder.actor())
                .with("grant", grantId)
                .with("requestId", requestId)
                .with("outcome", "denied")
                .with("reasons", List.of(java.util.Map.of("code", refusal.errorCode().name(), "message", why))));
        return refusal;
    }

    /** Audits a stream refused for its grant's state, then returns the refusal. */
    private BrokerException refused(Identity holder, Grant grant, String requestId, BrokerException refusal) {
        auditLog.append(AuditEvent.of(AuditAction.GRANT_DENIED, holder.actor())
                .with("dataset", grant.datasetId())
                .with("grant", grant.id())
                .with("purpose", grant.purpose())
                .with("requestId", requestId)
                .with("outcome", "denied")
                .with("reasons", List.of(java.util.Map.of("code", refusal.errorCode().name(), "message", refusal.getMessage()))));
        return refusal;
    }

    /**
     * What pseudonyms are keyed for: the requester's organisation and the project it named, so
     * that another organisation naming the same project still gets pseudonyms that cannot be linked.
     */
    static String pseudonymScope(Grant grant) {
        return grant.organisation() + "/" + grant.project();
    }

    /**
     * What stops a running stream before its next batch: its grant revoked (at once when this
     * broker revoked it, within {@link #REVOCATION_POLL} when another broker sharing the store
     * did; the store is asked at most once per interval per stream), or its grant expired (the
     * grant's end is the policy's time limit where it has one).
     */
    public StopCheck stopCheck(OpenedStream stream) {
        Grant grant = stream.grant();
        String grantId = grant.id();
        long[] nextPoll = {System.nanoTime() + REVOCATION_POLL.toNanos()};
        return () -> {
            Optional<String> how = revocations.why(grantId);
            if (how.isPresent()) {
                return Optional.of(new StopCheck.Stop(StreamRecord.Failure.REVOKED, "the grant was revoked " + how.get()));
            }
            if (!clock.instant().isBefore(grant.expiresAt())) {
                return Optional.of(new StopCheck.Stop(StreamRecord.Failure.EXPIRED,
                        "the grant expired at " + grant.expiresAt()));
            }
            long now = System.nanoTime();
            if (now < nextPoll[0]) {
                return Optional.empty();
            }
            nextPoll[0] = now + REVOCATION_POLL.toNanos();
            Optional<String> stored = grants.revocation(grantId);
            if (stored.isEmpty() && datasets.withdrawnAt(grant.datasetId()).isPresent()) {
                // A withdrawal that stopped before it revoked this grant still stops its streams.
                stored = Optional.of(DatasetWithdrawals.how(grant.datasetId()));
            }
            if (stored.isPresent()) {
                revocations.revoke(grantId, stored.get());
                return Optional.of(new StopCheck.Stop(StreamRecord.Failure.REVOKED, "the grant was revoked " + stored.get()));
            }
            return Optional.empty();
        };
    }

    private PolicyDecision.Permit decideAgain(Identity holder, Grant grant, Dataset dataset, ShardRequest shard,
            Optional<NodeIdentity> node, Instant now, String requestId) {
        AccessRequest request = new AccessRequest(holder.organisation(), holder.roles(), grant.purpose(),
                Optional.of(grant.columns()), now, Optional.of(grant.project()), Optional.of(grant.issuedAt()),
                grants.streamsOpened(grant.id()), node.map(GrantService::policyNode));
        return switch (Policies.decide(datasets.policy(dataset), dataset.schema(), request)) {
            case PolicyDecision.Permit permit -> permit;
            case PolicyDecision.Deny deny -> throw grants.denied(
                    AuditEvent.of(AuditAction.GRANT_DENIED, holder.actor())
                            .with("dataset", dataset.id())
                            .with("datasetVersion", dataset.version())
                            .with("policyVersion", dataset.policyVersion())
                            .with("purpose", grant.purpose())
                            .with("grant", grant.id())
                            .with("node", node.map(StreamService::nodeJson).orElse(null))
                            .with("epoch", shard.epoch())
                            .with("requestId", requestId)
                            .with("message", "decided again when a stream opened"),
                    deny, "the policy of dataset '" + dataset.id() + "' no longer permits streams under grant '"
                            + grant.id() + "'");
        };
    }

    /** Records how the stream ended, in the streams table and the audit log, in one transaction. */
    public void finish(Identity holder, OpenedStream stream, StreamOutcome outcome) {
        // Counted as sent, also when the record then fails (the bytes left all the same); once, however often retried.
        stream.meter().ended(outcome);
        Instant now = clock.instant();
        AuditAction action = outcome.status() == StreamRecord.Status.COMPLETED
                ? AuditAction.STREAM_CLOSED : AuditAction.STREAM_ABORTED;
        auditLog.append(streamEvent(action, holder, stream.grant(), stream.dataset(), stream.streamId(), stream.shard(),
                        stream.node())
                        .with("rows", outcome.rows())
                        .with("rowsIn", outcome.rowsIn())
                        .with("batches", outcome.batches())
                        .with("bytes", outcome.bytes())
                        .with("sha256", outcome.sha256())
                        .with("outcome", outcome.status().name().toLowerCase(java.util.Locale.ROOT))
                        .with("message", outcome.message().orElse(null))
                        .with("failure", outcome.failure().map(StreamRecord.Failure::wireName).orElse(null)),
                connection -> streams.finish(connection, stream.streamId(), outcome.status(), outcome.rows(),
                        outcome.rowsIn(), outcome.batches(), outcome.bytes(), outcome.sha256(), now, outcome.message(),
                        outcome.failure()));
        // The operator's view of the same end (the record above is the durable one), on the stream's thread,
        // which logs with the stream's fields.
        LOG.atInfo()
                .setMessage("stream {} {}: {} rows, {} batches, {} bytes{}")
                .addArgument(stream.streamId())
                .addArgument(outcome.status().name().toLowerCase(java.util.Locale.ROOT))
                .addArgument(outcome.rows()).addArgument(outcome.batches()).addArgument(outcome.bytes())
                .addArgument(outcome.message().map(why -> " (" + why + ")").orElse(""))
                .addKeyValue("rows", outcome.rows())
                .addKeyValue("batches", outcome.batches())
                .addKeyValue("bytes", outcome.bytes())
                .log();
    }

    /**
     * Records how far a running stream has come, for the end record a dead broker's stream gets;
     * false when the store no longer has it running (a peer closed it as interrupted).
     */
    public boolean progress(OpenedStream stream, StreamOutcome progress) {
        stream.meter().progress(progress);
        return streams.progress(stream.streamId(), progress.rows(), progress.rowsIn(), progress.batches(), progress.bytes(),
                progress.sha256());
    }

    /**
     * Closes every stream this broker identity left {@code RUNNING} (its previous process was
     * killed before it could record their end): each gets a {@code stream.interrupted} record with
     * what the store knows of it and the status {@code INTERRUPTED}. Call once at start-up, before
     * the broker serves; blocking. Returns how many were closed.
     *
     * @param includeUnowned also streams opened before streams named their broker: only safe when
     *     no other broker can be serving them (the embedded H2 store, which one process holds)
     */
    public int interruptLeftRunning(boolean includeUnowned) {
        return interrupt(streams.leftRunning(includeUnowned), left -> "broker " + streams.brokerId()
                + " stopped without recording the end of the stream opened at " + left.openedAt()
                + "; " + LAST_RECORDED);
    }

    /**
     * Closes the {@code RUNNING} streams of another broker whose heartbeat fell silent (see
     * {@link io.sluice.broker.store.HeartbeatStore}) as {@code stream.interrupted}, like
     * {@link #interruptLeftRunning}. Safe when several brokers do it at once: each stream's record
     * and status change commit together under the audit log's lock, only while the stream is
     * still running, so each stream gets one end. Blocking. Returns how many this call closed.
     */
    public int interruptStreamsOf(HeartbeatStore.SilentBroker silent, Duration peerTimeout) {
        requireNonNull(silent, "silent is null");
        requireNonNull(peerTimeout, "peerTimeout is null");
        return interrupt(streams.runningOf(silent.brokerId()), left -> "broker " + silent.brokerId()
                + " fell silent (its last heartbeat at " + silent.lastBeat() + ", more than the peer timeout of "
                + peerTimeout.toMillis() / 1000.0 + " s before broker " + streams.brokerId() + " looked) without"
                + " recording the end of the stream opened at " + left.openedAt() + "; " + LAST_RECORDED);
    }

    /** One {@code stream.interrupted} per stream still running when its record commits; returns how many. */
    private int interrupt(List<StreamRecord> running, Function<StreamRecord, String> why) {
        int closed = 0;
        for (StreamRecord left : running) {
            Optional<Grant> grant = grants.find(left.grantId());
            Actor holder = new Actor(left.subject(), left.organisation(), grant.map(Grant::roles).orElse(List.of()));
            Instant now = clock.instant();
            try {
                auditLog.append(AuditEvent.of(AuditAction.STREAM_INTERRUPTED, holder)
                                .with("dataset", grant.map(Grant::datasetId).orElse(null))
                                .with("policyVersion", grant.map(Grant::policyVersion).orElse(null))
                                .with("purpose", grant.map(Grant::purpose).orElse(null))
                                .with("grant", left.grantId())
                                .with("stream", left.id())
                                .with("shard", left.shard())
                                .with("shards", left.shards())
                                .with("epoch", left.epoch())
                                .with("rows", left.rows())
                                .with("rowsIn", left.rowsIn())
                                .with("batches", left.batches())
                                .with("bytes", left.bytes())
                                .with("sha256", left.bytes() > 0 ? left.sha256().orElse(null) : null)
                                .with("outcome", "interrupted")
                                .with("message", why.apply(left)),
                        connection -> {
                            if (!streams.interrupt(connection, left.id(), now)) {
                                throw new IllegalStateException("stream '" + left.id() + "' is no longer running");
                            }
                        });
                closed++;
            } catch (IllegalStateException e) {
                // Ended meanwhile (by its broker, another start on the same identity, or another broker's sweep).
            }
        }
        return closed;
    }

    /** How an audit record names the training node: its id, region and certificate. */
    public static java.util.Map<String, String> nodeJson(NodeIdentity node) {
        return java.util.Map.of("id", node.nodeId(), "region", node.region(), "certificate", node.certificateId());
    }

    /** A stream's record, for its holder or a compliance officer. */
    public StreamRecord status(Identity caller, String streamId) {
        StreamRecord record = streams.find(streamId).orElseThrow(() ->
                new BrokerException(BrokerErrorCode.NOT_FOUND, "stream '" + streamId + "' does not exist"));
        boolean holder = record.subject().equals(caller.subject()) && record.organisation().equals(caller.organisation());
        if (!holder && !caller.hasRole(Identity.COMPLIANCE_OFFICER)) {
            throw new BrokerException(BrokerErrorCode.FORBIDDEN,
                    "stream '" + streamId + "' belongs to another requester");
        }
        return record;
    }

    private static AuditEvent streamEvent(AuditAction action, Identity holder, Grant grant, Dataset dataset,
            String streamId, ShardRequest shard, Optional<NodeIdentity> node) {
        return AuditEvent.of(action, holder.actor())
                .with("node", node.map(StreamService::nodeJson).orElse(null))
                .with("dataset", dataset.id())
                .with("datasetVersion", dataset.version())
                .with("policyVersion", grant.policyVersion())
                .with("purpose", grant.purpose())
                .with("grant", grant.id())
                .with("stream", streamId)
                .with("shard", shard.shard())
                .with("shards", shard.shards())
                .with("epoch", shard.epoch())
                .with("seed", shard.seed().isPresent() ? shard.seed().getAsLong() : null)
                .with("from", shard.from() > 0 ? shard.from() : null);
    }
}
