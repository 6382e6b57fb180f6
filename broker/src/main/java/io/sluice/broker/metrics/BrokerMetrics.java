package io.sluice.broker.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditCheckpoints;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.auth.AuthFailureReason;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.StreamRecord;
import io.sluice.broker.stream.RunningStreams;
import io.sluice.policy.ReasonCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The broker's metrics, in one Micrometer registry scraped in the Prometheus formats at
 * {@code GET /metrics}. Made by {@code Broker.start}, closed by {@code Broker.close}.
 *
 * <p>Where each number comes from:
 * <ul>
 *   <li>decisions (grants issued, grants denied by reason, authentication failures by reason,
 *       records by action) are counted from the audit records as they commit ({@link
 *       AuditLog.CommitListener}), so they agree with the log by construction and every path
 *       that records a refusal is counted, also one added later;
 *   <li>streams (opened, ended by outcome, rows and bytes sent, duration) by the stream service,
 *       through one {@link StreamMeter} per stream, as the stream runs;
 *   <li>gauges (running streams, audit queue, checkpoint age, Arrow memory) read live state when
 *       scraped; the store pool's through HikariCP's Micrometer tracker; JVM memory (heap, non-heap,
 *       the direct and mapped buffer pools), GC, threads, classes, CPU and uptime through
 *       Micrometer's binders.
 * </ul>
 *
 * <p>Every label value comes from a closed set (an enum's names, or {@code OTHER}): no path, id,
 * organisation or subject ever becomes a label, so the number of series is fixed.
 *
 * <p>Thread-safe. Scraping reads gauges that take locks briefly (the running streams): call
 * {@link #scrape} off the event loop.
 */
public final class BrokerMetrics implements AuditLog.CommitListener, AutoCloseable {
    /** The Prometheus text format, what a scraper gets unless it asks for OpenMetrics. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** OpenMetrics text, for a scraper whose {@code Accept} names it. */
    public static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    /** The label value of a reason code outside the known set (never expected; bounds the series if it happens). */
    static final String OTHER = "OTHER";
    /** The {@code failure} label of a stream that completed. */
    static final String NO_FAILURE = "none";

    /** Stream durations: from a second to a day, where training reads fall. */
    private static final Duration[] STREAM_BUCKETS = Stream.of("PT0.1S", "PT0.5S", "PT1S", "PT5S", "PT10S", "PT30S",
            "PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT3H", "PT6H", "PT24H").map(Duration::parse)
            .toArray(Duration[]::new);
    /** Group commits: a local H2 commit takes about a millisecond, a PostgreSQL one a few. */
    private static final Duration[] COMMIT_BUCKETS = Stream.of(0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0,
            500.0, 1000.0, 2500.0, 5000.0).map(ms -> Duration.ofNanos((long) (ms * 1_000_000))).toArray(Duration[]::new);
    /** Records per group commit: up to the writer's batch of 512. */
    private static final double[] COMMIT_SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

    /**
     * The codes a {@code grant.denied} record's reasons use: the policy engine's, the broker's
     * error codes (a refused request body, a stream refused for its grant's state or for want of
     * a place), and a stream asked for under another requester's grant.
     */
    static final Set<String> DENIAL_REASONS = Stream.of(
                    Arrays.stream(ReasonCode.values()).map(Enum::name),
                    Arrays.stream(BrokerErrorCode.values()).map(Enum::name),
                    Stream.of("NOT_GRANT_HOLDER", OTHER))
            .flatMap(s -> s).collect(Collectors.toUnmodifiableSet());
    /** The codes an {@code auth.failed} record's reason uses. */
    static final Set<String> AUTH_FAILURE_REASONS = Stream.concat(
                    Arrays.stream(AuthFailureReason.values()).map(Enum::name), Stream.of(OTHER))
            .collect(Collectors.toUnmodifiableSet());

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Counter grantsIssued;
    private final Map<String, Counter> grantsDenied = new HashMap<>();
    private final Map<String, Counter> authFailures = new HashMap<>();
    private final Map<AuditAction, Counter> records = new EnumMap<>(AuditAction.class);
    private final Timer commits;
    private final DistributionSummary commitSizes;
    private final Counter commitFailures;
    private final Counter streamsOpened;
    private final Counter rowsSent;
    private final Counter bytesSent;
    private final Map<String, Counter> streamsEnded = new HashMap<>();
    private final Map<StreamRecord.Status, Timer> streamDurations = new EnumMap<>(StreamRecord.Status.class);

    /** A registry with the JVM's metrics and every counter of the broker at zero. */
    public BrokerMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);

        grantsIssued = Counter.builder("sluice.grants.issued").description("Grants issued (grant.issued records)")
                .register(registry);
        // Every label value is registered at zero, so a rate sees the first denial and a dashboard shows every reason.
        for (String reason : DENIAL_REASONS) {
            grantsDenied.put(reason, Counter.builder("sluice.grants.denied")
                    .description("Refused grant and stream requests (grant.denied records), by the first reason's code")
                    .tag("reason", reason).register(registry));
        }
        for (String reason : AUTH_FAILURE_REASONS) {
            authFailures.put(reason, Counter.builder("sluice.auth.failures")
                    .description("Requests refused for want of identity or right (auth.failed records), by reason")
                    .tag("reason", reason).register(registry));
        }
        for (AuditAction action : AuditAction.values()) {
            records.put(action, Counter.builder("sluice.audit.records")
                    .description("Audit records this broker committed, by action")
                    .tag("action", action.wireName()).register(registry));
        }
        commits = Timer.builder("sluice.audit.commit")
                .description("How long one group commit of the audit log took (lock, insert, commit), for commits of records")
                .serviceLevelObjectives(COMMIT_BUCKETS).register(registry);
        commitSizes = DistributionSummary.builder("sluice.audit.commit.records").baseUnit("records")
                .description("Records in one group commit of the audit log")
                .serviceLevelObjectives(COMMIT_SIZE_BUCKETS).register(registry);
        commitFailures = Counter.builder("sluice.audit.commit.failures")
                .description("Group commits of the audit log that failed (their appends answered 503)")
                .register(registry);

        streamsOpened = Counter.builder("sluice.streams.opened").description("Streams opened (stream.opened records)")
                .register(registry);
        rowsSent = Counter.builder("sluice.stream.sent.rows").description("Rows handed to stream responses")
                .register(registry);
        bytesSent = Counter.builder("sluice.stream.sent").baseUnit(BaseUnits.BYTES)
                .description("Arrow IPC bytes handed to stream responses").register(registry);
        for (StreamRecord.Status status : List.of(StreamRecord.Status.COMPLETED, StreamRecord.Status.ABORTED)) {
            streamDurations.put(status, Timer.builder("sluice.stream.duration")
                    .description("How long streams ran, from the opening record to the end, by outcome")
                    .tag("outcome", outcome(status)).serviceLevelObjectives(STREAM_BUCKETS).register(registry));
        }
        endedCounter(StreamRecord.Status.COMPLETED, NO_FAILURE);
        for (StreamRecord.Failure failure : StreamRecord.Failure.values()) {
            endedCounter(StreamRecord.Status.ABORTED, failure.wireName());
        }
    }

    /** The registry, for binding other components' meters (the store pool's). */
    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Adds the gauges that read the broker's live state when scraped. The objects are held
     * strongly: they live as long as the broker, and so does this registry.
     */
    public void watch(RunningStreams running, AuditLog auditLog, AuditCheckpoints checkpoints,
            BufferAllocator allocator, Database database, Clock clock) {
        requireNonNull(running, "running is null");
        requireNonNull(auditLog, "auditLog is null");
        requireNonNull(checkpoints, "checkpoints is null");
        requireNonNull(allocator, "allocator is null");
        requireNonNull(database, "database is null");
        requireNonNull(clock, "clock is null");
        Gauge.builder("sluice.streams.running", running, RunningStreams::size).strongReference(true)
                .description("Streams admitted and not yet ended (opening or sending)").register(registry);
        Gauge.builder("sluice.audit.queue.depth", auditLog, AuditLog::queued).strongReference(true)
                .description("Audit appends waiting for the writer").register(registry);
        Gauge.builder("sluice.audit.checkpoint.age", checkpoints, c -> checkpointAgeSeconds(c, clock))
                .strongReference(true).baseUnit("seconds")
                .description("Time since the newest signed checkpoint was signed (it grows while the log is idle)")
                .register(registry);
        Gauge.builder("sluice.audit.unsigned.records", checkpoints, c -> unsignedRecords(c, auditLog))
                .strongReference(true).description("Audit records no signed checkpoint covers yet").register(registry);
        Gauge.builder("sluice.arrow.allocated", allocator, BufferAllocator::getAllocatedMemory).strongReference(true)
                .baseUnit(BaseUnits.BYTES).description("Arrow memory the broker's streams hold now (off-heap)")
                .register(registry);
        Gauge.builder("sluice.arrow.allocated.peak", allocator, BufferAllocator::getPeakMemoryAllocation)
                .strongReference(true).baseUnit(BaseUnits.BYTES)
                .description("The most Arrow memory held at once since the broker started").register(registry);
        database.recordMetrics(registry);
    }

    /** A stream was opened (its record committed); its meter counts what it sends and how it ends. */
    public StreamMeter streamOpened() {
        streamsOpened.increment();
        return new StreamMeter(this, System.nanoTime());
    }

    /** Counts rows and bytes sent, as they are sent. */
    void sent(long rows, long bytes) {
        rowsSent.increment(rows);
        bytesSent.increment(bytes);
    }

    /** Counts one stream's end and its duration. */
    void ended(StreamRecord.Status status, Optional<StreamRecord.Failure> failure, long nanos) {
        String failureLabel = failure.map(StreamRecord.Failure::wireName).orElse(NO_FAILURE);
        endedCounter(status, failureLabel).increment();
        Timer duration = streamDurations.get(status);
        if (duration != null) {
            duration.record(Duration.ofNanos(nanos));
        }
    }

    private Counter endedCounter(StreamRecord.Status status, String failure) {
        synchronized (streamsEnded) {
            return streamsEnded.computeIfAbsent(outcome(status) + "/" + failure, key -> Counter.builder("sluice.streams.ended")
                    .description("Streams ended, by outcome and, for an aborted one, the kind of failure")
                    .tag("outcome", outcome(status)).tag("failure", failure).register(registry));
        }
    }

    @Override
    public void committed(List<AuditEvent> appended, Duration took) {
        if (appended.isEmpty()) {
            return; // a catch-up with other brokers' records (the checkpoint signer asks every second), not a group commit
        }
        commits.record(took);
        commitSizes.record(appended.size());
        for (AuditEvent event : appended) {
            records.get(event.action()).increment();
            switch (event.action()) {
                case GRANT_ISSUED -> grantsIssued.increment();
                case GRANT_DENIED -> grantsDenied.get(label(firstReason(event), DENIAL_REASONS)).increment();
                case AUTH_FAILED -> authFailures.get(label(firstReason(event), AUTH_FAILURE_REASONS)).increment();
                default -> { }
            }
        }
    }

    @Override
    public void failed(int appends, Duration took) {
        commits.record(took);
        commitFailures.increment();
    }

    /** The text for a scraper whose {@code Accept} header is {@code accept} (null: none), in {@link #contentType}. */
    public byte[] scrape(String accept) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            registry.scrape(out, contentType(accept));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    /** OpenMetrics when the scraper asks for it, else the Prometheus text format (never protobuf). */
    public static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    /** The label for a reason code: itself when it is one of {@code known}, else {@link #OTHER}. */
    static String label(Optional<String> code, Set<String> known) {
        return code.filter(known::contains).orElse(OTHER);
    }

    /** The code of a record's first reason: the one a denial is counted under. */
    static Optional<String> firstReason(AuditEvent event) {
        if (event.details().get("reasons") instanceof List<?> reasons && !reasons.isEmpty()
                && reasons.getFirst() instanceof Map<?, ?> reason && reason.get("code") instanceof String code) {
            return Optional.of(code);
        }
        return Optional.empty();
    }

    private static String outcome(StreamRecord.Status status) {
        return status.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static double checkpointAgeSeconds(AuditCheckpoints checkpoints, Clock clock) {
        return checkpoints.newest()
                .map(signed -> Duration.between(signed.signedAt(), clock.instant()).toMillis() / 1000.0)
                .orElse(Double.NaN);
    }

    private static double unsignedRecords(AuditCheckpoints checkpoints, AuditLog auditLog) {
        return Math.max(0, auditLog.size() - checkpoints.newest().map(AuditCheckpoints.Signed::size).orElse(0L));
    }
}
