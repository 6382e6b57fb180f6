package io.sluice.loader.internal;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Wraps a response body channel: counts every byte read, feeds it to a SHA-256 digest, remembers
 * the last eight bytes (to recognise the Arrow IPC end-of-stream marker) and records how the body
 * ended (clean end of input, or a failure of the underlying channel).
 *
 * <p>The digest runs on its own thread, behind the reader, so that hashing overlaps the next read
 * from the socket. Bytes read into the pinned arena are hashed in place (no copy): the caller must
 * keep that memory alive until {@link #awaitDigested(long)} passed its offset, or stop the digest
 * with {@link #close()} first. Bytes read into any other buffer are copied for the digest.
 *
 * <p>Not thread-safe: one reader thread. {@link #bytesRead()} may be read from any thread.
 */
@SuppressWarnings("restricted") // raw addresses are the point; the JVM runs with --enable-native-access
public final class MeteredChannel implements ReadableByteChannel {

    /** The Arrow IPC end-of-stream marker: continuation 0xFFFFFFFF, then a zero metadata length. */
    private static final long EOS_MARKER = 0xFFFF_FFFF_0000_0000L;

    private final ReadableByteChannel body;
    private final PinnedArena arena; // null: copy everything for the digest
    private final String name;
    private final Digest digest;
    private final boolean digesting;
    private volatile long bytesRead;
    private long lastBytes;
    private boolean endOfInput;
    private Optional<IOException> failure = Optional.empty();

    /**
     * @param arena reads into this arena are hashed in place; {@code null} to copy every read
     * @param name names the digest thread
     */
    public MeteredChannel(ReadableByteChannel body, PinnedArena arena, String name) {
        this(body, arena, name, true);
    }

    /** @param digesting whether to compute the SHA-256 at all */
    public MeteredChannel(ReadableByteChannel body, PinnedArena arena, String name, boolean digesting) {
        this.body = Objects.requireNonNull(body, "body is null");
        this.arena = arena;
        this.name = Objects.requireNonNull(name, "name is null");
        this.digesting = digesting;
        this.digest = new Digest();
    }

    /** Whether the SHA-256 is computed. */
    public boolean digesting() {
        return digesting;
    }

    /** Body bytes read so far. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Whether the body reported its end (a read returned -1). */
    public boolean endOfInput() {
        return endOfInput;
    }

    /** The failure of the underlying channel, if one was thrown. */
    public Optional<IOException> failure() {
        return failure;
    }

    /** Whether the bytes read so far end with the Arrow IPC end-of-stream marker. */
    public boolean endsWithEndOfStreamMarker() {
        return bytesRead >= Long.BYTES && lastBytes == EOS_MARKER;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int start = dst.position();
        int n;
        try {
            n = body.read(dst);
        } catch (IOException e) {
            if (failure.isEmpty()) {
                failure = Optional.of(e);
            }
            throw e;
        }
        if (n < 0) {
            endOfInput = true;
            return n;
        }
        if (n > 0) {
            for (int i = Math.max(start, start + n - Long.BYTES); i < start + n; i++) {
                lastBytes = (lastBytes << 8) | (dst.get(i) & 0xFF);
            }
            if (digesting) {
                digest.submit(dst, start, n);
            }
            bytesRead = bytesRead + n;
        }
        return n;
    }

    /**
     * Reads and digests whatever remains of the body.
     *
     * @return the number of bytes that remained
     */
    public long drain() throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate(8192);
        long drained = 0;
        for (int n = read(scratch); n >= 0; n = read(scratch.clear())) {
            drained += n;
        }
        return drained;
    }

    /** Blocks until the digest has consumed the first {@code offset} bytes (or was stopped). */
    public void awaitDigested(long offset) {
        if (digesting) {
            digest.await(offset);
        }
    }

    /** The lower-case hex SHA-256 of all bytes read; waits for the digest to catch up. Call once, at the end. */
    public String sha256Hex() {
        if (!digesting) {
            throw new IllegalStateException("the body of " + name + " was read without a digest");
        }
        return digest.finish();
    }

    @Override
    public boolean isOpen() {
        return body.isOpen();
    }

    /** Stops the digest (waiting for the piece it is hashing) and closes the body. */
    @Override
    public void close() throws IOException {
        try {
            digest.stop();
        } finally {
            body.close();
        }
    }

    /** The SHA-256 of the body, computed in order on one thread behind the reader. */
    private final class Digest {
        private static final MemorySegment STOP = MemorySegment.ofArray(new byte[0]);

        private final MessageDigest sha256;
        private final LinkedBlockingQueue<MemorySegment> pieces = new LinkedBlockingQueue<>();
        private final Object progress = new Object();
        private long submitted;
        private long digested; // guarded by progress
        private boolean stopped; // guarded by progress
        private Thread worker;

        Digest() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK provides SHA-256", e);
            }
        }

        void submit(ByteBuffer dst, int start, int n) {
            MemorySegment piece;
            if (dst.isDirect() && arena != null) {
                long address = MemorySegment.ofBuffer(dst).address() - dst.position() + start;
                piece = arena.contains(address, n) ? MemorySegment.ofAddress(address).reinterpret(n) : copy(dst, start, n);
            } else {
                piece = copy(dst, start, n);
            }
            if (worker == null) {
                worker = Thread.ofPlatform().daemon().name("sluice-sha256-" + name).start(this::run);
            }
            submitted += n;
            pieces.add(piece);
        }

        private static MemorySegment copy(ByteBuffer dst, int start, int n) {
            byte[] bytes = new byte[n];
            dst.get(start, bytes);
            return MemorySegment.ofArray(bytes);
        }

        private void run() {
            try {
                digestPieces();
            } catch (RuntimeException | Error e) {
                synchronized (progress) { // a dead worker must not leave a reader waiting for it
                    stopped = true;
                    progress.notifyAll();
                }
                throw e;
            }
        }

        private void digestPieces() {
            while (true) {
                MemorySegment piece;
                try {
                    piece = pieces.take();
                } catch (InterruptedException e) {
                    return; // only stop() interrupts, after setting stopped
                }
                if (piece == STOP) {
                    return;
                }
                synchronized (progress) {
                    if (stopped) {
                        return;
                    }
                }
                sha256.update(piece.asByteBuffer());
                synchronized (progress) {
                    digested += piece.byteSize();
                    progress.notifyAll();
                }
            }
        }

        void await(long offset) {
            boolean interrupted = false;
            synchronized (progress) {
                while (digested < offset && !stopped) {
                    try {
                        progress.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        String finish() {
            await(submitted);
            synchronized (progress) {
                if (stopped) {
                    throw new IllegalStateException("the digest of " + name + " was stopped");
                }
            }
            stop();
            return HexFormat.of().formatHex(sha256.digest());
        }

        /** Stops the worker after the piece it is hashing; memory handed to it is no longer read afterwards. */
        void stop() {
            synchronized (progress) {
                if (stopped) {
                    return;
                }
                stopped = true;
                progress.notifyAll();
            }
            if (worker != null) {
                pieces.add(STOP);
                boolean interrupted = false;
                while (true) {
                    try {
                        worker.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
