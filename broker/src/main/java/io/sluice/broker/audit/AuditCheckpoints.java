package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.NoteSigner;
import io.sluice.broker.audit.tlog.NoteVerificationException;
import io.sluice.broker.audit.tlog.NoteVerifier;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed tree heads: every second, if the log has grown, the broker signs a C2SP
 * {@code tlog-checkpoint} note over the tree's size and root and stores it. Old checkpoints are
 * kept, so a verifier can check each one it sees and the consistency between them.
 *
 * <p>Several brokers on one store each sign with their own key, and the store keeps one note per
 * tree size, whoever signed it first. What this broker hands out ({@link #signAt}, {@link #signIfGrown},
 * {@link #latest}) is always signed by its own key, so that it verifies with its
 * {@code GET /v1/audit/public-key}; {@link #list} and {@link #find} return the store's notes as they are.
 */
public final class AuditCheckpoints implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditCheckpoints.class);
    private static final HexFormat HEX = HexFormat.of();

    /** A stored checkpoint: the tree size, its root, the signed note and when it was signed. */
    public record Signed(long size, String rootHex, String note, Instant signedAt) {
        public Signed {
            requireNonNull(rootHex, "rootHex is null");
            requireNonNull(note, "note is null");
            requireNonNull(signedAt, "signedAt is null");
        }
    }

    private final Database database;
    private final AuditLog log;
    private final NoteSigner signer;
    private final NoteVerifier ownKey;
    private final String origin;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private volatile Signed latest;

    public AuditCheckpoints(Database database, AuditLog log, NoteSigner signer, String origin, Clock clock) {
        this.database = requireNonNull(database, "database is null");
        this.log = requireNonNull(log, "log is null");
        this.signer = requireNonNull(signer, "signer is null");
        this.ownKey = NoteVerifier.parse(signer.verifierKey());
        this.origin = requireNonNull(origin, "origin is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sluice-audit-checkpoints").daemon().factory());
    }

    /** Signs the current head now, then every second while the log grows. */
    public void start() {
        signIfGrown();
        timer.scheduleWithFixedDelay(() -> {
            try {
                signIfGrown();
            } catch (RuntimeException e) {
                LOG.warn("could not sign an audit checkpoint; retrying in a second", e);
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** Signs and stores a checkpoint for the current tree, unless one for this size exists. */
    public Signed signIfGrown() {
        log.refresh();
        long size = log.size();
        Signed current = latest;
        if (current != null && current.size() >= size) {
            return current;
        }
        return signAt(size);
    }

    /**
     * A checkpoint at exactly {@code size} signed by this broker, signed now unless it stored one:
     * what an export of the first {@code size} records ships with, so that its checkpoint covers every
     * record in it and no more. Signing a smaller size than the newest is a true statement about a
     * prefix of the log and harmless: a verifier checks every checkpoint it sees against the same tree.
     * When another broker of the store already stored a note at this size, this broker's note is
     * returned and not stored (the store keeps one per size); Ed25519 signatures are deterministic,
     * so asking again gives the same note.
     *
     * @param size at most the tree size this broker has seen
     */
    public Signed signAt(long size) {
        if (size < 0 || size > log.size()) {
            throw new IllegalArgumentException("size must be in 0.." + log.size() + ", was " + size);
        }
        Optional<Signed> stored = find(size);
        if (stored.isPresent() && signedHere(stored.get())) {
            return remember(stored.get());
        }
        byte[] root = log.tree().root(size);
        String note = signer.sign(new Checkpoint(origin, size, root).body());
        Signed signed = new Signed(size, HEX.formatHex(root), note, clock.instant());
        if (stored.isPresent()) {
            return remember(signed);
        }
        try (Connection connection = database.connection()) {
            boolean exists = Sql.queryOne(connection, "SELECT tree_size FROM audit_checkpoints WHERE tree_size = ?",
                    row -> row.getLong(1), size).isPresent();
            if (!exists) {
                Sql.update(connection, "INSERT INTO audit_checkpoints (tree_size, root_hash, note, signed_at)"
                        + " VALUES (?, ?, ?, ?)", size, signed.rootHex(), note, signed.signedAt());
            }
        } catch (SQLException e) {
            // Another broker may have stored this size a moment ago; either way, the note is valid.
            LOG.debug("checkpoint {} not stored", size, e);
        }
        return remember(signed);
    }

    /** Whether this broker's key signed the stored checkpoint, for its own origin (not another broker of the store). */
    public boolean signedHere(Signed stored) {
        requireNonNull(stored, "stored is null");
        try {
            return Checkpoint.parseBody(ownKey.verify(stored.note())).origin().equals(origin);
        } catch (NoteVerificationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Keeps the newest checkpoint as {@link #latest}; never moves it back to a smaller size. */
    private synchronized Signed remember(Signed signed) {
        Signed current = latest;
        if (current == null || current.size() < signed.size()) {
            latest = signed;
        }
        return signed;
    }

    /** The newest checkpoint this broker signed or found signed by its key. */
    public Signed latest() {
        Signed current = latest;
        return current != null ? current : signIfGrown();
    }

    /** The newest checkpoint this broker signed or found signed by its key so far, without signing or reading the store. */
    public Optional<Signed> newest() {
        return Optional.ofNullable(latest);
    }

    /** Stored checkpoints with a size greater than {@code afterSize}, smallest first. */
    public List<Signed> list(long afterSize, int limit) {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT tree_size, root_hash, note, signed_at FROM audit_checkpoints"
                            + " WHERE tree_size > ? ORDER BY tree_size LIMIT " + Math.max(1, Math.min(limit, 1000)),
                    row -> new Signed(row.getLong(1), row.getString(2), row.getString(3), Sql.instant(row, "signed_at")),
                    afterSize);
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read audit checkpoints", e);
        }
    }

    public String verifierKey() {
        return signer.verifierKey();
    }

    public String origin() {
        return origin;
    }

    public Optional<Signed> find(long size) {
        return list(size - 1, 1).stream().filter(s -> s.size() == size).findFirst();
    }

    /**
     * Stops the timer and waits for its thread to end, then signs a last checkpoint over every
     * record the log holds, so the records of a shutdown are covered. Call before the log closes.
     */
    @Override
    public void close() {
        timer.shutdown();
        boolean interrupted = false;
        try {
            if (!timer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("the checkpoint timer did not end within 10 s; interrupting it");
                timer.shutdownNow();
                timer.awaitTermination(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            interrupted = true;
            timer.shutdownNow();
        }
        try {
            Signed last = signIfGrown();
            LOG.info("final audit checkpoint: {} records, root {}", last.size(), last.rootHex());
        } catch (RuntimeException e) {
            LOG.error("the final audit checkpoint could not be signed; the next start signs one", e);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
