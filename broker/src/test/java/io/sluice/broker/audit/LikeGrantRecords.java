package io.sluice.broker.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How receipts found a grant's records before migration 7, kept as the reference that {@link
 * GrantAuditRecords} must agree with (and the "before" of its benchmark): a {@code LIKE} on the
 * canonical {@code "grant":"<id>"} spelling over the dataset's records of the receipt's actions,
 * each match checked on its parsed field.
 */
final class LikeGrantRecords {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LikeGrantRecords() {}

    static List<AuditEntry> of(Connection connection, String dataset, String grant) throws SQLException {
        String pattern = "%" + ("\"grant\":\"" + grant + "\"").replace("\\", "\\\\").replace("%", "\\%")
                .replace("_", "\\_") + "%";
        String actions = String.join(", ", Collections.nCopies(GrantAuditRecords.ACTIONS.size(), "?"));
        List<AuditEntry> found = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT idx, record_json, leaf_hash FROM audit_log"
                + " WHERE dataset_id = ? AND action IN (" + actions + ") AND record_json LIKE ? ESCAPE '\\'"
                + " ORDER BY idx")) {
            int parameter = 1;
            query.setString(parameter++, dataset);
            for (String action : GrantAuditRecords.ACTIONS) {
                query.setString(parameter++, action);
            }
            query.setString(parameter, pattern);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    AuditEntry entry = new AuditEntry(rows.getLong(1), rows.getString(2), rows.getString(3));
                    if (grant.equals(grantOf(entry))) {
                        found.add(entry);
                    }
                }
            }
        }
        return found;
    }

    private static String grantOf(AuditEntry entry) {
        try {
            return JSON.readTree(entry.leafBytes()).path("grant").asText(null);
        } catch (IOException e) {
            return null; // the old code failed the receipt here; an altered row names no receipt's grant
        }
    }
}
