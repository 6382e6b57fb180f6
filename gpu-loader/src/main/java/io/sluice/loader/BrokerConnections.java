package io.sluice.loader;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The connections of one {@link TrainingStream}, one at a time: the one being read, the bytes of
 * those already closed, and a {@link StreamSummary} of each (how it ended). The loader thread opens
 * and ends them; {@link #bytesReceived()} and {@link #summaries()} may be read from any thread.
 */
final class BrokerConnections {

    private final List<StreamSummary> summaries = new CopyOnWriteArrayList<>();
    private GrantStream current; // guarded by this
    private long bytesOfClosedConnections; // guarded by this

    /** Makes {@code stream} the connection being read. */
    void open(GrantStream stream) {
        Objects.requireNonNull(stream, "stream is null");
        synchronized (this) {
            current = stream;
        }
        summaries.add(summary(stream, Optional.empty()));
    }

    /** The connection being read; null between a failure and the next {@link #open}. */
    synchronized GrantStream current() {
        return current;
    }

    /**
     * Ends the connection being read, if any: closes it and records how it ended ({@code failure},
     * unless it was read to its end).
     */
    void end(Optional<String> failure) {
        GrantStream ended;
        synchronized (this) {
            ended = current;
            current = null;
            if (ended != null) {
                bytesOfClosedConnections += ended.bytesReceived();
            }
        }
        if (ended == null) {
            return;
        }
        int index = -1;
        for (int i = 0; i < summaries.size(); i++) {
            if (summaries.get(i).streamId().equals(ended.streamId()) && summaries.get(i).from() == ended.firstPosition()) {
                index = i;
            }
        }
        if (index >= 0) {
            summaries.set(index, summary(ended, failure.filter(_ -> !ended.completed())));
        }
        ended.close();
    }

    /** Body bytes received over every connection so far. */
    synchronized long bytesReceived() {
        return bytesOfClosedConnections + (current == null ? 0 : current.bytesReceived());
    }

    /** The connections so far, oldest first. */
    List<StreamSummary> summaries() {
        return List.copyOf(summaries);
    }

    private static StreamSummary summary(GrantStream stream, Optional<String> failure) {
        return new StreamSummary(stream.streamId(), stream.broker(), stream.firstPosition(), stream.batches(),
                stream.bytesReceived(), stream.sha256(), failure);
    }
}
