package io.sluice.broker.http;

import io.sluice.broker.logging.MdcScope;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * Runs blocking work (JDBC, file reads) on the worker pool and continues on the event loop. The work
 * logs with the request's log fields ({@link LogContext}), taken on the event loop before it leaves.
 */
final class Blocking {
    private Blocking() {}

    /** Runs {@code work} off the event loop; its result goes to {@code then}, a failure to the error handler. */
    static <T> void run(RoutingContext ctx, Callable<T> work, BiConsumer<RoutingContext, T> then) {
        Vertx vertx = ctx.vertx();
        vertx.executeBlocking(withLogFields(ctx, work), false).onComplete(result -> done(ctx, result, then));
    }

    /** As {@link #run(RoutingContext, Callable, BiConsumer)}, on the pool {@code pool} instead of the shared one. */
    static <T> void run(RoutingContext ctx, WorkerExecutor pool, Callable<T> work, BiConsumer<RoutingContext, T> then) {
        pool.executeBlocking(withLogFields(ctx, work), false).onComplete(result -> done(ctx, result, then));
    }

    private static <T> Callable<T> withLogFields(RoutingContext ctx, Callable<T> work) {
        Map<String, String> fields = LogContext.fields(ctx);
        return () -> {
            try (MdcScope scope = MdcScope.of(fields)) {
                return work.call();
            }
        };
    }

    private static <T> void done(RoutingContext ctx, AsyncResult<T> result, BiConsumer<RoutingContext, T> then) {
        if (result.succeeded()) {
            try {
                then.accept(ctx, result.result());
            } catch (RuntimeException e) {
                ctx.fail(e);
            }
        } else {
            ctx.fail(result.cause());
        }
    }

    static void json(RoutingContext ctx, int status, Object body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }
}
