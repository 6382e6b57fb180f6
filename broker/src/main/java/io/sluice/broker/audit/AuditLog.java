package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.tlog.CanonicalJson;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleTree;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.Sql;
import io.sluice.broker.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only audit log: each record is RFC 8785 canonical JSON and a leaf of an RFC 9162
 * Merkle tree, committed in the same transaction as the change it records. When the log cannot be
 * written, the change does not happen.
 *
 * <p>Group commit: callers queue their appends; one writer thread takes whatever is queued and
 * commits it in one transaction, under a lock on the single {@code audit_head} row, which also
 * keeps one gap-free order across brokers that share a database. Each record names the leaf hash
 * of the record before it ({@code prev}), so a verifier can name the first record that was
 * changed, removed, inserted or moved, not only the checkpoint that no longer matches.
 *
 * <p>{@link #append} blocks until the record is durable: call it from worker threads, never from
 * an event loop. Reads and proofs may come from any thread.
 */
public final class AuditLog implements AutoCloseable {
    /** The {@code prev} of the first record. */
    public static final String GENESIS = "0".repeat(64);

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int MAX_BATCH = 512;
    private static final int QUEUE_CAPACITY = 16_384;
    private static final int STREAM_PAGE = 1000;
    private static final HexFormat HEX = HexFormat.of();

    private final Database database;
    private final Clock clock;
    private final MerkleTree tree = new MerkleTree();
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread writer;
    private final CommitListener listener;
    private volatile boolean closed;
    /** Whether the writer's last commit failed; a later successful one clears it. */
    private volatile boolean lastCommitFailed;

    /**
     * Told about each group commit, on the writer thread, before any append of the batch returns
     * (so a caller that saw its append return also finds it counted). Must be quick, must not
     * append, and should not throw (a failure is logged and ignored).
     */
    public interface CommitListener {
        /** A batch committed: the records it appended, in order, and how long the commit took. */
        void committed(List<AuditEvent> appended, Duration took);

        /** A batch could not be committed: how many appends it held, and how long the attempt took. */
        void failed(int appends, Duration took);

        CommitListener NONE = new CommitListener() {
            @Override
            public void committed(List<AuditEvent> appended, Duration took) {}

            @Override
            public void failed(int appends, Duration took) {}
        };
    }

    /** A change committed together with its audit record. */
    @FunctionalInterface
    public interface Effect {
        void apply(Connection connection) throws SQLException;

        Effect NONE = connection -> {};
    }

    /** One queued append; {@code event == null} asks the writer only to catch up with the database. */
    private record Pending(AuditEvent event, Effect effect, CompletableFuture<AuditEntry> done) {}

    /** Queued by {@link #close()}: the writer commits everything queued before it, then ends. */
    private static final Pending END = new Pending(null, Effect.NONE, new CompletableFuture<>());
    /** How long {@link #close()} lets the writer commit what is queued before it interrupts it. */
    private static final long CLOSE_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    public AuditLog(Database database, Clock clock) {
        this(database, clock, CommitListener.NONE);
    }

    /** @param listener told about every group commit (see {@link CommitListener}) */
    public AuditLog(Database database, Clock clock, CommitListener listener) {
        this.database = requireNonNull(database, "database is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.listener = requireNonNull(listener, "listener is null");
        try (Connection connection = database.connection()) {
            catchUp(connection, Long.MAX_VALUE);
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit log", e);
        }
        this.writer = Thread.ofPlatform().name("sluice-audit-writer").daemon().start(this::writeLoop);
    }

    /** Appends a record with no other change. */
    public AuditEntry append(AuditEvent event) {
        return append(event, Effect.NONE);
    }

    /**
     * Commits {@code effect} and the record of it in one transaction, batched with other appends.
     *
     * @throws AuditUnavailableException when the log cannot be written; nothing was changed
     * @throws StoreException when the effect itself failed; nothing was changed or logged
     */
    public AuditEntry append(AuditEvent event, Effect effect) {
        requireNonNull(event, "event is null");
        requireNonNull(effect, "effect is null");
        return await(enqueue(new Pending(event, effect, new CompletableFuture<>())));
    }

    /** Reads records other brokers appended to a shared database into this broker's tree. */
    public void refresh() {
        await(enqueue(new Pending(null, Effect.NONE, new CompletableFuture<>())));
    }

    /** The number of records in this broker's view of the tree. */
    public long size() {
        return tree.size();
    }

    /**
     * Whether appends can be expected to succeed now: the log is open, its writer runs, its last
     * commit did not fail and its queue has room. A readiness check, not a promise.
     */
    public boolean writable() {
        return !closed && writer.isAlive() && !lastCommitFailed && queue.remainingCapacity() > 0;
    }

    /** Appends waiting for the writer (at most 16,384; past that an append waits, then fails as overloaded). */
    public int queued() {
        return queue.size();
    }

    /** The tree, for roots and proofs. Read-only use. */
    public MerkleTree tree() {
        return tree;
    }

    /** Records {@code start} (inclusive) to {@code end} (exclusive), in order, with their exact bytes. */
    public List<AuditEntry> entries(long start, long end) {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT idx, record_json, leaf_hash FROM audit_log WHERE idx >= ? AND idx < ?"
                            + " ORDER BY idx", AuditLog::entry, start, end);
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit log", e);
        }
    }

    /** Records matching the query, in its order: one page of at most {@code query.limit()}. */
    public List<AuditEntry> query(AuditQuery query) {
        StringBuilder sql = new StringBuilder("SELECT a.idx, a.record_json, a.leaf_hash FROM audit_log a WHERE ");
        List<Object> parameters = new ArrayList<>();
        parameters.add(query.newestFirst() && query.after() < 0 ? Long.MAX_VALUE : query.after());
        sql.append(query.newestFirst() ? "a.idx < ?" : "a.idx > ?");
        filter(sql, parameters, "a.dataset_id = ?", query.dataset().orElse(null));
        filter(sql, parameters, "a.organisation = ?", query.organisation().orElse(null));
        filter(sql, parameters, "a.subject = ?", query.subject().orElse(null));
        filter(sql, parameters, "a.action = ?", query.action().orElse(null));
        filter(sql, parameters, "a.purpose = ?", query.purpose().orElse(null));
        filter(sql, parameters, "a.recorded_at >= ?", query.from().orElse(null));
        filter(sql, parameters, "a.recorded_at < ?", query.to().orElse(null));
        filter(sql, parameters, "a.dataset_id IN (SELECT d.id FROM datasets d WHERE d.organisation = ?)",
                query.ownerOrganisation().orElse(null));
        query.text().ifPresent(text -> {
            // The values the search promises (AuditSearchText: actor, dataset, purpose, reasons, message, grant and
            // stream ids), never the record's field names; and the names of its dataset, withdrawn ones too: what a
            // person searching the log means by "this dataset". One LIKE per column keeps the SQL paging exact.
            String pattern = AuditSearchText.likePattern(text);
            sql.append(" AND (a.search_text LIKE ? ESCAPE '\\' OR a.dataset_id IN (SELECT n.id FROM datasets n"
                    + " WHERE LOWER(n.name) LIKE ? ESCAPE '\\'))");
            parameters.add(pattern);
            parameters.add(pattern);
        });
        sql.append(query.newestFirst() ? " ORDER BY a.idx DESC LIMIT " : " ORDER BY a.idx LIMIT ").append(query.limit());
        try (Connection connection = database.connection()) {
            return Sql.query(connection, sql.toString(), AuditLog::entry, parameters.toArray());
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit log", e);
        }
    }

    /**
     * Feeds every record matching the query to {@code sink}, oldest first, a page at a time. Each
     * page takes a connection and gives it back before the sink sees a record, so a slow reader
     * of an export never holds one of the store's connections.
     */
    public void stream(AuditQuery query, Consumer<AuditEntry> sink) {
        long remaining = query.limit();
        AuditQuery page = query.after(query.after());
        while (remaining > 0) {
            int size = (int) Math.min(STREAM_PAGE, remaining);
            List<AuditEntry> entries = query(page.withLimit(size));
            entries.forEach(sink);
            if (entries.size() < size) {
                return;
            }
            remaining -= entries.size();
            page = page.after(entries.getLast().index());
        }
    }

    /**
     * Commits what is queued, then stops the writer and waits for it to end; appends made after
     * this fail with {@link AuditUnavailableException}. The writer is not interrupted while it
     * commits (an interrupt can close the H2 file it writes), unless it is still busy after 30 s.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean interrupted = false;
        // A full queue drains while the writer lives; a writer that died will never take the marker.
        while (writer.isAlive()) {
            try {
                if (queue.offer(END, 100, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            writer.join(CLOSE_WAIT_MILLIS);
            if (writer.isAlive()) {
                LOG.warn("the audit writer is still committing after {} ms; interrupting it", CLOSE_WAIT_MILLIS);
                writer.interrupt();
                writer.join();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(p -> p.done().completeExceptionally(
                new AuditUnavailableException("the audit log is closed", null)));
    }

    /** The leaf hash of a record's canonical bytes, in lower-case hex. */
    public static String leafHashHex(String recordJson) {
        return HEX.formatHex(MerkleHash.leaf(recordJson.getBytes(StandardCharsets.UTF_8)));
    }

    private Pending enqueue(Pending pending) {
        if (closed) {
            throw new AuditUnavailableException("the audit log is closed", null);
        }
        try {
            if (!queue.offer(pending, 5, TimeUnit.SECONDS)) {
                throw new AuditUnavailableException("the audit log is overloaded", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuditUnavailableException("interrupted while queueing an audit record", e);
        }
        return pending;
    }

    private static AuditEntry await(Pending pending) {
        try {
            return pending.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuditUnavailableException("interrupted while waiting for an audit record to commit", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new AuditUnavailableException("audit append failed", e.getCause());
        }
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        boolean end = false;
        while (!end) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            end = batch.remove(END);
            if (!batch.isEmpty()) {
                commit(batch);
            }
            batch.clear();
        }
    }

    /** Commits one batch; completes every future in it, one way or the other. */
    private void commit(List<Pending> batch) {
        long started = System.nanoTime();
        List<Pending> appended = new ArrayList<>(batch.size());
        List<AuditEntry> entries = new ArrayList<>(batch.size());
        try (Connection connection = database.connection()) {
            connection.setAutoCommit(false);
            try {
                long next = Sql.queryOne(connection, "SELECT next_index FROM audit_head WHERE id = 1 FOR UPDATE",
                                row -> row.getLong(1))
                        .orElseThrow(() -> new SQLException("audit_head has no row"));
                if (next > tree.size()) {
                    catchUp(connection, next);
                }
                String prev = next == 0 ? GENESIS : HEX.formatHex(tree.leafHash(next - 1));
                Instant time = clock.instant();
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log (idx, recorded_at,"
                        + " action, dataset_id, organisation, subject, purpose, record_json, leaf_hash, search_text,"
                        + " grant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    for (Pending pending : batch) {
                        if (pending.event() == null || !applyEffect(connection, pending)) {
                            continue;
                        }
                        AuditEvent event = pending.event();
                        String json = canonicalJson(next, time, prev, event);
                        String leaf = leafHashHex(json);
                        insert.setLong(1, next);
                        insert.setObject(2, time.atOffset(java.time.ZoneOffset.UTC));
                        insert.setString(3, event.action().wireName());
                        insert.setString(4, event.datasetId());
                        insert.setString(5, event.actor().organisation());
                        insert.setString(6, event.actor().subject());
                        insert.setString(7, event.detail("purpose"));
                        insert.setString(8, json);
                        insert.setString(9, leaf);
                        // Derived from the event, not by parsing json again: this thread is the one every append waits on.
                        insert.setString(10, AuditSearchText.of(event));
                        insert.setString(11, event.grantId());
                        // One round trip for the whole batch's records, not one per record.
                        insert.addBatch();
                        appended.add(pending);
                        entries.add(new AuditEntry(next, json, leaf));
                        prev = leaf;
                        next++;
                    }
                    if (!appended.isEmpty()) {
                        insert.executeBatch();
                    }
                }
                Sql.update(connection, "UPDATE audit_head SET next_index = ? WHERE id = 1", next);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection);
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            lastCommitFailed = true;
            LOG.error("audit batch of {} appends could not be committed", batch.size(), e);
            tell(() -> listener.failed(batch.size(), Duration.ofNanos(System.nanoTime() - started)));
            AuditUnavailableException failure = new AuditUnavailableException("the audit log cannot be written", e);
            batch.forEach(p -> p.done().completeExceptionally(failure));
            return;
        }
        lastCommitFailed = false;
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        for (int i = 0; i < appended.size(); i++) {
            tree.append(HEX.parseHex(entries.get(i).leafHash()));
        }
        tell(() -> listener.committed(appended.stream().map(Pending::event).toList(), took));
        for (int i = 0; i < appended.size(); i++) {
            appended.get(i).done().complete(entries.get(i));
        }
        batch.forEach(p -> p.done().complete(null)); // sync-only requests; completed ones keep their value
    }

    /** A listener's failure must never fail the appends it was told about. */
    private static void tell(Runnable notification) {
        try {
            notification.run();
        } catch (RuntimeException e) {
            LOG.warn("the audit commit listener failed", e);
        }
    }

    /** Runs an append's effect inside a savepoint, so one failing effect does not sink the batch. */
    private static boolean applyEffect(Connection connection, Pending pending) throws SQLException {
        if (pending.effect() == Effect.NONE) {
            return true;
        }
        Savepoint savepoint = connection.setSavepoint();
        try {
            pending.effect().apply(connection);
            connection.releaseSavepoint(savepoint);
            return true;
        } catch (SQLException e) {
            connection.rollback(savepoint);
            pending.done().completeExceptionally(new StoreException("the change to be audited failed", e));
        } catch (RuntimeException e) {
            connection.rollback(savepoint);
            pending.done().completeExceptionally(e);
        }
        return false;
    }

    /** Appends to the in-memory tree every leaf in the database below {@code end} that it lacks. */
    private void catchUp(Connection connection, long end) throws SQLException {
        record StoredLeaf(long index, String hash) {}
        long index = tree.size();
        List<StoredLeaf> leaves = Sql.query(connection,
                "SELECT idx, leaf_hash FROM audit_log WHERE idx >= ? AND idx < ? ORDER BY idx",
                row -> new StoredLeaf(row.getLong(1), row.getString(2)), index, end);
        for (StoredLeaf leaf : leaves) {
            if (leaf.index() != index) {
                throw new SQLException("the audit log has a gap: expected record " + index + ", found " + leaf.index());
            }
            tree.append(HEX.parseHex(leaf.hash()));
            index++;
        }
    }

    private static AuditEntry entry(ResultSet row) throws SQLException {
        return new AuditEntry(row.getLong("idx"), row.getString("record_json"), row.getString("leaf_hash"));
    }

    private static void filter(StringBuilder sql, List<Object> parameters, String condition, Object value) {
        if (value != null) {
            sql.append(" AND ").append(condition);
            parameters.add(value);
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.warn("rollback of an audit batch failed", e);
        }
    }

    /** The record the writer stores for {@code event} (package-private for the tests that compare what is derived from it). */
    static String canonicalJson(long index, Instant time, String prev, AuditEvent event) {
        Map<String, Object> record = new LinkedHashMap<>(event.details());
        record.put("index", index);
        record.put("time", time.toString());
        record.put("action", event.action().wireName());
        record.put("prev", prev);
        Map<String, Object> actor = new LinkedHashMap<>();
        actor.put("subject", event.actor().subject());
        actor.put("organisation", event.actor().organisation());
        actor.put("roles", event.actor().roles());
        record.put("actor", actor);
        return new String(CanonicalJson.encode(record), StandardCharsets.UTF_8);
    }
}
