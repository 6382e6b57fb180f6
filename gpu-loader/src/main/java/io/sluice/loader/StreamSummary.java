package io.sluice.loader;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * One connection of a {@link TrainingStream}: the broker's stream it read and how it ended.
 *
 * @param streamId the broker's stream id ({@code Sluice-Stream-Id})
 * @param broker the broker it came from
 * @param from the position of its first batch (the {@code from} it was opened with)
 * @param batches batches fully received over it
 * @param bytes body bytes received over it
 * @param sha256Hex the SHA-256 of its body, when it was read to its end
 * @param failure why it ended early, when it did
 */
public record StreamSummary(String streamId, URI broker, long from, long batches, long bytes, Optional<String> sha256Hex,
        Optional<String> failure) {

    public StreamSummary {
        Objects.requireNonNull(streamId, "streamId is null");
        Objects.requireNonNull(broker, "broker is null");
        Objects.requireNonNull(sha256Hex, "sha256Hex is null");
        Objects.requireNonNull(failure, "failure is null");
    }
}
