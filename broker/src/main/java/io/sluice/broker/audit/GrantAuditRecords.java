package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The audit records of one grant that a training receipt carries: its {@code grant.issued} and its
 * streams' {@code stream.opened} and ends ({@code stream.closed}, {@code stream.aborted},
 * {@code stream.interrupted}), oldest first, with their exact leaf bytes. Blocking; call from
 * worker threads.
 */
public final class GrantAuditRecords {
    /** The actions a receipt carries, in the log's wire names. */
    public static final Set<String> ACTIONS = Set.of(AuditAction.GRANT_ISSUED.wireName(),
            AuditAction.STREAM_OPENED.wireName(), AuditAction.STREAM_CLOSED.wireName(),
            AuditAction.STREAM_ABORTED.wireName(), AuditAction.STREAM_INTERRUPTED.wireName());

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;

    public GrantAuditRecords(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    /**
     * The grant's records on its dataset. The log has no grant column: the dataset's index narrows
     * the search, and since records are canonical JSON, the grant's field appears in exactly one
     * spelling; each match is then checked on its parsed field, so an id inside another field's
     * text cannot bring in a stranger's record.
     */
    public List<AuditEntry> of(String datasetId, String grantId) {
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(grantId, "grantId is null");
        String pattern = "%" + likeEscaped("\"grant\":\"" + grantId + "\"") + "%";
        try (Connection connection = database.connection()) {
            List<Object> parameters = new ArrayList<>(List.of(datasetId));
            parameters.addAll(ACTIONS);
            parameters.add(pattern);
            String actions = String.join(", ", Collections.nCopies(ACTIONS.size(), "?"));
            List<AuditEntry> candidates = Sql.query(connection, "SELECT idx, record_json, leaf_hash FROM audit_log"
                            + " WHERE dataset_id = ? AND action IN (" + actions + ") AND record_json LIKE ? ESCAPE '\\'"
                            + " ORDER BY idx",
                    row -> new AuditEntry(row.getLong(1), row.getString(2), row.getString(3)), parameters.toArray());
            return candidates.stream().filter(entry -> grantId.equals(grantOf(entry))).toList();
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit records of grant " + grantId, e);
        }
    }

    private static String grantOf(AuditEntry entry) {
        try {
            return JSON.readTree(entry.leafBytes()).path("grant").asText(null);
        } catch (java.io.IOException e) {
            throw new AuditUnavailableException("audit record " + entry.index() + " is not JSON", e);
        }
    }

    private static String likeEscaped(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
