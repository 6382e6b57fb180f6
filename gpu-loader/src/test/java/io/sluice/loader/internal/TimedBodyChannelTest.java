package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The subscriber driven by hand, as the HTTP client would, with a subscription that counts demand. */
class TimedBodyChannelTest {

    private static final String PEER = "the broker at https://127.0.0.1:8443";

    @Test
    void deliversTheBytesOfEveryListInOrderAndThenTheEnd() throws Exception {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofSeconds(5), PEER);
        Demand demand = subscribe(body);
        body.subscriber().onNext(List.of(bytes("abc"), bytes("defg")));
        body.subscriber().onNext(List.of(ByteBuffer.allocate(0), bytes("h")));
        body.subscriber().onComplete();

        ByteBuffer small = ByteBuffer.allocate(2);
        assertThat(body.read(small)).isEqualTo(2);
        assertThat(text(small)).isEqualTo("ab");
        ByteBuffer rest = ByteBuffer.allocate(64);
        StringBuilder all = new StringBuilder();
        for (int n = body.read(rest); n >= 0; n = body.read(rest.clear())) {
            all.append(text(rest));
        }
        assertThat(all).hasToString("cdefgh");
        assertThat(body.read(rest.clear())).isEqualTo(-1);
        assertThat(demand.cancelled).isFalse();
    }

    @Test
    void asksForTheNextListOnlyWhenTheReaderTakesUpTheLastOne() throws Exception {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofSeconds(5), PEER);
        Demand demand = subscribe(body);
        assertThat(demand.requested).hasValue(1);

        body.subscriber().onNext(List.of(bytes("0123456789")));
        assertThat(demand.requested).hasValue(1); // nothing more until the reader takes this list

        ByteBuffer one = ByteBuffer.allocate(1);
        body.read(one);
        assertThat(demand.requested).hasValue(2); // taken up: the next list may arrive while it is read
        for (int i = 0; i < 9; i++) {
            body.read(one.clear());
        }
        assertThat(demand.requested).hasValue(2); // never more than one list ahead of the reader
    }

    @Test
    void aReadThatGetsNoBytesWithinTheTimeoutFailsNamingItAndCancels() throws Exception {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofMillis(200), PEER);
        Demand demand = subscribe(body);
        body.subscriber().onNext(List.of(bytes("abc")));
        ByteBuffer buffer = ByteBuffer.allocate(16);
        assertThat(body.read(buffer)).isEqualTo(3);

        long started = System.nanoTime();
        assertThatThrownBy(() -> body.read(buffer.clear()))
                .isInstanceOf(SocketHttpGet.ReadTimeoutException.class)
                .hasMessage("no bytes from the broker at https://127.0.0.1:8443 within the read timeout of 0.2 s (PT0.2S);"
                        + " the connection is taken as dead");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(190), Duration.ofSeconds(5));
        assertThat(demand.cancelled).isTrue();
        assertThatThrownBy(() -> body.read(buffer.clear())).isInstanceOf(SocketHttpGet.ReadTimeoutException.class);
    }

    @Test
    void aTimeoutBeforeTheClientSubscribedCancelsTheLateSubscription() {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofMillis(50), PEER);
        assertThatThrownBy(() -> body.read(ByteBuffer.allocate(1))).isInstanceOf(SocketHttpGet.ReadTimeoutException.class);

        Demand demand = subscribe(body);
        assertThat(demand.cancelled).isTrue();
        assertThat(demand.requested).hasValue(0);
    }

    @Test
    void aFailureOfTheConnectionSurfacesWithTheClientsCause() throws Exception {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofSeconds(5), PEER);
        subscribe(body);
        body.subscriber().onNext(List.of(bytes("ab")));
        IOException reset = new IOException("Connection reset");
        body.subscriber().onError(reset);

        ByteBuffer buffer = ByteBuffer.allocate(16);
        assertThat(body.read(buffer)).isEqualTo(2);
        assertThatThrownBy(() -> body.read(buffer.clear()))
                .isInstanceOf(IOException.class)
                .hasMessage("the connection to the broker at https://127.0.0.1:8443 failed: Connection reset")
                .hasCause(reset);
    }

    @Test
    void closingFromAnotherThreadWakesAWaitingReaderAndCancels() throws Exception {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofMinutes(2), PEER);
        Demand demand = subscribe(body);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                body.read(ByteBuffer.allocate(16));
            } catch (IOException e) {
                failure.set(e);
            }
        });
        awaitWaiting(reader);

        body.close();
        reader.join(Duration.ofSeconds(10));

        assertThat(reader.isAlive()).isFalse();
        assertThat(failure.get()).isInstanceOf(AsynchronousCloseException.class);
        assertThat(demand.cancelled).isTrue();
        assertThat(body.isOpen()).isFalse();
        assertThatThrownBy(() -> body.read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void anInterruptedReaderClosesTheBodyAndKeepsItsInterruptStatus() throws Exception {
        TimedBodyChannel body = new TimedBodyChannel(Duration.ofMinutes(2), PEER);
        Demand demand = subscribe(body);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                body.read(ByteBuffer.allocate(16));
            } catch (IOException e) {
                failure.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        awaitWaiting(reader);

        reader.interrupt();
        reader.join(Duration.ofSeconds(10));

        assertThat(failure.get()).isInstanceOf(ClosedByInterruptException.class);
        assertThat(stillInterrupted).isTrue();
        assertThat(demand.cancelled).isTrue();
        assertThat(body.isOpen()).isFalse();
    }

    @Test
    void refusesANonPositiveTimeout() {
        assertThatThrownBy(() -> new TimedBodyChannel(Duration.ZERO, PEER))
                .hasMessage("readTimeout must be > 0, was PT0S");
    }

    /** A subscription that counts what was requested and whether it was cancelled. */
    private static final class Demand implements Flow.Subscription {
        final AtomicLong requested = new AtomicLong();
        volatile boolean cancelled;

        @Override
        public void request(long n) {
            requested.addAndGet(n);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private static Demand subscribe(TimedBodyChannel body) {
        Demand demand = new Demand();
        HttpResponse.BodySubscriber<ReadableByteChannel> subscriber = body.subscriber();
        subscriber.onSubscribe(demand);
        assertThat(subscriber.getBody().toCompletableFuture().getNow(null)).isSameAs(body);
        return demand;
    }

    /** Polls until {@code reader} is parked waiting for the next signal. */
    private static void awaitWaiting(Thread reader) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (reader.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(reader.getState()).isEqualTo(Thread.State.TIMED_WAITING);
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(ByteBuffer buffer) {
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
    }
}
