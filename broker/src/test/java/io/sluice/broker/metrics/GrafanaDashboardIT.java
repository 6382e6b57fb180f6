package io.sluice.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.broker.NoBrokerThreadLeft;
import io.sluice.broker.Poll;
import io.sluice.broker.TestHttp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard in {@code deploy/grafana} cannot rot: every metric its queries name is in
 * a real scrape of a broker that has done nothing yet, every label they filter or group by is on
 * that metric, and every label value they match exactly is one the broker writes.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class GrafanaDashboardIT {
    static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "sluice-dashboard.json");
    /** Metric names: the broker's own and those of the libraries it binds. */
    private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|hikaricp|process|system)_[a-z0-9_]+\\b");
    private static final Pattern SELECTOR = Pattern.compile("\\b([a-z][a-z0-9_]*)\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
    /** Labels Prometheus adds when it scrapes, and the histogram bucket bound. */
    private static final Set<String> SCRAPE_LABELS = Set.of("instance", "job", "le");

    @TempDir
    Path dir;

    @Test
    void everyQueryNamesMetricsAndLabelsABrokerExports() throws Exception {
        JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
        List<String> queries = queries(dashboard);
        try (Broker broker = Broker.start(BrokerConfig.embedded(dir))) {
            // GC pauses are exported once the JVM has paused for one; ask for one rather than wait.
            System.gc();
            Poll.until(() -> scrape(broker).names().contains("jvm_gc_pause_seconds_count"), Duration.ofSeconds(10),
                    "a GC pause in the scrape");
            PrometheusText scrape = scrape(broker);
            Set<String> names = scrape.names();
            for (String query : queries) {
                Set<String> used = metrics(query);
                assertThat(used).as("metrics in %s", query).isNotEmpty();
                assertThat(names).as("the scrape has the metrics of %s", query).containsAll(used);
                checkSelectors(scrape, query);
                for (String label : grouping(query)) {
                    assertThat(used.stream().anyMatch(metric -> hasLabel(scrape, metric, label)))
                            .as("a metric of %s has the label %s it groups by", query, label).isTrue();
                }
            }
        }
    }

    @Test
    void everyPanelQueriesTheChosenPrometheus() throws Exception {
        JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
        JsonArray variables = dashboard.getJsonObject("templating").getJsonArray("list");
        assertThat(variables.stream().map(JsonObject.class::cast)
                .filter(v -> "datasource".equals(v.getString("type")) && "prometheus".equals(v.getString("query")))
                .map(v -> v.getString("name"))).containsExactly("datasource");
        List<JsonObject> panels = panels(dashboard).filter(p -> !"row".equals(p.getString("type"))).toList();
        assertThat(panels).hasSizeGreaterThanOrEqualTo(15);
        for (JsonObject panel : panels) {
            assertThat(panel.getJsonObject("datasource").getString("uid")).as(panel.getString("title"))
                    .isEqualTo("${datasource}");
            assertThat(panel.getJsonArray("targets")).as(panel.getString("title")).isNotEmpty();
        }
        // The broker's own metrics each have a panel.
        String all = String.join("\n", queries(dashboard));
        assertThat(all).contains("sluice_streams_running", "sluice_stream_sent_rows_total",
                "sluice_stream_sent_bytes_total", "sluice_stream_duration_seconds_bucket", "sluice_grants_issued_total",
                "sluice_grants_denied_total", "sluice_auth_failures_total", "sluice_audit_queue_depth",
                "sluice_audit_commit_seconds_bucket", "sluice_audit_commit_records_sum",
                "sluice_audit_checkpoint_age_seconds", "hikaricp_connections_active", "sluice_arrow_allocated_bytes",
                "jvm_buffer_memory_used_bytes", "jvm_memory_used_bytes");
    }

    /** Every selector's label matchers: the label is on the metric, and an exact value is one it has. */
    private static void checkSelectors(PrometheusText scrape, String query) {
        Matcher selector = SELECTOR.matcher(query);
        while (selector.find()) {
            String metric = selector.group(1);
            Matcher matcher = MATCHER.matcher(selector.group(2));
            while (matcher.find()) {
                String label = matcher.group(1);
                if (SCRAPE_LABELS.contains(label)) {
                    continue;
                }
                assertThat(hasLabel(scrape, metric, label)).as("%s has the label %s (%s)", metric, label, query)
                        .isTrue();
                if (matcher.group(2).equals("=")) {
                    assertThat(scrape.matching(metric, Map.of(label, matcher.group(3))))
                            .as("%s has %s=\"%s\" (%s)", metric, label, matcher.group(3), query).isNotEmpty();
                }
            }
        }
    }

    private static boolean hasLabel(PrometheusText scrape, String metric, String label) {
        return SCRAPE_LABELS.contains(label)
                || scrape.matching(metric, Map.of()).stream().anyMatch(s -> s.labels().containsKey(label));
    }

    private static Set<String> metrics(String query) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = METRIC.matcher(query);
        while (matcher.find()) {
            names.add(matcher.group());
        }
        return names;
    }

    private static List<String> grouping(String query) {
        List<String> labels = new ArrayList<>();
        Matcher matcher = GROUPING.matcher(query);
        while (matcher.find()) {
            for (String label : matcher.group(1).split(",")) {
                if (!label.isBlank()) {
                    labels.add(label.strip());
                }
            }
        }
        return labels;
    }

    /** The panels' queries and the template variables' queries. */
    static List<String> queries(JsonObject dashboard) {
        List<String> queries = new ArrayList<>();
        panels(dashboard).forEach(panel -> {
            JsonArray targets = panel.getJsonArray("targets", new JsonArray());
            targets.stream().map(JsonObject.class::cast).forEach(t -> queries.add(t.getString("expr")));
        });
        dashboard.getJsonObject("templating").getJsonArray("list").stream().map(JsonObject.class::cast)
                .filter(v -> "query".equals(v.getString("type")))
                .forEach(v -> queries.add(v.getJsonObject("query").getString("query")));
        assertThat(queries).doesNotContainNull();
        return queries;
    }

    private static Stream<JsonObject> panels(JsonObject dashboard) {
        return dashboard.getJsonArray("panels").stream().map(JsonObject.class::cast);
    }

    private static PrometheusText scrape(Broker broker) {
        try {
            return PrometheusText.parse(TestHttp.getText(broker, "/metrics", null));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
