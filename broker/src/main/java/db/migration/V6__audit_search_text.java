package db.migration;

import io.sluice.broker.audit.AuditSearchText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Adds {@code audit_log.search_text} (see {@link AuditSearchText}) and fills it for the records
 * already in the log. In Java, not SQL: the values come out of each record's JSON, and H2 and
 * PostgreSQL have no common way to read JSON; the broker fills the column the same way, through
 * the same class, for every record it appends after this. The records themselves are not touched
 * (their bytes are the log's leaves).
 *
 * <p>Flyway finds this class in its {@code db/migration} location, like the SQL migrations, and runs
 * it once, in its own transaction, under its lock (brokers sharing a database migrate one at a time).
 */
public class V6__audit_search_text extends BaseJavaMigration {
    private static final int BATCH = 1000;

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        try (Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE audit_log ADD COLUMN search_text VARCHAR");
        }
        // A page at a time by index, so that a long log is never held in memory at once.
        long after = -1;
        try (PreparedStatement read = connection.prepareStatement(
                        "SELECT idx, record_json FROM audit_log WHERE idx > ? ORDER BY idx LIMIT " + BATCH);
                PreparedStatement write = connection.prepareStatement("UPDATE audit_log SET search_text = ? WHERE idx = ?")) {
            while (true) {
                read.setLong(1, after);
                int rows = 0;
                try (ResultSet page = read.executeQuery()) {
                    while (page.next()) {
                        after = page.getLong(1);
                        write.setString(1, AuditSearchText.of(page.getString(2)));
                        write.setLong(2, after);
                        write.addBatch();
                        rows++;
                    }
                }
                if (rows == 0) {
                    return;
                }
                write.executeBatch();
            }
        }
    }
}
