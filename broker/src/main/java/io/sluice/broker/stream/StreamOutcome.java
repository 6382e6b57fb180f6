package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.StreamRecord;
import java.util.Optional;

/**
 * How a stream ended: what its close record says.
 *
 * @param rows rows sent; {@code rowsIn} rows read from the source before the row filter and opt-outs
 * @param bytes the bytes handed to the response, and {@code sha256} their hex SHA-256
 * @param message why a stream that did not complete stopped
 * @param failure the kind of cause, present exactly when {@code message} is
 */
public record StreamOutcome(StreamRecord.Status status, long rows, long rowsIn, long batches, long bytes, String sha256,
        Optional<String> message, Optional<StreamRecord.Failure> failure) {
    public StreamOutcome {
        requireNonNull(status, "status is null");
        requireNonNull(sha256, "sha256 is null");
        requireNonNull(message, "message is null");
        requireNonNull(failure, "failure is null");
        if (message.isPresent() != failure.isPresent()) {
            throw new IllegalArgumentException("a message and a failure go together, was " + message + " and " + failure);
        }
    }
}
