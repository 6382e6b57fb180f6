package io.sluice.broker.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.sluice.broker.Poll;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The send stage's ownership against a real Vert.x response: a message written from Arrow memory
 * is released once, and only when the connection no longer reads it.
 */
class BlockingResponseWriterTest {
    /** More than the response's queue and the kernel's socket buffers can take from a client that reads nothing. */
    private static final int LARGE = 32 * 1024 * 1024;

    private final RootAllocator allocator = new RootAllocator();
    private final CompletableFuture<BlockingResponseWriter> writer = new CompletableFuture<>();
    private Vertx vertx;
    private HttpServer server;

    @BeforeEach
    void startServer() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer()
                .requestHandler(request -> writer.complete(new BlockingResponseWriter(request.response().setStatusCode(200),
                        vertx.getOrCreateContext(), 1024 * 1024, Duration.ofMinutes(1))))
                .listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopServer() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void releasesAMessageOnceAndOnlyAfterTheSocketHasTakenAllOfIt() throws Exception {
        AtomicInteger releases = new AtomicInteger();
        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/", 16 * 1024)) {
            BlockingResponseWriter out = writer.get(30, TimeUnit.SECONDS);
            Thread sender = sending(out, message(LARGE, releases));

            assertThat(out.awaitReleased(Duration.ofMillis(500))).as("held while the client reads nothing").isFalse();
            assertThat(releases).hasValue(0);
            assertThat(allocator.getAllocatedMemory()).isEqualTo(LARGE);

            assertThat(client.readBody(LARGE, () -> { })).isFalse();
            assertThat(out.awaitReleased(Duration.ofSeconds(30))).isTrue();
            assertThat(sender.join(Duration.ofSeconds(30))).isTrue();
            assertThat(releases).hasValue(1);
            assertThat(client.body()).isEqualTo(pattern(LARGE));
            out.end();
        }
    }

    @Test
    void releasesAMessageOnceWhenTheClientVanishesWithItHalfSent() throws Exception {
        AtomicInteger releases = new AtomicInteger();
        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/", 16 * 1024)) {
            BlockingResponseWriter out = writer.get(30, TimeUnit.SECONDS);
            Thread sender = sending(out, message(LARGE, releases));
            assertThat(client.readBody(1024 * 1024, () -> { })).isFalse();
            assertThat(releases).hasValue(0);

            client.vanish();

            assertThat(out.awaitReleased(Duration.ofSeconds(30))).isTrue();
            assertThat(sender.join(Duration.ofSeconds(30))).isTrue();
            assertThat(releases).hasValue(1);
            assertThat(out.clientGone()).isTrue();

            AtomicInteger late = new AtomicInteger();
            assertThatThrownBy(() -> out.send(message(1024, late)))
                    .isInstanceOf(BlockingResponseWriter.ClientGoneException.class)
                    .hasMessage("the client disconnected");
            assertThat(late).as("a message sent after the client left is released at once").hasValue(1);
        }
    }

    @Test
    void runsWhatWaitsForTheReleaseOnceEverythingSentIsReleased() throws Exception {
        AtomicInteger releases = new AtomicInteger();
        try (RawHttpClient client = new RawHttpClient(server.actualPort(), "/", 16 * 1024)) {
            BlockingResponseWriter out = writer.get(30, TimeUnit.SECONDS);
            sending(out, message(LARGE, releases));
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            out.whenReleased(() -> closed.complete(releases.get()));
            assertThat(closed).isNotDone();

            client.vanish();

            assertThat(closed.get(30, TimeUnit.SECONDS)).as("after the message's release").isEqualTo(1);
        }
    }

    /** Sends {@code message} on another thread; returns once that thread waits for the response's queue to drain. */
    private static Thread sending(BlockingResponseWriter out, WireMessage message) throws InterruptedException {
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                out.send(message);
            } catch (InterruptedException | RuntimeException e) {
                // The tests look at the release, not at how the send ended.
            }
        });
        Poll.until(() -> sender.getState() == Thread.State.TIMED_WAITING, Duration.ofSeconds(20),
                "the sender waits for the queue to drain");
        return sender;
    }

    /** {@code length} bytes of {@link #pattern} in Arrow memory, as one message that closes it on release. */
    private WireMessage message(int length, AtomicInteger releases) {
        ArrowBuf buffer = allocator.buffer(length);
        buffer.setBytes(0, pattern(length));
        return WireMessage.of(List.of(Unpooled.wrappedBuffer(buffer.nioBuffer(0, length))), () -> {
            releases.incrementAndGet();
            buffer.close();
        });
    }

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 7 + (i >>> 13));
        }
        return bytes;
    }
}
