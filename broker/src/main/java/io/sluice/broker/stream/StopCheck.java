package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.StreamRecord;
import java.util.Optional;

/**
 * Asked by a running stream before each batch: whether it must stop now, and why (its grant was
 * revoked, or has expired). Called on the streamer's thread; may block briefly (a store lookup).
 */
@FunctionalInterface
public interface StopCheck {

    /** A check that never stops a stream. */
    StopCheck NEVER = Optional::empty;

    /** Why the stream must stop, or empty to go on. */
    Optional<Stop> check();

    /**
     * Why a stream stops before its end.
     *
     * @param failure the kind a client decides on (recorded with the stream)
     * @param message what the stream's end record and {@code GET /v1/streams/{id}} say
     */
    record Stop(StreamRecord.Failure failure, String message) {
        public Stop {
            requireNonNull(failure, "failure is null");
            requireNonNull(message, "message is null");
        }
    }
}
