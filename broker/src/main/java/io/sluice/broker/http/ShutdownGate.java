package io.sluice.broker.http;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.BrokerErrorCode;
import io.sluice.broker.BrokerException;
import io.sluice.broker.stream.RunningStreams;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * First in the chain after the request id: once the broker drains for a shutdown, every new
 * request is refused with 503 {@code shutting_down}; requests already past it (running streams)
 * go on. Paths it is told to let through (the health probes) answer throughout.
 */
final class ShutdownGate implements Handler<RoutingContext> {
    static final String MESSAGE = "the broker is shutting down and accepts no new requests;"
            + " retry against another broker or once it is back";

    private final RunningStreams running;
    private final Set<String> alwaysOpen;

    private ShutdownGate(RunningStreams running, Set<String> alwaysOpen) {
        this.running = requireNonNull(running, "running is null");
        this.alwaysOpen = Set.copyOf(alwaysOpen);
    }

    static ShutdownGate create(RunningStreams running, Set<String> alwaysOpen) {
        return new ShutdownGate(running, alwaysOpen);
    }

    static BrokerException refusal() {
        return new BrokerException(BrokerErrorCode.SHUTTING_DOWN, MESSAGE);
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (running.draining() && !alwaysOpen.contains(ctx.normalizedPath())) {
            ctx.fail(refusal());
        } else {
            ctx.next();
        }
    }
}
