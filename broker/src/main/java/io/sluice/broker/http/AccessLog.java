package io.sluice.broker.http;

import io.sluice.broker.logging.MdcScope;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the logger {@value #LOGGER}, at INFO, when the response has ended or the
 * connection closed under it (a stream cut short logs then, with the bytes it sent):
 *
 * <pre>
 * GET /v1/grants/gr-.../stream 200 1048576 B 840 ms
 * </pre>
 *
 * with the request's log fields (ids, actor, dataset, grant, stream; see {@link LogContext}) and,
 * for the JSON format, the key-value pairs {@code method}, {@code path}, {@code status},
 * {@code bytes} (body bytes written), {@code durationMs}, {@code remote} and {@code completed}
 * (false when the connection closed before the response ended). The path is logged without its
 * query: the queries of this API carry only shard numbers and page positions, which the audit
 * records hold where they matter, and leaving every query out keeps whatever a client might put
 * there out of the log.
 */
public final class AccessLog {
    public static final String LOGGER = "sluice.access";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private AccessLog() {}

    /** The first handler of every route: notes the start and logs the line at the end. */
    public static void handle(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(result -> log(ctx, start, result.succeeded()));
        ctx.next();
    }

    private static void log(RoutingContext ctx, long start, boolean completed) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        long durationMs = (System.nanoTime() - start) / 1_000_000;
        SocketAddress remote = request.remoteAddress();
        String method = request.method().name();
        String path = request.path();
        int status = response.getStatusCode();
        long bytes = response.bytesWritten();
        try (MdcScope scope = LogContext.open(ctx)) {
            LOG.atInfo()
                    .setMessage("{} {} {} {} B {} ms{}")
                    .addArgument(method).addArgument(path).addArgument(status).addArgument(bytes)
                    .addArgument(durationMs).addArgument(completed ? "" : " (connection closed before the end)")
                    .addKeyValue("method", method)
                    .addKeyValue("path", path)
                    .addKeyValue("status", status)
                    .addKeyValue("bytes", bytes)
                    .addKeyValue("durationMs", durationMs)
                    .addKeyValue("remote", remote == null ? null : remote.hostAddress())
                    .addKeyValue("completed", completed)
                    .log();
        }
    }
}
