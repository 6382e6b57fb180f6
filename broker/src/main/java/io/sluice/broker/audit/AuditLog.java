package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.Sql;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The append-only audit log: each record is canonical JSON, numbered without gaps and hash-linked
 * to the one before, and committed in the same transaction as the change it records. When the
 * log cannot be written, the change does not happen.
 *
 * <p>Blocking; call from worker threads. Appends are serialised by one lock per broker.
 */
public final class AuditLog {
    /** The {@code prevHash} of the first record. */
    public static final String GENESIS = "0".repeat(64);

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final Database database;
    private final Clock clock;
    private final ReentrantLock appendLock = new ReentrantLock();
    private long nextIndex;
    private String lastHash;

    /** A change committed together with its audit record. */
    @FunctionalInterface
    public interface Effect {
        void apply(Connection connection) throws SQLException;

        Effect NONE = connection -> {};
    }

    public AuditLog(Database database, Clock clock) {
        this.database = requireNonNull(database, "database is null");
        this.clock = requireNonNull(clock, "clock is null");
        try (Connection connection = database.connection()) {
            var last = Sql.queryOne(connection, "SELECT idx, hash FROM audit_log ORDER BY idx DESC LIMIT 1",
                    row -> Map.entry(row.getLong("idx"), row.getString("hash")));
            nextIndex = last.map(e -> e.getKey() + 1).orElse(0L);
            lastHash = last.map(Map.Entry::getValue).orElse(GENESIS);
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit log's head", e);
        }
    }

    /** Appends a record with no other change. */
    public AuditEntry append(AuditEvent event) {
        return append(event, Effect.NONE);
    }

    /**
     * Commits {@code effect} and the record of it in one transaction.
     *
     * @throws AuditUnavailableException when the store cannot be written; nothing was changed
     */
    public AuditEntry append(AuditEvent event, Effect effect) {
        requireNonNull(event, "event is null");
        requireNonNull(effect, "effect is null");
        appendLock.lock();
        try {
            long index = nextIndex;
            Instant time = clock.instant();
            String json = canonicalJson(index, time, event);
            String hash = hash(lastHash, json);
            try (Connection connection = database.connection()) {
                connection.setAutoCommit(false);
                try {
                    effect.apply(connection);
                    Sql.update(connection, "INSERT INTO audit_log (idx, recorded_at, action, dataset_id, organisation,"
                                    + " subject, record_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            index, time, event.action().wireName(), event.datasetId(), event.actor().organisation(),
                            event.actor().subject(), json, lastHash, hash);
                    connection.commit();
                } catch (SQLException | RuntimeException e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(true);
                }
            } catch (SQLException e) {
                throw new AuditUnavailableException("cannot write audit record " + event.action().wireName(), e);
            }
            AuditEntry entry = new AuditEntry(index, json, lastHash, hash);
            nextIndex = index + 1;
            lastHash = hash;
            return entry;
        } finally {
            appendLock.unlock();
        }
    }

    /** Records matching the query, oldest first. */
    public List<AuditEntry> query(AuditQuery query) {
        StringBuilder sql = new StringBuilder(
                "SELECT a.idx, a.record_json, a.prev_hash, a.hash FROM audit_log a WHERE a.idx > ?");
        List<Object> parameters = new ArrayList<>();
        parameters.add(query.after());
        query.dataset().ifPresent(v -> {
            sql.append(" AND a.dataset_id = ?");
            parameters.add(v);
        });
        query.organisation().ifPresent(v -> {
            sql.append(" AND a.organisation = ?");
            parameters.add(v);
        });
        query.action().ifPresent(v -> {
            sql.append(" AND a.action = ?");
            parameters.add(v);
        });
        query.from().ifPresent(v -> {
            sql.append(" AND a.recorded_at >= ?");
            parameters.add(v);
        });
        query.to().ifPresent(v -> {
            sql.append(" AND a.recorded_at < ?");
            parameters.add(v);
        });
        query.ownerOrganisation().ifPresent(v -> {
            sql.append(" AND a.dataset_id IN (SELECT d.id FROM datasets d WHERE d.organisation = ?)");
            parameters.add(v);
        });
        sql.append(" ORDER BY a.idx LIMIT ").append(query.limit());
        try (Connection connection = database.connection()) {
            return Sql.query(connection, sql.toString(),
                    row -> new AuditEntry(row.getLong("idx"), row.getString("record_json"),
                            row.getString("prev_hash"), row.getString("hash")),
                    parameters.toArray());
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit log", e);
        }
    }

    /** {@code hex(SHA-256(prevHash || recordJson))}, both as UTF-8: how every record is linked. */
    public static String hash(String prevHash, String recordJson) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(prevHash.getBytes(StandardCharsets.UTF_8));
            digest.update(recordJson.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static String canonicalJson(long index, Instant time, AuditEvent event) {
        Map<String, Object> record = new LinkedHashMap<>(event.details());
        record.put("index", index);
        record.put("time", time.toString());
        record.put("action", event.action().wireName());
        Map<String, Object> actor = new LinkedHashMap<>();
        actor.put("subject", event.actor().subject());
        actor.put("organisation", event.actor().organisation());
        actor.put("roles", event.actor().roles());
        record.put("actor", actor);
        try {
            return CANONICAL.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("audit record cannot be serialised: " + e.getOriginalMessage(), e);
        }
    }
}
