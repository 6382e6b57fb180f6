package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Brokers' heartbeats on a shared store: when each broker last said it is alive, by the database's
 * clock (so clocks that differ between hosts do not matter). Blocking; call from worker threads.
 */
public final class HeartbeatStore {

    /**
     * A broker that has not beaten for a while, and still has streams recorded as running.
     *
     * @param brokerId the broker identity, as in the stream rows
     * @param lastBeat its last heartbeat, by the database's clock
     * @param silentFor how long ago that was, by the database's clock
     */
    public record SilentBroker(String brokerId, Instant lastBeat, Duration silentFor) {
        public SilentBroker {
            requireNonNull(brokerId, "brokerId is null");
            requireNonNull(lastBeat, "lastBeat is null");
            requireNonNull(silentFor, "silentFor is null");
        }
    }

    private final Database database;

    public HeartbeatStore(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    /** Records that {@code brokerId} starts now: its row is made, or reset if the identity ran before. */
    public void starting(String brokerId) {
        requireNonNull(brokerId, "brokerId is null");
        try (Connection connection = database.connection()) {
            int updated = Sql.update(connection, "UPDATE broker_heartbeats SET started_at = CURRENT_TIMESTAMP,"
                    + " beat_at = CURRENT_TIMESTAMP WHERE broker_id = ?", brokerId);
            if (updated == 0) {
                // Only this broker writes its own row (its identity is locked), so the insert cannot race another.
                Sql.update(connection, "INSERT INTO broker_heartbeats (broker_id, started_at, beat_at)"
                        + " VALUES (?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", brokerId);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot record the start of broker " + brokerId, e);
        }
    }

    /** Records that {@code brokerId} is alive now; {@link #starting} must have made its row. */
    public void beat(String brokerId) {
        requireNonNull(brokerId, "brokerId is null");
        try (Connection connection = database.connection()) {
            if (Sql.update(connection, "UPDATE broker_heartbeats SET beat_at = CURRENT_TIMESTAMP WHERE broker_id = ?",
                    brokerId) == 0) {
                throw new StoreException("broker " + brokerId + " has no heartbeat row: it was never started", null);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot record the heartbeat of broker " + brokerId, e);
        }
    }

    /**
     * The brokers other than {@code self} that have streams recorded as running and whose last
     * heartbeat is more than {@code timeout} old, oldest beat first. A broker that never wrote a
     * heartbeat (one from before heartbeats) is not among them: nothing says when it was last alive.
     */
    public List<SilentBroker> silentWithRunningStreams(String self, Duration timeout) {
        requireNonNull(self, "self is null");
        requireNonNull(timeout, "timeout is null");
        record Row(String brokerId, Instant lastBeat, Instant now) {}
        try (Connection connection = database.connection()) {
            // The age is computed here, not in SQL: interval arithmetic is spelled differently in H2 and PostgreSQL.
            List<Row> rows = Sql.query(connection, "SELECT h.broker_id, h.beat_at, CURRENT_TIMESTAMP AS now_at"
                            + " FROM broker_heartbeats h WHERE h.broker_id <> ? AND EXISTS (SELECT 1 FROM streams s"
                            + " WHERE s.broker_id = h.broker_id AND s.status = ?) ORDER BY h.beat_at, h.broker_id",
                    row -> new Row(row.getString("broker_id"), Sql.instant(row, "beat_at"), Sql.instant(row, "now_at")),
                    self, StreamRecord.Status.RUNNING.name());
            return rows.stream()
                    .map(row -> new SilentBroker(row.brokerId(), row.lastBeat(), Duration.between(row.lastBeat(), row.now())))
                    .filter(silent -> silent.silentFor().compareTo(timeout) > 0)
                    .toList();
        } catch (SQLException e) {
            throw new StoreException("cannot read the brokers' heartbeats", e);
        }
    }
}
