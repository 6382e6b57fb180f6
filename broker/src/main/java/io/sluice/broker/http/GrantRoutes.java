package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerException;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.auth.Identity;
import io.sluice.broker.logging.LogFields;
import io.sluice.broker.logging.MdcScope;
import io.sluice.broker.service.GrantService;
import io.sluice.broker.service.GrantService.GrantRequest;
import io.sluice.broker.service.StreamService;
import io.sluice.broker.stream.ShardRequest;
import io.sluice.broker.store.StreamRecord;
import io.sluice.broker.stream.ArrowHttpStreamer;
import io.sluice.broker.stream.RunningStreams;
import io.sluice.broker.stream.StreamOutcome;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code POST /v1/grants}, {@code GET /v1/grants/{id}/stream}, {@code GET /v1/streams/{id}}. */
final class GrantRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(GrantRoutes.class);

    static final String ARROW_STREAM = "application/vnd.apache.arrow.stream";
    /** SHA-256 of no bytes. */
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final GrantService grants;
    private final StreamService streams;
    private final ExecutorService streamThreads;
    private final RunningStreams running;
    private final java.time.Duration idleTimeout;
    private final RefusedRequests refused;
    /** Where streams are opened (their sources too): not the pool health and grants use. */
    private final WorkerExecutor opens;

    GrantRoutes(GrantService grants, StreamService streams, ExecutorService streamThreads, WorkerExecutor opens,
            RunningStreams running, java.time.Duration idleTimeout, RefusedRequests refused) {
        this.opens = requireNonNull(opens, "opens is null");
        this.refused = requireNonNull(refused, "refused is null");
        this.idleTimeout = requireNonNull(idleTimeout, "idleTimeout is null");
        this.grants = requireNonNull(grants, "grants is null");
        this.streams = requireNonNull(streams, "streams is null");
        this.streamThreads = requireNonNull(streamThreads, "streamThreads is null");
        this.running = requireNonNull(running, "running is null");
    }

    /** An opened stream and its place among the running ones, held until its streamer has ended. */
    private record Admitted(RunningStreams.Ticket ticket, StreamService.OpenedStream opened) {}

    void request(RoutingContext ctx) {
        GrantRequest request;
        try {
            JsonObject body = JsonBodies.object(ctx);
            request = new GrantRequest(
                    // An id, a name, or organisation/name (DatasetService.resolve).
                    JsonBodies.requiredString(body, "dataset", 301),
                    JsonBodies.requiredString(body, "purpose", 200),
                    JsonBodies.optionalStrings(body, "columns", 200),
                    JsonBodies.optionalString(body, "project", 100));
        } catch (BrokerException e) {
            refused.fail(ctx, AuditAction.GRANT_DENIED, Optional.empty(), e);
            return;
        }
        Identity requester = AuthenticationHandler.identity(ctx);
        var node = NodeHandler.node(ctx);
        LogContext.put(ctx, LogFields.DATASET, request.datasetId());
        Blocking.run(ctx, () -> grants.request(requester, request, node, RequestIds.of(ctx)), (c, issued) -> {
            LogContext.put(c, LogFields.GRANT, issued.grant().id());
            Blocking.json(c, 201, Views.grant(issued.grant(), issued.outputSchema()));
        });
    }

    void stream(RoutingContext ctx) {
        Identity holder = AuthenticationHandler.identity(ctx);
        String grantId = ctx.pathParam("id");
        LogContext.put(ctx, LogFields.GRANT, grantId);
        String seed = ctx.request().getParam("seed");
        ShardRequest shard = new ShardRequest(
                JsonBodies.intParam(ctx, "shard", 0),
                JsonBodies.intParam(ctx, "shards", 1),
                JsonBodies.intParam(ctx, "epoch", 0),
                seed == null || seed.isEmpty() ? java.util.OptionalLong.empty()
                        : java.util.OptionalLong.of(JsonBodies.longParam(ctx, "seed", 0)),
                JsonBodies.longParam(ctx, "from", 0));
        String remote = String.valueOf(ctx.request().remoteAddress());
        var node = NodeHandler.node(ctx);
        Blocking.run(ctx, opens, () -> {
            // Admitted before it opens, so a shutdown either refuses it or waits for its end to be on record.
            RunningStreams.Ticket ticket = switch (running.admit(holder.organisation() + "/" + holder.subject())) {
                case RunningStreams.Admitted admitted -> admitted.ticket();
                case RunningStreams.Refused full when full.reason() == RunningStreams.Reason.DRAINING ->
                        throw ShutdownGate.refusal();
                case RunningStreams.Refused full ->
                        throw streams.tooManyStreams(holder, grantId, RequestIds.of(ctx), full.message());
            };
            try {
                return new Admitted(ticket, streams.open(holder, grantId, shard, node, RequestIds.of(ctx), remote));
            } catch (RuntimeException e) {
                ticket.close();
                throw e;
            }
        }, (c, admitted) -> {
            RunningStreams.Ticket ticket = admitted.ticket();
            StreamService.OpenedStream opened = admitted.opened();
            LogContext.put(c, LogFields.DATASET, opened.dataset().id());
            LogContext.put(c, LogFields.STREAM, opened.streamId());
            // The stream's own thread logs with these fields from its first line to its last (the end record's).
            Map<String, String> logFields = LogContext.fields(c);
            ArrowHttpStreamer streamer;
            try {
                c.response()
                        .setStatusCode(200)
                        .putHeader("Content-Type", ARROW_STREAM)
                        .putHeader("Sluice-Stream-Id", opened.streamId())
                        .putHeader("Sluice-Stream-Scheme", opened.batches().scheme().wireName());
                streamer = new ArrowHttpStreamer(opened.streamId(), opened.batches(), opened.pipeline(),
                        opened.allocator(), opened, c.request(), c.vertx().getOrCreateContext(),
                        streams.stopCheck(opened), outcome -> streams.finish(holder, opened, outcome),
                        progress -> streams.progress(opened, progress), idleTimeout);
                ticket.attach(streamer);
            } catch (RuntimeException | Error e) {
                // Opened but never started (the client left meanwhile, or a bug): it must still end and let go.
                try (MdcScope scope = MdcScope.of(logFields)) {
                    LOG.error("stream {} was opened but could not start", opened.streamId(), e);
                }
                abandon(c, holder, opened, ticket, StreamRecord.Failure.ERROR, "the stream could not start: " + e);
                return;
            }
            try {
                streamThreads.execute(() -> {
                    try (MdcScope scope = MdcScope.of(logFields)) {
                        streamer.run();
                    } finally {
                        ticket.close();
                    }
                });
            } catch (RejectedExecutionException e) {
                abandon(c, holder, opened, ticket, StreamRecord.Failure.SHUTDOWN, "the broker is shutting down");
            }
        });
    }

    /**
     * Ends a stream that was opened but never ran: cuts the response, then, off the event loop
     * (closing a scan closes files and connections), gives its buffers back, records why and frees
     * its place. Nothing was sent.
     */
    private void abandon(RoutingContext c, Identity holder, StreamService.OpenedStream opened,
            RunningStreams.Ticket ticket, StreamRecord.Failure failure, String why) {
        c.response().reset();
        Map<String, String> logFields = LogContext.fields(c);
        c.vertx().executeBlocking(() -> {
            try (MdcScope scope = MdcScope.of(logFields)) {
                opened.close();
                streams.finish(holder, opened, new StreamOutcome(StreamRecord.Status.ABORTED, 0, 0, 0, 0,
                        EMPTY_SHA256, Optional.of(why), Optional.of(failure)));
            } finally {
                ticket.close();
            }
            return null;
        }, false).onFailure(problem -> {
            try (MdcScope scope = MdcScope.of(logFields)) {
                LOG.error("stream {} never ran ({}) and its end could not be recorded", opened.streamId(), why, problem);
            }
        });
    }

    void status(RoutingContext ctx) {
        Identity caller = AuthenticationHandler.identity(ctx);
        String streamId = ctx.pathParam("id");
        Blocking.run(ctx, () -> streams.status(caller, streamId), (c, record) -> Blocking.json(c, 200, Views.stream(record)));
    }
}
