package io.sluice.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.audit.Actor;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.store.StreamRecord;
import io.sluice.broker.stream.StreamOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BrokerMetricsTest {
    private static final String SHA = "0".repeat(64);
    private final BrokerMetrics metrics = new BrokerMetrics();

    @AfterEach
    void close() {
        metrics.close();
    }

    @Test
    void countsAStreamsBytesOnceWhetherToldAsItRunsOrAtItsEnd() {
        StreamMeter meter = metrics.streamOpened();
        meter.progress(running(100, 4_000));
        meter.progress(running(250, 9_000));
        assertThat(counter("sluice.stream.sent.rows")).isEqualTo(250);
        assertThat(counter("sluice.stream.sent")).isEqualTo(9_000);

        StreamOutcome end = new StreamOutcome(StreamRecord.Status.ABORTED, 300, 300, 3, 10_500, SHA,
                Optional.of("the client disconnected"), Optional.of(StreamRecord.Failure.CLIENT));
        meter.ended(end);
        meter.ended(end); // a retried end record
        meter.progress(running(400, 20_000)); // too late: ignored

        assertThat(counter("sluice.stream.sent.rows")).isEqualTo(300);
        assertThat(counter("sluice.stream.sent")).isEqualTo(10_500);
        assertThat(counter("sluice.streams.opened")).isEqualTo(1);
        assertThat(metrics.registry().get("sluice.streams.ended").tags("outcome", "aborted", "failure", "client")
                .counter().count()).isEqualTo(1);
        assertThat(metrics.registry().get("sluice.streams.ended").counters().stream().mapToDouble(c -> c.count())
                .sum()).isEqualTo(1);
        assertThat(metrics.registry().get("sluice.stream.duration").tags("outcome", "aborted").timer().count())
                .isEqualTo(1);
        assertThat(metrics.registry().get("sluice.stream.duration").tags("outcome", "completed").timer().count())
                .isZero();
    }

    @Test
    void countsDecisionsFromCommittedRecordsUnderTheirFirstReason() {
        metrics.committed(List.of(
                AuditEvent.of(AuditAction.GRANT_ISSUED, Actor.anonymous()),
                denied("PURPOSE_NOT_PERMITTED", "ORGANISATION_NOT_PERMITTED"),
                denied("TOO_MANY_STREAMS"),
                denied("a reason nobody declared"),
                AuditEvent.of(AuditAction.GRANT_DENIED, Actor.anonymous()),
                AuditEvent.of(AuditAction.AUTH_FAILED, Actor.anonymous()).with("reasons",
                        List.of(Map.of("code", "MISSING_ROLE", "message", "requires role data-owner")))),
                Duration.ofMillis(3));

        assertThat(counter("sluice.grants.issued")).isEqualTo(1);
        assertThat(denials("PURPOSE_NOT_PERMITTED")).isEqualTo(1);
        assertThat(denials("ORGANISATION_NOT_PERMITTED")).isZero();
        assertThat(denials("TOO_MANY_STREAMS")).isEqualTo(1);
        // Free text never becomes a label: an unknown code, or none, is OTHER.
        assertThat(denials(BrokerMetrics.OTHER)).isEqualTo(2);
        assertThat(metrics.registry().find("sluice.grants.denied").tag("reason", "a reason nobody declared")
                .counter()).isNull();
        assertThat(metrics.registry().get("sluice.auth.failures").tag("reason", "MISSING_ROLE").counter().count())
                .isEqualTo(1);
        assertThat(metrics.registry().get("sluice.audit.records").tag("action", "grant.denied").counter().count())
                .isEqualTo(4);
        assertThat(metrics.registry().get("sluice.audit.commit.records").summary().totalAmount()).isEqualTo(6);
        assertThat(metrics.registry().get("sluice.audit.commit").timer().count()).isEqualTo(1);
    }

    @Test
    void aCatchUpWithoutRecordsIsNoGroupCommit() {
        metrics.committed(List.of(), Duration.ofMillis(1));
        metrics.failed(3, Duration.ofMillis(40));

        assertThat(metrics.registry().get("sluice.audit.commit.records").summary().count()).isZero();
        assertThat(metrics.registry().get("sluice.audit.commit").timer().count()).isEqualTo(1);
        assertThat(counter("sluice.audit.commit.failures")).isEqualTo(1);
    }

    @Test
    void answersOpenMetricsOnlyWhenAskedForIt() {
        assertThat(BrokerMetrics.contentType(null)).isEqualTo(BrokerMetrics.PROMETHEUS_TEXT);
        assertThat(BrokerMetrics.contentType("*/*")).isEqualTo(BrokerMetrics.PROMETHEUS_TEXT);
        // Protobuf is never answered: the broker writes text only.
        assertThat(BrokerMetrics.contentType("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                + "encoding=delimited")).isEqualTo(BrokerMetrics.PROMETHEUS_TEXT);
        assertThat(BrokerMetrics.contentType("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"))
                .isEqualTo(BrokerMetrics.OPENMETRICS_TEXT);
        assertThat(new String(metrics.scrape("application/openmetrics-text"), java.nio.charset.StandardCharsets.UTF_8))
                .endsWith("# EOF\n");
    }

    private static StreamOutcome running(long rows, long bytes) {
        return new StreamOutcome(StreamRecord.Status.RUNNING, rows, rows, 1, bytes, SHA, Optional.empty(),
                Optional.empty());
    }

    private static AuditEvent denied(String... codes) {
        return AuditEvent.of(AuditAction.GRANT_DENIED, Actor.anonymous()).with("reasons",
                java.util.Arrays.stream(codes).map(code -> Map.of("code", code, "message", "why")).toList());
    }

    private double counter(String name) {
        return metrics.registry().get(name).counter().count();
    }

    private double denials(String reason) {
        return metrics.registry().get("sluice.grants.denied").tag("reason", reason).counter().count();
    }
}
