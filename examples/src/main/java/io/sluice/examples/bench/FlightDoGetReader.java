package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The client side of the Flight contender: one {@link FlightClient} (one HTTP/2 connection) to the
 * {@link FlightDoGetServer}, one {@code DoGet} per run, every batch loaded into the stream's root
 * and counted. Flight does not count wire bytes; the run is credited with the broker's payload for
 * the same batches, after checking that every row arrived.
 */
final class FlightDoGetReader implements AutoCloseable {
    private static final Ticket TICKET = new Ticket("bench".getBytes(StandardCharsets.UTF_8));

    private final BufferAllocator allocator;
    private final FlightClient client;
    private final long payloadBytes;

    FlightDoGetReader(int port, long payloadBytes, BufferAllocator parent) {
        this.allocator = requireNonNull(parent, "parent is null").newChildAllocator("flight-client", 0, Long.MAX_VALUE);
        this.client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build();
        this.payloadBytes = payloadBytes;
    }

    Transfer run() throws Exception {
        return Transfer.timed(() -> {
            long rows = 0;
            try (FlightStream stream = client.getStream(TICKET)) {
                VectorSchemaRoot root = stream.getRoot();
                while (stream.next()) {
                    rows += root.getRowCount();
                }
            }
            return new long[] {payloadBytes, rows};
        });
    }

    @Override
    public void close() throws Exception {
        try {
            client.close();
        } finally {
            allocator.close();
        }
    }
}
