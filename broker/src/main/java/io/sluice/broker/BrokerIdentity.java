package io.sluice.broker;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Who this broker is in the stream rows it writes: an id made once per {@code --data-dir} and kept
 * in {@code broker-id}, held exclusively (a lock on {@code broker.lock}) while the broker runs.
 * Because only one live process can hold an identity, streams the store shows {@code RUNNING}
 * under this identity when the broker starts were left by an earlier, killed process of it, and
 * may be closed as interrupted; streams of other identities (brokers with another data directory
 * on a shared database) are never touched. Closing releases the lock.
 */
public final class BrokerIdentity implements AutoCloseable {
    public static final String ID_FILE = "broker-id";
    public static final String LOCK_FILE = "broker.lock";

    private final String id;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private BrokerIdentity(String id, FileChannel lockChannel, FileLock lock) {
        this.id = id;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Takes the identity of {@code dataDir}, making it on first use; fails when a running broker holds it. */
    public static BrokerIdentity acquire(Path dataDir) {
        requireNonNull(dataDir, "dataDir is null");
        Path lockFile = dataDir.resolve(LOCK_FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("another broker is running with the data directory " + dataDir
                        + " (" + lockFile + " is locked); each broker needs a data directory of its own");
            }
            return new BrokerIdentity(loadOrCreateId(dataDir.resolve(ID_FILE)), channel, lock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof IOException io) {
                throw new IllegalArgumentException("cannot take the broker identity in " + dataDir + ": " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    private static String loadOrCreateId(Path file) throws IOException {
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!id.matches("br-[0-9a-f]{32}")) {
                throw new IOException(file + " does not hold a broker id (br- and 32 hex digits)");
            }
            return id;
        }
        String id = "br-" + UUID.randomUUID().toString().replace("-", "");
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, id + "\n", StandardCharsets.US_ASCII);
        Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    public String id() {
        return id;
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // The lock goes with the process anyway.
        }
    }
}
