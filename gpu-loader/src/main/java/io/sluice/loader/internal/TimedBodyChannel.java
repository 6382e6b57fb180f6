package io.sluice.loader.internal;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The body of a {@code java.net.http} response as a {@link ReadableByteChannel} whose every read
 * waits at most the read timeout for the next bytes, then fails with
 * {@link SocketHttpGet.ReadTimeoutException} and drops the connection. {@link HttpRequest#timeout}
 * bounds only the wait for the response head: without this, a broker (or a TLS-terminating proxy)
 * that stalls in the middle of a body would hang the reading thread forever.
 *
 * <p>Bounded memory: it asks the client for one list of buffers, and for the next one only when
 * the reader takes that list up, so at most two lists are held (the one being read and the one
 * arriving), as the JDK's own {@code BodyHandlers.ofInputStream()} does.
 *
 * <p>{@link HttpClient#send} returns as soon as the head arrived; the body is read afterwards.
 * The caller owns the body and must close it; closing before the end cancels the subscription,
 * which closes the connection. A read interrupted while it waits closes the channel and throws
 * {@link ClosedByInterruptException} (the interrupt status stays set); a reader waiting while
 * another thread closes the channel fails with {@link AsynchronousCloseException}; a failure of
 * the connection surfaces as an {@link IOException} whose cause is the client's.
 *
 * <p>Threading: one reader thread; {@link #close()} may be called from any thread.
 */
public final class TimedBodyChannel implements ReadableByteChannel {

    /** What the client hands over, in order. */
    private sealed interface Signal {
    }

    private record Data(List<ByteBuffer> buffers) implements Signal {
    }

    private record End() implements Signal {
    }

    private record Failed(Throwable cause) implements Signal {
    }

    /** Put by {@link #close()} to wake a waiting reader. */
    private record Closed() implements Signal {
    }

    private final Duration timeout;
    private final long timeoutNanos;
    private final String peer;
    private final Subscriber subscriber = new Subscriber();
    // Unbounded type, bounded by demand: at most one list, then an end or a failure, then a close.
    private final BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;

    // Reader thread only.
    private Iterator<ByteBuffer> buffers;
    private ByteBuffer current;
    private boolean ended;
    private IOException failure;

    /**
     * @param readTimeout how long one read may wait for the next bytes
     * @param peer names the server in the timeout's message, e.g. {@code the broker at https://host:443}
     */
    TimedBodyChannel(Duration readTimeout, String peer) {
        this.timeout = Objects.requireNonNull(readTimeout, "readTimeout is null");
        this.peer = Objects.requireNonNull(peer, "peer is null");
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("readTimeout must be > 0, was " + readTimeout);
        }
        this.timeoutNanos = readTimeout.toNanos();
    }

    /**
     * Sends {@code request} and returns once the response head arrived, with the body as a
     * {@link TimedBodyChannel}. The request's {@link HttpRequest#timeout() timeout} is the read
     * timeout: it bounds the wait for the head (a head that does not come in time fails with
     * {@link SocketHttpGet.ReadTimeoutException} naming it) and every read of the body.
     *
     * <p>JDK 25 applies {@code HttpRequest.timeout} to the response head only. A later JDK that also
     * bounds the whole body with it (JDK-8208693) would cut every long stream at that time; the
     * launcher and the build insist on Java 25, and this must be revisited before that changes.
     *
     * @throws IllegalArgumentException when the request has no timeout
     */
    public static HttpResponse<ReadableByteChannel> send(HttpClient client, HttpRequest request)
            throws IOException, InterruptedException {
        Duration readTimeout = request.timeout().orElseThrow(() -> new IllegalArgumentException(
                "the request must carry a timeout: it is the read timeout of its body, too"));
        String peer = SocketHttpGet.peer(request.uri());
        try {
            return client.send(request, _ -> new TimedBodyChannel(readTimeout, peer).subscriber);
        } catch (HttpConnectTimeoutException e) {
            throw e;
        } catch (HttpTimeoutException e) {
            SocketHttpGet.ReadTimeoutException timedOut = SocketHttpGet.ReadTimeoutException.after(readTimeout, peer);
            timedOut.initCause(e);
            throw timedOut;
        }
    }

    /** The side the HTTP client feeds. */
    HttpResponse.BodySubscriber<ReadableByteChannel> subscriber() {
        return subscriber;
    }

    /** Reads at least one byte (when {@code dst} has room), or returns -1 at the end of the body. */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (closed.get()) {
            throw new ClosedChannelException();
        }
        if (failure != null) {
            throw failure;
        }
        if (ended) {
            return -1;
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (current == null || !current.hasRemaining()) {
            if (buffers != null && buffers.hasNext()) {
                current = buffers.next();
                continue;
            }
            switch (next(deadline)) {
                case Data(List<ByteBuffer> list) -> {
                    buffers = list.iterator();
                    // Taken up: fetch the next list while this one is read (lock-step, two lists at most).
                    subscription.request(1);
                }
                case End() -> {
                    ended = true;
                    buffers = null;
                    return -1;
                }
                case Failed(Throwable cause) -> {
                    failure = new IOException("the connection to " + peer + " failed: "
                            + Objects.requireNonNullElse(cause.getMessage(), cause.getClass().getSimpleName()), cause);
                    throw failure;
                }
                case Closed() -> throw new AsynchronousCloseException();
            }
        }
        int n = Math.min(dst.remaining(), current.remaining());
        dst.put(current.slice(current.position(), n));
        current.position(current.position() + n);
        return n;
    }

    /** The next signal, waiting until {@code deadline} at most. */
    private Signal next(long deadline) throws IOException {
        Signal signal;
        try {
            signal = signals.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new ClosedByInterruptException();
        }
        if (signal == null) {
            cancel(); // drops the connection: nothing more is read from it
            failure = SocketHttpGet.ReadTimeoutException.after(timeout, peer);
            throw failure;
        }
        return signal;
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /** Cancels the subscription (the client then closes the connection) and wakes a waiting reader. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            cancel();
            signals.offer(new Closed());
        }
    }

    private void cancel() {
        cancelled = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }

    private final class Subscriber implements HttpResponse.BodySubscriber<ReadableByteChannel> {

        @Override
        public CompletionStage<ReadableByteChannel> getBody() {
            // At once, before any body byte: send() returns with the head, the body is read later.
            return CompletableFuture.completedStage(TimedBodyChannel.this);
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            Objects.requireNonNull(s, "subscription is null");
            if (!subscribed.compareAndSet(false, true)) {
                s.cancel();
                return;
            }
            subscription = s;
            if (cancelled) {
                s.cancel(); // closed (or timed out) before the client subscribed
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            signals.offer(new Data(item));
        }

        @Override
        public void onError(Throwable throwable) {
            signals.offer(new Failed(throwable));
        }

        @Override
        public void onComplete() {
            signals.offer(new End());
        }
    }
}
