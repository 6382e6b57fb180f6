package db.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds {@code audit_log.grant_id}, the record's {@code grant} field when it is a grant id, with an index
 * on {@code (grant_id, idx)}: a training receipt's records are then one index range in log order,
 * where they were a {@code LIKE} over every record of the grant's dataset. Fills it for the records
 * already in the log; the broker's writer fills it for every record it appends after this
 * ({@code AuditEvent.grantId()}, by the same rule).
 *
 * <p>In Java, not SQL, for the reason V6 is: the value is inside each record's JSON, and H2 and
 * PostgreSQL share no way to read JSON. Records are read a page at a time by index, so a long log is
 * never held in memory; the index is built after the column is filled, which is cheaper than keeping
 * it up to date row by row. A record that is no JSON object (altered in the database) keeps a null
 * grant: the verifier reports it, a receipt need not carry it. The records themselves are not touched
 * (their bytes are the log's leaves).
 */
public class V7__audit_grant_id extends BaseJavaMigration {
    private static final Logger LOG = LoggerFactory.getLogger(V7__audit_grant_id.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 1000;
    /**
     * The width of {@code grants.id}: a longer text names no grant. Written out here rather than read
     * from {@code AuditEvent}, so that this migration means the same whatever the code becomes.
     */
    private static final int MAX_GRANT_ID = 64;
    /** A progress line every this many records, so that a long backfill is not mistaken for a hang. */
    private static final long PROGRESS_EVERY = 100_000;

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        try (Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE audit_log ADD COLUMN grant_id VARCHAR(" + MAX_GRANT_ID + ")");
        }
        long total = count(connection);
        if (total > 0) {
            LOG.info("migration 7: filling audit_log.grant_id of {} audit records", total);
        }
        long read = 0;
        long filled = 0;
        long after = -1;
        try (PreparedStatement page = connection.prepareStatement(
                        "SELECT idx, record_json FROM audit_log WHERE idx > ? ORDER BY idx LIMIT " + BATCH);
                PreparedStatement write = connection.prepareStatement("UPDATE audit_log SET grant_id = ? WHERE idx = ?")) {
            while (true) {
                page.setLong(1, after);
                int rows = 0;
                int updates = 0;
                try (ResultSet records = page.executeQuery()) {
                    while (records.next()) {
                        after = records.getLong(1);
                        rows++;
                        String grant = grantOf(records.getString(2));
                        if (grant != null) {
                            write.setString(1, grant);
                            write.setLong(2, after);
                            write.addBatch();
                            updates++;
                        }
                    }
                }
                if (rows == 0) {
                    break;
                }
                if (updates > 0) {
                    write.executeBatch();
                }
                filled += updates;
                if ((read + rows) / PROGRESS_EVERY > read / PROGRESS_EVERY) {
                    LOG.info("migration 7: {} of {} audit records read, {} with a grant", read + rows, total, filled);
                }
                read += rows;
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE INDEX audit_log_grant ON audit_log (grant_id, idx)");
        }
        if (total > 0) {
            LOG.info("migration 7: done, {} of {} audit records name a grant", filled, total);
        }
    }

    private static long count(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT COUNT(*) FROM audit_log")) {
            result.next();
            return result.getLong(1);
        }
    }

    /**
     * The record's top-level {@code grant} when it is text of at most 64 characters (the writer's rule,
     * {@code AuditEvent.grantId()}); null otherwise, or when the record is no JSON object.
     */
    static String grantOf(String recordJson) {
        JsonNode record;
        try {
            record = JSON.readTree(recordJson);
        } catch (JsonProcessingException e) {
            return null;
        }
        JsonNode grant = record == null ? null : record.get("grant");
        return grant != null && grant.isTextual() && grant.asText().length() <= MAX_GRANT_ID ? grant.asText() : null;
    }
}
