package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Streams and their final counts. Each stream row names the broker that opened it (see
 * {@link #brokerId()}). Blocking; call from worker threads.
 */
public final class StreamStore {
    private static final String COLUMNS = "id, grant_id, subject, organisation, shard, shards, epoch, status,"
            + " row_count, rows_in, batch_count, byte_count, sha256, opened_at, closed_at, message, failure";
    /** The length of the {@code message} column; a longer message is cut to it. */
    static final int MAX_MESSAGE_CHARS = 2000;

    private final Database database;
    private final String brokerId;

    /** @param brokerId the broker identity written into every stream this store inserts */
    public StreamStore(Database database, String brokerId) {
        this.database = requireNonNull(database, "database is null");
        this.brokerId = requireNonNull(brokerId, "brokerId is null");
    }

    public String brokerId() {
        return brokerId;
    }

    public void insert(Connection connection, StreamRecord stream) throws SQLException {
        Sql.update(connection, "INSERT INTO streams (" + COLUMNS + ", broker_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                stream.id(), stream.grantId(), stream.subject(), stream.organisation(), stream.shard(),
                stream.shards(), stream.epoch(), stream.status().name(), stream.rows(), stream.rowsIn(), stream.batches(),
                stream.bytes(), stream.sha256().orElse(null), stream.openedAt(), stream.closedAt().orElse(null),
                stream.message().map(StreamStore::fit).orElse(null), stream.failure().map(Enum::name).orElse(null),
                brokerId);
    }

    /** Streams opened under a grant, read inside the caller's transaction. */
    public long countForGrant(Connection connection, String grantId) throws SQLException {
        return Sql.queryOne(connection, "SELECT COUNT(*) FROM streams WHERE grant_id = ?", row -> row.getLong(1), grantId)
                .orElse(0L);
    }

    /**
     * Records how a running stream ended; {@code message} and {@code failure} say why one that did
     * not complete stopped. A stream has one end: one that another broker already closed as
     * interrupted (its broker's heartbeat went silent) is refused, so no second end is recorded.
     */
    public void finish(Connection connection, String id, StreamRecord.Status status, long rows, long rowsIn,
            long batches, long bytes, String sha256, Instant closedAt, Optional<String> message,
            Optional<StreamRecord.Failure> failure) throws SQLException {
        int updated = Sql.update(connection,
                "UPDATE streams SET status = ?, row_count = ?, rows_in = ?, batch_count = ?, byte_count = ?, sha256 = ?,"
                        + " closed_at = ?, message = ?, failure = ? WHERE id = ? AND status = ?",
                status.name(), rows, rowsIn, batches, bytes, sha256, closedAt, message.map(StreamStore::fit).orElse(null),
                failure.map(Enum::name).orElse(null), id, StreamRecord.Status.RUNNING.name());
        if (updated != 1) {
            Optional<String> ended = Sql.queryOne(connection, "SELECT status FROM streams WHERE id = ?",
                    row -> row.getString(1), id);
            throw new SQLException(ended.map(was -> "stream " + id + " has already ended as " + was)
                    .orElse("stream " + id + " does not exist"));
        }
    }

    /**
     * Streams this broker identity opened that are still {@code RUNNING}, i.e. left running by an
     * earlier process of this broker that was killed; with {@code includeUnowned}, also those
     * opened before streams named their broker.
     */
    public List<StreamRecord> leftRunning(boolean includeUnowned) {
        return running(brokerId, includeUnowned);
    }

    /** Streams broker {@code owner} opened that are still {@code RUNNING}, oldest first. */
    public List<StreamRecord> runningOf(String owner) {
        return running(requireNonNull(owner, "owner is null"), false);
    }

    private List<StreamRecord> running(String owner, boolean includeUnowned) {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT " + COLUMNS + " FROM streams WHERE status = ? AND (broker_id = ?"
                            + (includeUnowned ? " OR broker_id IS NULL" : "") + ") ORDER BY opened_at, id",
                    StreamStore::map, StreamRecord.Status.RUNNING.name(), owner);
        } catch (SQLException e) {
            throw new StoreException("cannot read the running streams of broker " + owner, e);
        }
    }

    /**
     * Records how far a running stream has come (what it handed to the connection so far, and the
     * SHA-256 of those bytes), so that a stream whose broker dies still has counts a later
     * {@code stream.interrupted} record can give. False when the stream is no longer running.
     */
    public boolean progress(String id, long rows, long rowsIn, long batches, long bytes, String sha256) {
        try (Connection connection = database.connection()) {
            return Sql.update(connection, "UPDATE streams SET row_count = ?, rows_in = ?, batch_count = ?, byte_count = ?,"
                    + " sha256 = ? WHERE id = ? AND status = ?", rows, rowsIn, batches, bytes, sha256, id,
                    StreamRecord.Status.RUNNING.name()) == 1;
        } catch (SQLException e) {
            throw new StoreException("cannot record the progress of stream " + id, e);
        }
    }

    /** Marks a stream left running as {@code INTERRUPTED}; false when it is no longer running. */
    public boolean interrupt(Connection connection, String id, Instant closedAt) throws SQLException {
        return Sql.update(connection, "UPDATE streams SET status = ?, closed_at = ? WHERE id = ? AND status = ?",
                StreamRecord.Status.INTERRUPTED.name(), closedAt, id, StreamRecord.Status.RUNNING.name()) == 1;
    }

    public Optional<StreamRecord> find(String id) {
        try (Connection connection = database.connection()) {
            return Sql.queryOne(connection, "SELECT " + COLUMNS + " FROM streams WHERE id = ?", StreamStore::map, id);
        } catch (SQLException e) {
            throw new StoreException("cannot read stream " + id, e);
        }
    }

    private static StreamRecord map(ResultSet row) throws SQLException {
        return new StreamRecord(row.getString("id"), row.getString("grant_id"), row.getString("subject"),
                row.getString("organisation"), row.getInt("shard"), row.getInt("shards"), row.getInt("epoch"),
                StreamRecord.Status.valueOf(row.getString("status")), row.getLong("row_count"), row.getLong("rows_in"),
                row.getLong("batch_count"), row.getLong("byte_count"), Optional.ofNullable(row.getString("sha256")),
                Sql.instant(row, "opened_at"), Optional.ofNullable(Sql.instant(row, "closed_at")),
                Optional.ofNullable(row.getString("message")),
                Optional.ofNullable(row.getString("failure")).map(StreamRecord.Failure::valueOf));
    }

    private static String fit(String message) {
        return message.length() <= MAX_MESSAGE_CHARS ? message : message.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
    }
}
