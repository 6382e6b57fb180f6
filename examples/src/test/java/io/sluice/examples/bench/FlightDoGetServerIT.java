package io.sluice.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.examples.HospitalDataset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Flight contender's server: the enforced source, every row, through gRPC's flow control. */
class FlightDoGetServerIT {
    private static final int ROWS = 1_000_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void streamsEveryRowWithoutTheDroppedColumnToSlowAndFastReaders() throws Exception {
        Path file = dir.resolve("patients.parquet");
        // 16 batches, about 54 MB of Arrow payload: more than the client buffers ahead, so that the
        // producer finds a slow reader's call not ready and must be woken.
        HospitalDataset.write(file, ROWS, 3, n -> {});
        for (boolean zeroCopy : new boolean[] {true, false}) {
            try (BufferAllocator allocator = new RootAllocator();
                    FlightServer server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0),
                            new FlightDoGetServer.EnforcedProducer(file, allocator, zeroCopy, 2)).build().start();
                    FlightClient client = FlightClient.builder(allocator,
                            Location.forGrpcInsecure("127.0.0.1", server.getPort())).build()) {
                for (int call = 0; call < 2; call++) {
                    long rows = 0;
                    try (FlightStream stream = client.getStream(new Ticket("any".getBytes(StandardCharsets.UTF_8)))) {
                        assertThat(stream.getSchema().getFields()).extracting(Field::getName).containsExactly("patient_id",
                                "age", "sex", "systolic_bp", "cholesterol", "glucose", "bmi", "consent", "diagnosis");
                        while (stream.next()) {
                            rows += stream.getRoot().getRowCount();
                            if (call == 0) {
                                // A reader slower than the producer, which then may find the call not ready.
                                Thread.sleep(50);
                            }
                        }
                    }
                    assertThat(rows).as("zero copy %s, call %d", zeroCopy, call).isEqualTo(ROWS);
                }
            }
        }
    }
}
