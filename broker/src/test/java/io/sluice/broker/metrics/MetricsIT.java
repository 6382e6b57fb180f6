package io.sluice.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.NoBrokerThreadLeft;
import io.sluice.broker.Poll;
import io.sluice.broker.TestHttp;
import io.sluice.broker.TestParquet;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes {@code /metrics} after a known workload and checks the numbers: the counts of the
 * workload exactly, the bytes against what the streams' status says they sent, the decision
 * counters against the audit log, and the gauges back at rest.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class MetricsIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int ROWS = 1000;
    private static final int GRANTS = 3;
    private static final int STREAMS = 2;

    @TempDir
    Path dir;

    @Test
    void countsAKnownWorkloadExactly() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir);
        TestParquet.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), ROWS);
        try (Broker broker = Broker.start(config)) {
            String owner = TestHttp.devToken(broker, "dr-weber", "hospital-a", "data-owner");
            String lab = TestHttp.devToken(broker, "trainer-7", "ai-lab", "data-consumer");
            String colleague = TestHttp.devToken(broker, "trainer-8", "ai-lab", "data-consumer");
            String stranger = TestHttp.devToken(broker, "intruder", "other-lab", "data-consumer");
            String auditor = TestHttp.devToken(broker, "ines", "ehds-authority", "compliance-officer");
            var registered = TestHttp.post(broker, "/v1/datasets", owner, """
                    {"name": "patients", "source": {"type": "parquet", "path": "patients.parquet"},
                     "policy": {"@type": "Set", "permission": [{"action": "use", "constraint": [
                       {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                       {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}],
                       "duty": [{"action": "sluice:drop", "target": ["name"]}]}]}}""");
            assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
            String datasetId = TestHttp.id(registered.body());
            String request = "{\"dataset\":\"" + datasetId + "\",\"purpose\":\"%s\"}";

            List<String> grantIds = new ArrayList<>();
            for (int i = 0; i < GRANTS; i++) {
                var issued = TestHttp.post(broker, "/v1/grants", lab, request.formatted("medical-research"));
                assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
                grantIds.add(TestHttp.id(issued.body()));
            }
            // Denied: twice for the purpose, once for the organisation, once for another holder's grant.
            for (int i = 0; i < 2; i++) {
                assertThat(TestHttp.post(broker, "/v1/grants", lab, request.formatted("marketing")).statusCode())
                        .isEqualTo(403);
            }
            assertThat(TestHttp.post(broker, "/v1/grants", stranger, request.formatted("medical-research"))
                    .statusCode()).isEqualTo(403);
            assertThat(TestHttp.get(broker, "/v1/grants/" + grantIds.getFirst() + "/stream", colleague).statusCode())
                    .isEqualTo(403);
            // Authentication failures: a forged token, none at all, a role the route does not admit.
            assertThat(TestHttp.get(broker, "/v1/catalog", forged(lab)).statusCode()).isEqualTo(401);
            assertThat(TestHttp.get(broker, "/v1/catalog", null).statusCode()).isEqualTo(401);
            assertThat(TestHttp.post(broker, "/v1/datasets", lab, "{}").statusCode()).isEqualTo(403);

            long bytesReceived = 0;
            long bytesRecorded = 0;
            for (int i = 0; i < STREAMS; i++) {
                HttpResponse<byte[]> stream = HTTP.send(HttpRequest.newBuilder(
                                broker.uri().resolve("/v1/grants/" + grantIds.get(i) + "/stream"))
                        .header("Authorization", "Bearer " + lab).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(stream.statusCode()).isEqualTo(200);
                bytesReceived += stream.body().length;
                String streamId = stream.headers().firstValue("Sluice-Stream-Id").orElseThrow();
                JsonObject status = new JsonObject(TestHttp.getText(broker, "/v1/streams/" + streamId, lab));
                assertThat(status.getString("status")).isEqualTo("completed");
                assertThat(status.getLong("rows")).isEqualTo(ROWS);
                bytesRecorded += status.getLong("bytes");
            }
            assertThat(bytesRecorded).isEqualTo(bytesReceived);

            // At rest: every stream's place given back, every Arrow buffer released.
            Poll.until(() -> {
                PrometheusText now = scrape(broker);
                return now.value("sluice_streams_running") == 0 && now.value("sluice_arrow_allocated_bytes") == 0;
            }, Duration.ofSeconds(20), "no stream running and no Arrow memory held");

            Map<String, Long> audited = Map.of(
                    "grant.issued", auditCount(broker, auditor, "grant.issued"),
                    "grant.denied", auditCount(broker, auditor, "grant.denied"),
                    "auth.failed", auditCount(broker, auditor, "auth.failed"),
                    "stream.opened", auditCount(broker, auditor, "stream.opened"),
                    "stream.closed", auditCount(broker, auditor, "stream.closed"));
            long treeSize = TestHttp.get(broker, "/v1/audit/checkpoint", auditor).headers()
                    .firstValue("Sluice-Tree-Size").map(Long::parseLong).orElseThrow();
            HttpResponse<String> scraped = TestHttp.get(broker, "/metrics", null);
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.headers().firstValue("Content-Type")).hasValue(BrokerMetrics.PROMETHEUS_TEXT);
            PrometheusText metrics = PrometheusText.parse(scraped.body());

            assertThat(metrics.value("sluice_grants_issued_total")).isEqualTo(GRANTS);
            assertThat(metrics.value("sluice_grants_denied_total", Map.of("reason", "PURPOSE_NOT_PERMITTED")))
                    .isEqualTo(2);
            assertThat(metrics.value("sluice_grants_denied_total", Map.of("reason", "ORGANISATION_NOT_PERMITTED")))
                    .isEqualTo(1);
            assertThat(metrics.value("sluice_grants_denied_total", Map.of("reason", "NOT_GRANT_HOLDER"))).isEqualTo(1);
            assertThat(metrics.sum("sluice_grants_denied_total", Map.of())).isEqualTo(4);
            assertThat(metrics.value("sluice_auth_failures_total", Map.of("reason", "INVALID_TOKEN"))).isEqualTo(1);
            assertThat(metrics.value("sluice_auth_failures_total", Map.of("reason", "MISSING_TOKEN"))).isEqualTo(1);
            assertThat(metrics.value("sluice_auth_failures_total", Map.of("reason", "MISSING_ROLE"))).isEqualTo(1);
            assertThat(metrics.sum("sluice_auth_failures_total", Map.of())).isEqualTo(3);

            assertThat(metrics.value("sluice_streams_opened_total")).isEqualTo(STREAMS);
            assertThat(metrics.value("sluice_streams_ended_total", Map.of("outcome", "completed", "failure", "none")))
                    .isEqualTo(STREAMS);
            assertThat(metrics.sum("sluice_streams_ended_total", Map.of())).isEqualTo(STREAMS);
            assertThat(metrics.value("sluice_stream_sent_rows_total")).isEqualTo(STREAMS * ROWS);
            assertThat(metrics.value("sluice_stream_sent_bytes_total")).isEqualTo(bytesRecorded);
            assertThat(metrics.value("sluice_stream_duration_seconds_count", Map.of("outcome", "completed")))
                    .isEqualTo(STREAMS);
            assertThat(metrics.value("sluice_stream_duration_seconds_bucket", Map.of("outcome", "completed",
                    "le", "+Inf"))).isEqualTo(STREAMS);
            assertThat(metrics.value("sluice_streams_running")).isZero();

            // The decision counters are the audit log's records, one for one.
            audited.forEach((action, count) -> assertThat(metrics.value("sluice_audit_records_total",
                    Map.of("action", action))).as(action).isEqualTo(count.doubleValue()));
            assertThat(audited).containsEntry("grant.denied", 4L).containsEntry("auth.failed", 3L);
            double records = metrics.sum("sluice_audit_records_total", Map.of());
            assertThat(records).isEqualTo(treeSize);
            assertThat(metrics.value("sluice_audit_commit_records_sum")).isEqualTo(records);
            assertThat(metrics.value("sluice_audit_commit_records_count")).isBetween(1.0, records);
            assertThat(metrics.value("sluice_audit_commit_seconds_count")).isEqualTo(
                    metrics.value("sluice_audit_commit_records_count"));
            assertThat(metrics.value("sluice_audit_commit_failures_total")).isZero();
            assertThat(metrics.value("sluice_audit_queue_depth")).isZero();
            assertThat(metrics.value("sluice_audit_checkpoint_age_seconds")).isFinite().isBetween(0.0, 60.0);
            assertThat(metrics.value("sluice_audit_unsigned_records")).isBetween(0.0, records);

            assertThat(metrics.value("hikaricp_connections_max", Map.of("pool", "sluice-store"))).isEqualTo(8);
            assertThat(metrics.value("hikaricp_connections_active", Map.of("pool", "sluice-store")))
                    .isBetween(0.0, 8.0);
            assertThat(metrics.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
            assertThat(metrics.matching("jvm_buffer_memory_used_bytes", Map.of("id", "direct"))).hasSize(1);
            assertThat(metrics.value("sluice_arrow_allocated_peak_bytes")).isPositive();

            // Counts only: no identity, organisation, dataset or grant ever becomes a label.
            assertThat(scraped.body()).doesNotContain("trainer-7", "ai-lab", "hospital-a", "other-lab",
                    "medical-research", datasetId, grantIds.getFirst());
        }
    }

    @Test
    void answersOpenMetricsWhenAskedAndNeedsNoToken() throws Exception {
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            HttpResponse<String> openMetrics = HTTP.send(HttpRequest.newBuilder(broker.uri().resolve("/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(openMetrics.statusCode()).isEqualTo(200);
            assertThat(openMetrics.headers().firstValue("Content-Type")).hasValue(BrokerMetrics.OPENMETRICS_TEXT);
            assertThat(openMetrics.body()).contains("# TYPE sluice_grants_issued counter").endsWith("# EOF\n");

            PrometheusText text = PrometheusText.parse(TestHttp.getText(broker, "/metrics", null));
            // Scrapes are not refusals: nothing was audited and no failure counted.
            assertThat(text.sum("sluice_auth_failures_total", Map.of())).isZero();
            assertThat(text.sum("sluice_audit_records_total", Map.of())).isZero();
            assertThat(text.value("sluice_audit_checkpoint_age_seconds")).isFinite().isGreaterThanOrEqualTo(0.0);
            assertThat(text.value("sluice_stream_sent_bytes_total")).isCloseTo(0.0, within(0.0));
        }
    }

    /** The token with its claims changed and its signature kept: a forgery. */
    private static String forged(String token) {
        String[] parts = token.split("\\.");
        JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        claims.put("realm_access", new JsonObject().put("roles", List.of("data-owner", "compliance-officer")));
        String payload = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        return parts[0] + "." + payload + "." + parts[2];
    }

    private static long auditCount(Broker broker, String auditor, String action) throws Exception {
        return new JsonObject(TestHttp.getText(broker, "/v1/audit?action=" + action + "&limit=1000", auditor))
                .getJsonArray("records").size();
    }

    private static PrometheusText scrape(Broker broker) {
        try {
            return PrometheusText.parse(TestHttp.getText(broker, "/metrics", null));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
