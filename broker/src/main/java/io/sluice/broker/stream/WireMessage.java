package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes to send as one unit (one Arrow IPC message, one chunk of an export), held as a list of
 * Netty buffers that are views, not copies: a small heap buffer for framing and metadata, and
 * buffers wrapping the memory of Arrow buffers for a record batch's body.
 *
 * <p><b>Ownership.</b> A message owns what keeps its parts' memory alive (for a record batch, the
 * {@code ArrowRecordBatch} holding a reference to every body buffer). Whoever holds the message
 * must call {@link #release()} once nothing reads the parts any more; the first call closes the
 * owner, later calls do nothing, from any thread. The parts' own Netty reference counts are not
 * used: body parts wrap memory Netty must never free, and heap parts are left to the garbage
 * collector. A part must not be read after {@link #release()}.
 *
 * <p>Immutable apart from the release flag; safe to hand between threads.
 */
public final class WireMessage {
    private static final Logger LOG = LoggerFactory.getLogger(WireMessage.class);
    private static final AutoCloseable NOTHING = () -> { };

    private final List<ByteBuf> parts;
    private final long length;
    private final AutoCloseable owner;
    private final AtomicBoolean released = new AtomicBoolean();

    private WireMessage(List<ByteBuf> parts, AutoCloseable owner) {
        this.parts = List.copyOf(parts);
        this.owner = requireNonNull(owner, "owner is null");
        long total = 0;
        for (ByteBuf part : this.parts) {
            total += part.readableBytes();
        }
        this.length = total;
    }

    /**
     * A message of {@code parts} (their readable bytes, in order) kept alive by {@code owner},
     * which {@link #release()} closes. The message takes over {@code owner}.
     */
    public static WireMessage of(List<ByteBuf> parts, AutoCloseable owner) {
        requireNonNull(parts, "parts is null");
        return new WireMessage(parts, owner);
    }

    /** A message of heap bytes that need no release (releasing it is harmless). */
    public static WireMessage heap(ByteBuf bytes) {
        requireNonNull(bytes, "bytes is null");
        if (bytes.isDirect()) {
            throw new IllegalArgumentException("a heap message needs a heap buffer, was " + bytes);
        }
        return new WireMessage(List.of(bytes), NOTHING);
    }

    /** The parts in wire order; read their readable bytes, never change their indices. */
    public List<ByteBuf> parts() {
        return parts;
    }

    /** The number of bytes across all parts. */
    public long length() {
        return length;
    }

    /** Whether {@link #release()} has been called. */
    public boolean released() {
        return released.get();
    }

    /**
     * Closes the owner, the first time only. Never throws: a failure to close is logged, since the
     * caller (often an event loop completing a write) can do nothing about it.
     */
    public void release() {
        if (released.compareAndSet(false, true)) {
            try {
                owner.close();
            } catch (Exception e) {
                LOG.error("releasing a sent message failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "WireMessage[" + parts.size() + " parts, " + length + " bytes" + (released.get() ? ", released" : "") + "]";
    }
}
