package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.store.Database;
import io.sluice.broker.store.StreamRecord;
import io.sluice.broker.store.StreamStore;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Liveness across brokers on one store: two live brokers with a short peer timeout both sweep a
 * broker whose heartbeat is long silent. Each of its running streams gets exactly one
 * {@code stream.interrupted} record, however the two sweeps interleave; the running streams of a
 * broker that keeps beating are left alone; and a stream closed by a sweep takes no second end.
 * On H2 and PostgreSQL.
 */
class BrokerLivenessIT {
    private static final String POLICY = TestPolicies.SCIENTIFIC_RESEARCH;
    /**
     * Short enough that both brokers sweep every second (their rounds overlap on some streams), long
     * enough that a pause of the live brokers on a loaded machine does not make them look dead.
     */
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(3);
    /** Many streams, so that two overlapping sweeps meet on some of them. */
    private static final int DEAD_STREAMS = 40;
    private static final String DEAD = "br-" + "d".repeat(32);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void twoLiveBrokersCloseASilentBrokersStreamsExactlyOnce(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        Path sources = dir.resolve("sources");
        TestParquet.write(sources.resolve("hospital-a/small.parquet"), 100);
        BrokerConfig base = BrokerConfig.embedded(dir.resolve("a")).withSourcesDir(sources).withDatabase(url)
                .withPeerTimeout(PEER_TIMEOUT);
        List<String> dead = new ArrayList<>();
        List<String> alive = new ArrayList<>();
        try (Broker a = Broker.start(base);
                Broker b = Broker.start(BrokerConfig.embedded(dir.resolve("b")).withSourcesDir(sources).withDatabase(url)
                        .withPeerTimeout(PEER_TIMEOUT));
                Connection db = DriverManager.getConnection(url)) {
            String grantId = grant(a.uri());
            // A broker that beat an hour ago and left streams running, and a stream of broker a, which beats:
            // committed at once, so that both brokers' next sweeps find all of them.
            db.setAutoCommit(false);
            heartbeat(db, DEAD, Instant.now().minus(Duration.ofHours(1)));
            for (int i = 0; i < DEAD_STREAMS; i++) {
                dead.add(insertRunningStream(db, grantId, DEAD, i));
            }
            alive.add(insertRunningStream(db, grantId, a.brokerId(), 0));
            db.commit();
            db.setAutoCommit(true);

            Poll.until(() -> count(db, "SELECT COUNT(*) FROM streams WHERE broker_id = '" + DEAD
                    + "' AND status = 'INTERRUPTED'") == DEAD_STREAMS, Duration.ofSeconds(30),
                    "every stream of the silent broker closed");
            // Several more rounds of both brokers: nothing is closed twice, the live broker's stream stays.
            long beat = lastBeat(db, b.brokerId());
            Poll.until(() -> lastBeat(db, b.brokerId()) > beat + 1_000, Duration.ofSeconds(30),
                    "three more heartbeats of broker b");

            Map<String, Integer> records = interruptedRecords(db);
            for (String stream : dead) {
                assertThat(records.get(stream)).as("stream.interrupted records of %s", stream).isEqualTo(1);
            }
            assertThat(records).hasSize(DEAD_STREAMS);
            assertThat(status(db, alive.getFirst())).isEqualTo("RUNNING");
            String lab = TestHttp.devToken(b.uri(), "lab", "ai-lab", "data-consumer");
            String view = TestHttp.getText(b.uri(), "/v1/streams/" + dead.getFirst(), lab);
            assertThat(view).contains("\"status\":\"interrupted\"");
            assertThat(recordOf(db, dead.getFirst())).contains("\"outcome\":\"interrupted\"", "\"message\":\"broker "
                    + DEAD + " fell silent (its last heartbeat at ", "more than the peer timeout of 3.0 s before broker ");
        }
        // The broker of a swept stream that was only slow cannot record a second end for it.
        try (Database database = Database.open(url); Connection connection = database.connection()) {
            StreamStore store = new StreamStore(database, DEAD);
            assertThatThrownBy(() -> store.finish(connection, dead.getFirst(), StreamRecord.Status.COMPLETED, 1, 1, 1, 1,
                    "0".repeat(64), Instant.now(), Optional.empty(), Optional.empty()))
                    .isInstanceOf(SQLException.class)
                    .hasMessage("stream " + dead.getFirst() + " has already ended as INTERRUPTED");
        }
    }

