package io.sluice.broker.logging;

import java.util.List;

/**
 * The names of the context fields a log line may carry (SLF4J MDC keys), in the order both
 * formats write them. Each is present only when known: a request's id is, its actor once the
 * caller is authenticated, a stream's ids on the stream's own lines.
 */
public final class LogFields {
    /** The broker's own id of the request: the one in error bodies, audit records and {@code Sluice-Request-Id}. */
    public static final String REQUEST_ID = "requestId";
    /** A sane {@code X-Request-Id} the client sent, kept beside the broker's own id (see {@code RequestIds}). */
    public static final String CLIENT_REQUEST_ID = "clientRequestId";
    /** The authenticated caller, {@code subject@organisation}. */
    public static final String ACTOR = "actor";
    public static final String DATASET = "dataset";
    public static final String GRANT = "grant";
    public static final String STREAM = "stream";

    /** Every field above, in the order a line writes them; other MDC keys follow in their name order. */
    public static final List<String> ORDER = List.of(REQUEST_ID, CLIENT_REQUEST_ID, ACTOR, DATASET, GRANT, STREAM);

    private LogFields() {}
}
