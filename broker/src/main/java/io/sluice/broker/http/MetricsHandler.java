package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.metrics.BrokerMetrics;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics}: the broker's metrics in the Prometheus text format, or OpenMetrics when
 * the scraper's {@code Accept} asks for it. Scraped on a worker thread: the gauges read live state
 * under locks and the text runs to tens of kilobytes.
 */
final class MetricsHandler implements Handler<RoutingContext> {
    static final String PATH = "/metrics";

    private final BrokerMetrics metrics;

    private MetricsHandler(BrokerMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    static MetricsHandler create(BrokerMetrics metrics) {
        return new MetricsHandler(metrics);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String accept = ctx.request().getHeader("Accept");
        Blocking.run(ctx, () -> metrics.scrape(accept), (c, text) -> c.response().setStatusCode(200)
                .putHeader("Content-Type", BrokerMetrics.contentType(accept))
                .putHeader("Cache-Control", "no-store")
                .end(Buffer.buffer(text)));
    }
}
