package io.sluice.loader;

import java.util.Objects;
import java.util.Optional;

import io.sluice.loader.internal.BrokerStreamStatus;

/**
 * What asking a broker about a stream that broke off ({@code GET /v1/streams/{id}}) gave: whether
 * the broker answered at all, and the stream's status when it answered with one. A broker that
 * does not answer (refused, timed out) is taken to be gone, and the stream moves to another broker.
 */
record StatusLookup(boolean answered, Optional<BrokerStreamStatus> status) {

    StatusLookup {
        Objects.requireNonNull(status, "status is null");
        if (!answered && status.isPresent()) {
            throw new IllegalArgumentException("a broker that did not answer gave no status");
        }
    }

    /** The broker answered, with a stream status or with something else (404, an error). */
    static StatusLookup answered(Optional<BrokerStreamStatus> status) {
        return new StatusLookup(true, status);
    }

    /** No answer: no connection, or none within the lookup's timeout. */
    static StatusLookup silent() {
        return new StatusLookup(false, Optional.empty());
    }
}
