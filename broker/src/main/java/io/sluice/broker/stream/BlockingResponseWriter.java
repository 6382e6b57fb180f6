package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The send stage: lets a thread that may block (a virtual thread) write a long HTTP response with
 * back-pressure. Each {@link #send} hands a {@link WireMessage} to the response on its event loop
 * and returns once the response's write queue has room again, so a slow client holds at most the
 * queue's worth of data (plus the message being written) in memory. A client that goes away turns
 * the next send into a {@link ClientGoneException}.
 *
 * <p><b>Slices.</b> A message goes out as Vert.x writes of at most {@link #MESSAGE_BYTES}, each a
 * view of the message's parts (a slice, or a composite of slices of consecutive direct parts),
 * never a copy. Bounding each write matters because of how Vert.x 5.0.7 queues: writes pass to
 * Netty while its channel is writable ({@code setWriteQueueMaxSize} sets Netty's byte watermark);
 * beyond it they wait in Vert.x's own outbound queue, which (without
 * {@code HttpServerOptions.setStrictThreadMode}) counts messages: {@code writeQueueFull()} turns
 * true at 16 of them. So the response holds up to {@code writeQueueBytes} in Netty plus 16 writes
 * in Vert.x, plus the rest of the message being written. See decision 0004.
 *
 * <p><b>Ownership</b> (verified against Vert.x 5.0.7 and Netty 4.2.9):
 * <ul>
 *   <li>{@code HttpServerResponse.write(Buffer)} on HTTP/1.x takes the buffer's
 *       {@code BufferInternal.getByteBuf()}, which for a buffer made by
 *       {@code BufferInternal.buffer(ByteBuf)} is {@code Unpooled.unreleasableBuffer(byteBuf.slice())}:
 *       no copy, and Netty's release after the socket write does nothing. So Netty never frees a
 *       part; this class must release the message, and must not do so while Netty may still read it.
 *   <li>The future {@code write} returns completes when Netty has written the bytes to the socket
 *       or failed to: a closed connection fails queued writes ({@code VertxConnection}'s queue
 *       cancels them with {@code CLOSED_EXCEPTION}; Netty's outbound buffer fails what it holds).
 *       A write refused synchronously (the response already ended) throws and never completes.
 *   <li>Hence: {@link #send} takes the message over, always. It is released exactly once: when the
 *       future of its last slice completes (success or failure), or at once when none of its slices
 *       was handed to Vert.x (client gone, response ended). Heap parts are copied by Netty's NIO
 *       transport into a direct buffer on their way out (a few hundred bytes of metadata per
 *       batch); direct parts are written from where they lie.
 * </ul>
 * {@link #awaitReleased} lets the producer wait until every message it sent is released, before it
 * closes the allocator they came from.
 *
 * <p><b>Closing.</b> {@link #reset()} on HTTP/1.x is {@code HttpConnection.close()}, which in
 * Vert.x 5 first flushes what is queued: a client that stopped reading would keep the connection
 * (and the queued messages, up to the stream's memory bound) for as long as it likes. So a reset
 * also closes the connection's Netty channel at once (from the head of its pipeline, below Vert.x's
 * graceful close), which fails every queued write and so releases the messages: an aborted stream
 * sends nothing more anyway. That channel is reached
 * through Vert.x's {@code ConnectionBase} (an implementation class: where a later Vert.x hides it,
 * the graceful close remains, and the producer still releases its resources through
 * {@link #whenReleased} once the connection lets go).
 *
 * <p>Create it on the response's event loop (it installs the close handlers); send from one thread.
 */
public final class BlockingResponseWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BlockingResponseWriter.class);

    /** The largest single write handed to Vert.x. */
    static final int MESSAGE_BYTES = 64 * 1024;

    /** How long a client may take nothing before the response is given up. */
    public static final Duration STALL_TIMEOUT = Duration.ofMinutes(5);

    private final HttpServerResponse response;
    private final Optional<HttpConnection> connection;
    private final Context context;
    private final Duration stallTimeout;
    private final AtomicBoolean clientGone = new AtomicBoolean();
    private final InFlight inFlight = new InFlight();
    private volatile CompletableFuture<Void> writable = CompletableFuture.completedFuture(null);

    /** Thrown by {@link #send} when the client has disconnected or stopped reading. */
    public static final class ClientGoneException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ClientGoneException() {
            super("the client disconnected", null, false, false);
        }
    }

    public BlockingResponseWriter(HttpServerResponse response, Context context, int writeQueueBytes) {
        this(response, context, writeQueueBytes, STALL_TIMEOUT);
    }

    BlockingResponseWriter(HttpServerResponse response, Context context, int writeQueueBytes, Duration stallTimeout) {
        this(response, Optional.empty(), context, writeQueueBytes, stallTimeout);
    }

    /**
     * @param connection the response's connection, closed at once by {@link #reset()}; empty: the
     *     reset closes it gracefully only
     * @param stallTimeout how long a send waits for a client that takes nothing
     */
    public BlockingResponseWriter(HttpServerResponse response, Optional<HttpConnection> connection, Context context,
            int writeQueueBytes, Duration stallTimeout) {
        this.connection = requireNonNull(connection, "connection is null");
        this.response = requireNonNull(response, "response is null");
        this.context = requireNonNull(context, "context is null");
        this.stallTimeout = requireNonNull(stallTimeout, "stallTimeout is null");
        if (writeQueueBytes < MESSAGE_BYTES) {
            throw new IllegalArgumentException("writeQueueBytes must be >= " + MESSAGE_BYTES + ", was " + writeQueueBytes);
        }
        response.setChunked(true);
        response.setWriteQueueMaxSize(writeQueueBytes);
        response.closeHandler(ignored -> disconnected());
        response.exceptionHandler(e -> disconnected());
    }

    public boolean clientGone() {
        return clientGone.get();
    }

    /**
     * Sends heap bytes (they need no release) and waits until the response can take more.
     *
     * @throws ClientGoneException when the client has gone
     */
    public void write(Buffer buffer) throws InterruptedException {
        if (buffer.length() > 0) {
            send(WireMessage.heap(((BufferInternal) buffer).getByteBuf()));
        }
    }

    /**
     * Takes {@code message} over, hands it to the response on its event loop, and waits until the
     * response's write queue has room again. The message is released exactly once, whatever
     * happens: after its last slice is written or has failed; before this returns when the client
     * is known to be gone already; on the event loop when the response turns out to be closed there.
     *
     * @throws ClientGoneException when the client has gone (or took nothing for the stall
     *     timeout); the message may have been sent in part
     * @throws InterruptedException when the calling thread is interrupted while it waits; the
     *     message stays in the response's hands
     */
    public void send(WireMessage message) throws InterruptedException {
        requireNonNull(message, "message is null");
        if (message.length() == 0) {
            message.release();
            return;
        }
        if (clientGone.get()) {
            message.release();
            throw new ClientGoneException();
        }
        CompletableFuture<Void> ready = new CompletableFuture<>();
        writable = ready;
        inFlight.add();
        try {
            context.runOnContext(ignored -> writeOnEventLoop(message, ready));
        } catch (RuntimeException e) {
            // The event loop is gone (Vert.x closing): nothing will ever read the message.
            releaseNow(message);
            throw new ClientGoneException();
        }
        if (clientGone.get()) {
            // The close handler may have run before 'writable' was this send's future.
            ready.completeExceptionally(new ClientGoneException());
        }
        try {
            ready.get(stallTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new ClientGoneException();
        } catch (TimeoutException e) {
            // A client that takes nothing for this long is treated as gone: it holds a reader and memory.
            clientGone.set(true);
            reset();
            throw new ClientGoneException();
        }
    }

    private void writeOnEventLoop(WireMessage message, CompletableFuture<Void> ready) {
        if (clientGone.get() || response.closed() || response.ended()) {
            releaseNow(message);
            ready.completeExceptionally(new ClientGoneException());
            return;
        }
        Slices slices = new Slices(message);
        try {
            writeSlices(message, slices);
        } catch (RuntimeException e) {
            // The response refused a write (it ended or closed meanwhile); later slices were never handed on.
            slices.failed = true;
        } finally {
            slices.handle(null);
        }
        if (slices.failed) {
            ready.completeExceptionally(new ClientGoneException());
        } else if (response.writeQueueFull()) {
            response.drainHandler(drained -> ready.complete(null));
        } else {
            ready.complete(null);
        }
    }

    /**
     * Writes the message in slices of at most {@link #MESSAGE_BYTES}: consecutive direct parts are
     * grouped into one composite view, a heap part goes alone (Netty copies heap buffers to direct
     * memory before a socket write, and would copy a whole composite that holds one).
     */
    private void writeSlices(WireMessage message, Slices slices) {
        List<ByteBuf> group = new ArrayList<>();
        int groupBytes = 0;
        boolean groupDirect = false;
        for (ByteBuf part : message.parts()) {
            int length = part.readableBytes();
            boolean direct = part.isDirect();
            for (int done = 0; done < length; ) {
                if (!group.isEmpty() && (direct != groupDirect || !direct || groupBytes == MESSAGE_BYTES)) {
                    writeSlice(group, slices);
                    group.clear();
                    groupBytes = 0;
                }
                int slice = Math.min(length - done, MESSAGE_BYTES - groupBytes);
                group.add(part.slice(part.readerIndex() + done, slice));
                groupBytes += slice;
                groupDirect = direct;
                done += slice;
            }
        }
        if (!group.isEmpty()) {
            writeSlice(group, slices);
        }
    }

    private void writeSlice(List<ByteBuf> group, Slices slices) {
        ByteBuf slice = group.size() == 1 ? group.getFirst()
                : Unpooled.wrappedBuffer(group.size(), group.toArray(ByteBuf[]::new));
        slices.outstanding++;
        io.vertx.core.Future<Void> written;
        try {
            written = response.write(BufferInternal.buffer(slice));
        } catch (RuntimeException e) {
            slices.outstanding--;
            throw e;
        }
        written.onComplete(slices);
    }

    /** Counts the slice writes of one message still in Netty's hands; releases the message after the last. */
    private final class Slices implements Handler<AsyncResult<Void>> {
        private final WireMessage message;
        /** Writes not yet completed, plus one until every slice has been handed on. Event loop only. */
        private int outstanding = 1;
        private boolean failed;

        Slices(WireMessage message) {
            this.message = message;
        }

        @Override
        public void handle(AsyncResult<Void> written) {
            if (written != null && written.failed()) {
                // Netty fails a write only when the connection is broken; the close handler may not have run yet.
                clientGone.set(true);
            }
            if (--outstanding == 0) {
                releaseNow(message);
            }
        }
    }

    private void releaseNow(WireMessage message) {
        try {
            message.release();
        } finally {
            inFlight.done();
        }
    }

    /**
     * Waits until every message sent so far has been released (written to the socket, or dropped
     * with the connection).
     *
     * @return false if some are still in the response's hands after {@code timeout}
     */
    public boolean awaitReleased(Duration timeout) throws InterruptedException {
        return inFlight.await(timeout);
    }

    /** Runs {@code action} once every message sent so far has been released: now, or on the event loop later. */
    public void whenReleased(Runnable action) {
        inFlight.whenIdle(action);
    }

    /** Ends the response cleanly (on its event loop). */
    public void end() {
        onEventLoop(() -> {
            if (!response.closed() && !response.ended()) {
                response.end();
            }
        });
    }

    /** How long a send waits for a client that takes nothing before it counts the client as gone. */
    Duration stallTimeout() {
        return stallTimeout;
    }

    /**
     * Cuts the connection at once, so that the client cannot take a partial response for a whole
     * one and a client that reads nothing cannot keep the queued messages alive.
     */
    public void reset() {
        onEventLoop(() -> {
            if (!response.closed()) {
                response.reset();
            }
            if (connection.orElse(null) instanceof io.vertx.core.net.impl.ConnectionBase base) {
                // From the first handler's context, so that the close goes straight to the socket: Vert.x's own
                // handler, further down the pipeline, would turn it into a graceful close that flushes first.
                ChannelHandlerContext first = base.channel().pipeline().firstContext();
                if (first != null) {
                    first.close();
                }
            }
        });
    }

    /** Runs {@code action} on the response's event loop; once Vert.x is closed its connections are gone anyway. */
    private void onEventLoop(Runnable action) {
        try {
            context.runOnContext(ignored -> action.run());
        } catch (RuntimeException e) {
            LOG.debug("the event loop is gone; the connection closed with it", e);
        }
    }

    private void disconnected() {
        clientGone.set(true);
        writable.completeExceptionally(new ClientGoneException());
    }

    /** Messages handed over and not yet released, and what waits for there to be none. */
    private static final class InFlight {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition idle = lock.newCondition();
        private final List<Runnable> whenIdle = new ArrayList<>();
        private long count;

        void add() {
            lock.lock();
            try {
                count++;
            } finally {
                lock.unlock();
            }
        }

        void done() {
            List<Runnable> run = List.of();
            lock.lock();
            try {
                if (--count == 0) {
                    idle.signalAll();
                    run = List.copyOf(whenIdle);
                    whenIdle.clear();
                }
            } finally {
                lock.unlock();
            }
            run.forEach(Runnable::run);
        }

        boolean await(Duration timeout) throws InterruptedException {
            long nanos = timeout.toNanos();
            lock.lock();
            try {
                while (count > 0) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = idle.awaitNanos(nanos);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        void whenIdle(Runnable action) {
            lock.lock();
            try {
                if (count > 0) {
                    whenIdle.add(action);
                    return;
                }
            } finally {
                lock.unlock();
            }
            action.run();
        }
    }
}
