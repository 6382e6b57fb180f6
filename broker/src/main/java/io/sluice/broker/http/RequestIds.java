package io.sluice.broker.http;

import io.sluice.broker.service.Ids;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Gives every request the broker's own id ({@code rq-...}): in {@code Sluice-Request-Id}, error
 * bodies, audit records and every log line about the request.
 *
 * <p>A client (or a proxy in front) may send its own correlation id in {@code X-Request-Id}. A sane
 * one (1 to {@value #MAX_CLIENT_ID_LENGTH} printable ASCII characters, no space, quote or
 * backslash) is kept <em>beside</em> the broker's id, never instead of it: it is echoed in the
 * response's {@code X-Request-Id} and logged as {@code clientRequestId} on the request's lines
 * (the access line among them), so the client's id leads to the broker's, and the broker's to the
 * audit records. The audit records keep only the broker's id: it is unique and the broker's word,
 * while a client may send any id any number of times, and a tamper-evident log should not hold
 * strings a caller chose for it. Anything else in {@code X-Request-Id} (too long, line breaks,
 * control characters) is ignored, never logged, and the response's {@code X-Request-Id} is then
 * the broker's id.
 */
public final class RequestIds implements Handler<RoutingContext> {
    public static final String HEADER = "Sluice-Request-Id";
    public static final String CLIENT_HEADER = "X-Request-Id";
    static final int MAX_CLIENT_ID_LENGTH = 128;

    private static final String KEY = "sluice.requestId";
    private static final String CLIENT_KEY = "sluice.clientRequestId";

    private RequestIds() {}

    public static RequestIds create() {
        return new RequestIds();
    }

    /** The broker's own id of the request. */
    public static String of(RoutingContext ctx) {
        String id = ctx.get(KEY);
        return id == null ? "unknown" : id;
    }

    /** The client's sane {@code X-Request-Id}, if it sent one. */
    public static Optional<String> client(RoutingContext ctx) {
        return Optional.ofNullable(ctx.get(CLIENT_KEY));
    }

    @Override
    public void handle(RoutingContext ctx) {
        String id = Ids.next("rq");
        ctx.put(KEY, id);
        String client = ctx.request().getHeader(CLIENT_HEADER);
        boolean sane = isSane(client);
        if (sane) {
            ctx.put(CLIENT_KEY, client);
        }
        ctx.response().putHeader(HEADER, id).putHeader(CLIENT_HEADER, sane ? client : id);
        ctx.next();
    }

    /** Whether {@code id} may be echoed and logged: short, printable ASCII, nothing that splits or quotes. */
    static boolean isSane(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_CLIENT_ID_LENGTH) {
            return false;
        }
        return id.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '\\');
    }
}
