package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

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

    private static final String QUERY = "SELECT idx, record_json, leaf_hash FROM audit_log"
            + " WHERE grant_id = ? AND dataset_id = ? AND action IN ("
            + String.join(", ", Collections.nCopies(ACTIONS.size(), "?")) + ") ORDER BY idx";

    private final Database database;

    public GrantAuditRecords(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    /**
     * The grant's records on its dataset: one range of the {@code (grant_id, idx)} index, already in
     * log order. {@code grant_id} is the record's own {@code grant} field, set by the log's writer
     * (and by migration V7 for older records), so an id inside another field's text never brings in
     * a stranger's record.
     */
    public List<AuditEntry> of(String datasetId, String grantId) {
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(grantId, "grantId is null");
        List<Object> parameters = new ArrayList<>(List.of(grantId, datasetId));
        parameters.addAll(ACTIONS);
        try (Connection connection = database.connection()) {
            return Sql.query(connection, QUERY, row -> new AuditEntry(row.getLong(1), row.getString(2), row.getString(3)),
                    parameters.toArray());
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read the audit records of grant " + grantId, e);
        }
    }
}