    private static String grant(URI broker) throws Exception {
        String owner = TestHttp.devToken(broker, "owner", "hospital-a", "data-owner");
        var registered = TestHttp.post(broker, "/v1/datasets", owner, "{\"name\":\"small\",\"source\":"
                + "{\"type\":\"parquet\",\"path\":\"small.parquet\"},\"policy\":" + POLICY + "}");
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String lab = TestHttp.devToken(broker, "lab", "ai-lab", "data-consumer");
        var granted = TestHttp.post(broker, "/v1/grants", lab,
                "{\"dataset\":\"" + TestHttp.id(registered.body()) + "\",\"purpose\":\"scientific-research\"}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        return TestHttp.id(granted.body());
    }

    private static void heartbeat(Connection db, String brokerId, Instant at) throws SQLException {
        try (PreparedStatement insert = db.prepareStatement(
                "INSERT INTO broker_heartbeats (broker_id, started_at, beat_at) VALUES (?, ?, ?)")) {
            insert.setString(1, brokerId);
            insert.setObject(2, at.atOffset(ZoneOffset.UTC));
            insert.setObject(3, at.atOffset(ZoneOffset.UTC));
            insert.executeUpdate();
        }
    }

    private static String insertRunningStream(Connection db, String grantId, String brokerId, int n) throws SQLException {
        String id = "st-" + brokerId.substring(3, 11) + "-" + n;
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO streams (id, grant_id, subject, organisation,"
                + " shard, shards, epoch, status, row_count, rows_in, batch_count, byte_count, opened_at, broker_id)"
                + " VALUES (?, ?, 'lab', 'ai-lab', 0, 1, ?, 'RUNNING', 0, 0, 0, 0, ?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, grantId);
            insert.setInt(3, n);
            insert.setObject(4, Instant.now().atOffset(ZoneOffset.UTC));
            insert.setString(5, brokerId);
            insert.executeUpdate();
        }
        return id;
    }

    private static long count(Connection db, String sql) {
        try (PreparedStatement query = db.prepareStatement(sql); ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long lastBeat(Connection db, String brokerId) {
        try (PreparedStatement query = db.prepareStatement("SELECT beat_at FROM broker_heartbeats WHERE broker_id = ?")) {
            query.setString(1, brokerId);
            try (ResultSet rows = query.executeQuery()) {
                assertThat(rows.next()).as("a heartbeat of %s", brokerId).isTrue();
                return rows.getObject(1, java.time.OffsetDateTime.class).toInstant().toEpochMilli();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Integer> interruptedRecords(Connection db) throws SQLException {
        Map<String, Integer> records = new HashMap<>();
        try (PreparedStatement query = db.prepareStatement(
                "SELECT record_json FROM audit_log WHERE action = 'stream.interrupted'"); ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                java.util.regex.Matcher stream = java.util.regex.Pattern.compile("\"stream\":\"([^\"]+)\"")
                        .matcher(rows.getString(1));
                assertThat(stream.find()).isTrue();
                records.merge(stream.group(1), 1, Integer::sum);
            }
        }
        return records;
    }

    private static String recordOf(Connection db, String streamId) throws SQLException {
        try (PreparedStatement query = db.prepareStatement(
                "SELECT record_json FROM audit_log WHERE action = 'stream.interrupted' AND record_json LIKE ?")) {
            query.setString(1, "%\"stream\":\"" + streamId + "\"%");
            try (ResultSet rows = query.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }

    private static String status(Connection db, String streamId) throws SQLException {
        try (PreparedStatement query = db.prepareStatement("SELECT status FROM streams WHERE id = ?")) {
            query.setString(1, streamId);
            try (ResultSet rows = query.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }
}
