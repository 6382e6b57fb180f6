package io.sluice.broker.http;

import io.sluice.broker.logging.LogFields;
import io.sluice.broker.logging.MdcScope;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a request's log lines say about it (see {@link LogFields}): its ids, its authenticated
 * actor, and the dataset, grant or stream a route has named with {@link #put}.
 *
 * <p>An event loop serves many requests in turn, so the MDC cannot simply hold a request's fields:
 * code that logs for a request opens a scope around the log call, on the thread that logs,
 * ({@code try (MdcScope scope = LogContext.open(ctx)) {...}}); work handed to another thread takes
 * a copy, {@link #fields}, taken on the event loop, and opens its own {@link MdcScope} with it.
 */
public final class LogContext {
    private static final String KEY = "sluice.logFields";

    private LogContext() {}

    /** Names the dataset, grant or stream (a {@link LogFields} name) this request is about, for its later lines. */
    public static void put(RoutingContext ctx, String field, String value) {
        Map<String, String> fields = ctx.get(KEY);
        if (fields == null) {
            fields = new HashMap<>();
            ctx.put(KEY, fields);
        }
        fields.put(field, value);
    }

    /** A copy of the request's log fields; call on the request's event loop. */
    public static Map<String, String> fields(RoutingContext ctx) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(LogFields.REQUEST_ID, RequestIds.of(ctx));
        RequestIds.client(ctx).ifPresent(id -> fields.put(LogFields.CLIENT_REQUEST_ID, id));
        AuthenticationHandler.authenticated(ctx)
                .ifPresent(identity -> fields.put(LogFields.ACTOR, identity.subject() + "@" + identity.organisation()));
        Map<String, String> named = ctx.get(KEY);
        if (named != null) {
            fields.putAll(named);
        }
        return fields;
    }

    /** The request's fields in this thread's MDC until the scope closes. */
    public static MdcScope open(RoutingContext ctx) {
        return MdcScope.of(fields(ctx));
    }
}
