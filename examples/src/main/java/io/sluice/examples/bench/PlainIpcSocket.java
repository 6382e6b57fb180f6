package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * The baseline: the broker's enforced Arrow IPC stream, captured once to a file, sent over a plain
 * loopback TCP socket (read from the file, in the page cache after the first run, through a 1 MiB
 * direct buffer) and decoded by a plain {@link ArrowStreamReader} reading the socket channel. No
 * Parquet, no policy, no HTTP, no hashing: what moving and decoding these bytes costs on this machine.
 */
final class PlainIpcSocket {
    private static final int CHUNK = 1 << 20;

    private final Path ipcFile;
    private final BufferAllocator allocator;

    PlainIpcSocket(Path ipcFile, BufferAllocator allocator) {
        this.ipcFile = requireNonNull(ipcFile, "ipcFile is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    Transfer run() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            CompletableFuture<Void> sent = new CompletableFuture<>();
            Thread sender = Thread.ofPlatform().name("ipc-socket-sender").start(() -> {
                try (SocketChannel socket = server.accept();
                        FileChannel file = FileChannel.open(ipcFile, StandardOpenOption.READ)) {
                    ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
                    while (file.read(buffer) > 0 || buffer.position() > 0) {
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            socket.write(buffer);
                        }
                        buffer.clear();
                    }
                    sent.complete(null);
                } catch (IOException | RuntimeException e) {
                    sent.completeExceptionally(e);
                }
            });
            Transfer transfer = Transfer.timed(() -> {
                long rows = 0;
                try (SocketChannel socket = SocketChannel.open(server.getLocalAddress());
                        BufferAllocator reading = allocator.newChildAllocator("ipc-socket", 0, Long.MAX_VALUE);
                        ArrowStreamReader reader = new ArrowStreamReader(socket, reading)) {
                    while (reader.loadNextBatch()) {
                        rows += reader.getVectorSchemaRoot().getRowCount();
                    }
                    return new long[] {reader.bytesRead(), rows};
                }
            });
            sender.join();
            sent.join();
            return transfer;
        }
    }
}
