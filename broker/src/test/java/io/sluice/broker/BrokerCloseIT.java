package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.BrokerShutdownIT.SlowClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Broker#close()} in this process while a stream waits on a slow client: the stream is stopped
 * and no thread the broker started (its stream and decode threads among them) outlives the close.
 */
@ExtendWith(NoBrokerThreadLeft.class)
class BrokerCloseIT {
    @TempDir
    Path dir;

    @Test
    void closeStopsAStreamThatWaitsOnItsClientAndLeavesNoThread() throws Exception {
        BrokerConfig config = BrokerConfig.embedded(dir).withShutdownGrace(Duration.ZERO);
        // About 30 MB of IPC: far more than the response's queue and the sockets' buffers hold, so that
        // the stream and its decode thread are still at work when the broker closes.
        TestParquet.write(config.sourcesDir().resolve("hospital-a/big.parquet"), 1_500_000, 1024 * 1024);
        try (Broker broker = Broker.start(config)) {
            String lab = TestHttp.devToken(broker.uri(), "lab", "ai-lab", "data-consumer");
            String grantId = BrokerShutdownIT.grant(broker.uri(), lab);
            try (SlowClient client = SlowClient.open(broker.uri(), "/v1/grants/" + grantId + "/stream", lab,
                    Duration.ofMillis(50))) {
                Poll.until(() -> client.received() > 1_000_000, Duration.ofSeconds(30), "the client received 1 MB");
                // The check after close sees the threads it is about: the stream's virtual threads too.
                assertThat(NoBrokerThreadLeft.brokerThreads().values())
                        .anyMatch(name -> name.startsWith("vert.x-eventloop-thread-"))
                        .anyMatch(name -> name.startsWith("sluice-stream-"))
                        .anyMatch(name -> name.startsWith("decode:"))
                        .anyMatch(name -> name.startsWith("sluice-audit-writer"))
                        .anyMatch(name -> name.startsWith("sluice-store"));
                broker.close();
                assertThat(client.awaitEnd(Duration.ofSeconds(30))).as("the stream was cut, not finished").isFalse();
            }
        }
    }
}
