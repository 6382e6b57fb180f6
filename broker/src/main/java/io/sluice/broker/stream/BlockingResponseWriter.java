package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets a thread that may block (a virtual thread) write a long HTTP response with back-pressure:
 * each {@link #write} hands the buffer to the response on its event loop and returns once the
 * response's write queue has room again, so a slow client holds at most the queue's worth of
 * data in memory. A client that goes away turns the next write into a {@link ClientGoneException}.
 *
 * <p>Create it on the response's event loop (it installs the close handlers); write from one
 * thread.
 */
public final class BlockingResponseWriter {
    /** The largest single write handed to Vert.x. */
    static final int MESSAGE_BYTES = 64 * 1024;

    /** How long a client may take nothing before the response is given up. */
    public static final Duration STALL_TIMEOUT = Duration.ofMinutes(5);

    private final HttpServerResponse response;
    private final Context context;
    private final AtomicBoolean clientGone = new AtomicBoolean();
    private volatile CompletableFuture<Void> writable = CompletableFuture.completedFuture(null);

    /** Thrown by {@link #write} when the client has disconnected. */
    public static final class ClientGoneException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ClientGoneException() {
            super("the client disconnected", null, false, false);
        }
    }

    public BlockingResponseWriter(HttpServerResponse response, Context context, int writeQueueBytes) {
        this.response = requireNonNull(response, "response is null");
        this.context = requireNonNull(context, "context is null");
        response.setChunked(true);
        response.setWriteQueueMaxSize(writeQueueBytes);
        response.closeHandler(ignored -> disconnected());
        response.exceptionHandler(e -> disconnected());
    }

    public boolean clientGone() {
        return clientGone.get();
    }

    /**
     * Sends {@code buffer} and waits until the response can take more.
     *
     * @throws ClientGoneException when the client has gone; the buffer was not sent
     */
    public void write(Buffer buffer) throws InterruptedException {
        if (buffer.length() == 0) {
            return;
        }
        CompletableFuture<Void> ready = new CompletableFuture<>();
        writable = ready;
        context.runOnContext(ignored -> {
            if (clientGone.get() || response.closed()) {
                ready.completeExceptionally(new ClientGoneException());
                return;
            }
            try {
                // Vert.x 5 bounds its outbound queue in messages, not bytes: a batch written as one
                // 4 MB message would let a slow client park many batches in the broker's memory.
                for (int start = 0; start < buffer.length(); start += MESSAGE_BYTES) {
                    response.write(buffer.slice(start, Math.min(buffer.length(), start + MESSAGE_BYTES)));
                }
            } catch (RuntimeException e) {
                // The connection closed between the check and the write.
                ready.completeExceptionally(new ClientGoneException());
                return;
            }
            if (response.writeQueueFull()) {
                response.drainHandler(drained -> ready.complete(null));
            } else {
                ready.complete(null);
            }
        });
        try {
            ready.get(STALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new ClientGoneException();
        } catch (TimeoutException e) {
            // A client that takes nothing for this long is treated as gone: it holds a reader and memory.
            clientGone.set(true);
            reset();
            throw new ClientGoneException();
        }
    }

    /** Ends the response cleanly (on its event loop). */
    public void end() {
        context.runOnContext(ignored -> {
            if (!response.closed()) {
                response.end();
            }
        });
    }

    /** Cuts the connection, so that the client cannot take a partial response for a whole one. */
    public void reset() {
        context.runOnContext(ignored -> {
            if (!clientGone.get()) {
                response.reset();
            }
        });
    }

    private void disconnected() {
        clientGone.set(true);
        writable.completeExceptionally(new ClientGoneException());
    }
}
