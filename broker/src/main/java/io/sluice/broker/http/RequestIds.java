package io.sluice.broker.http;

import io.sluice.broker.service.Ids;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Gives every request an id, returned in {@code Sluice-Request-Id} and in audit records and errors. */
public final class RequestIds implements Handler<RoutingContext> {
    private static final String KEY = "sluice.requestId";

    private RequestIds() {}

    public static RequestIds create() {
        return new RequestIds();
    }

    public static String of(RoutingContext ctx) {
        String id = ctx.get(KEY);
        return id == null ? "unknown" : id;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String id = Ids.next("rq");
        ctx.put(KEY, id);
        ctx.response().putHeader("Sluice-Request-Id", id);
        ctx.next();
    }
}
