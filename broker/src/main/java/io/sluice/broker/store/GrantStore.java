package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.policy.Transform;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Issued grants. Blocking; call from worker threads. */
public final class GrantStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, dataset_id, subject, organisation, purpose, project, roles_json,"
            + " columns_json, transforms_json, policy_version, max_streams, issued_at, expires_at, revoked_at, revoked_reason";

    private final Database database;

    public GrantStore(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    public void insert(Connection connection, Grant grant) throws SQLException {
        Sql.update(connection, "INSERT INTO grants (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                grant.id(), grant.datasetId(), grant.subject(), grant.organisation(), grant.purpose(), grant.project(),
                toJson(grant.roles()), toJson(grant.columns()), toJson(grant.transforms()), grant.policyVersion(),
                grant.maxStreams().isPresent() ? grant.maxStreams().getAsLong() : null, grant.issuedAt(),
                grant.expiresAt(), grant.revokedAt().orElse(null), grant.revokedReason().orElse(null));
    }

    /** The dataset's grants that are neither revoked nor expired at {@code now}. */
    public List<Grant> active(String datasetId, Instant now) {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT " + COLUMNS + " FROM grants WHERE dataset_id = ? AND revoked_at IS NULL"
                    + " AND expires_at > ? ORDER BY issued_at", GrantStore::map, datasetId, now);
        } catch (SQLException e) {
            throw new StoreException("cannot list the grants of dataset " + datasetId, e);
        }
    }

    /**
     * Revokes the grant unless it already is; {@code reason} says why (cut to the column's 2000
     * characters). Returns whether this call revoked it.
     */
    public boolean revoke(Connection connection, String grantId, Instant at, String reason) throws SQLException {
        String fitted = reason.length() <= 2000 ? reason : reason.substring(0, 1997) + "...";
        return Sql.update(connection, "UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
                at, fitted, grantId) == 1;
    }

    /** How the grant was revoked, read inside the caller's transaction; empty while it is not revoked. */
    public Optional<String> revocation(Connection connection, String grantId) throws SQLException {
        return Sql.queryOne(connection, "SELECT revoked_at, revoked_reason FROM grants WHERE id = ?",
                row -> row.getObject("revoked_at") == null ? Optional.<String>empty()
                        : Optional.of(java.util.Objects.requireNonNullElse(row.getString("revoked_reason"), "")),
                grantId).flatMap(how -> how);
    }

    /** Where a page of grants starts: after the grant issued at {@code issuedAt} with id {@code id}, newest first. */
    public record Cursor(Instant issuedAt, String id) {
        public Cursor {
            requireNonNull(issuedAt, "issuedAt is null");
            requireNonNull(id, "id is null");
        }
    }

    /**
     * A grant and what its streams did: how many were opened, the rows and bytes they sent (running
     * streams: as far as last recorded), and when one was last opened or closed.
     */
    public record GrantUsage(Grant grant, long streams, long rows, long bytes, Optional<Instant> lastUsedAt) {
        public GrantUsage {
            requireNonNull(grant, "grant is null");
            requireNonNull(lastUsedAt, "lastUsedAt is null");
        }
    }

    /** The dataset's grants, newest first, at most {@code limit} after {@code after}. */
    public List<GrantUsage> ofDataset(String datasetId, Optional<Cursor> after, int limit) {
        return page("dataset_id = ?", List.of(datasetId), after, limit);
    }

    /** The grants one requester (subject of an organisation) holds or held, newest first. */
    public List<GrantUsage> heldBy(String subject, String organisation, Optional<Cursor> after, int limit) {
        return page("organisation = ? AND subject = ?", List.of(organisation, subject), after, limit);
    }

    private List<GrantUsage> page(String filter, List<Object> parameters, Optional<Cursor> after, int limit) {
        List<Object> bound = new java.util.ArrayList<>(parameters);
        String where = filter;
        if (after.isPresent()) {
            where += " AND (issued_at < ? OR (issued_at = ? AND id < ?))";
            bound.add(after.get().issuedAt());
            bound.add(after.get().issuedAt());
            bound.add(after.get().id());
        }
        bound.add(limit);
        try (Connection connection = database.connection()) {
            List<Grant> grants = Sql.query(connection, "SELECT " + COLUMNS + " FROM grants WHERE " + where
                    + " ORDER BY issued_at DESC, id DESC LIMIT ?", GrantStore::map, bound.toArray());
            if (grants.isEmpty()) {
                return List.of();
            }
            java.util.Map<String, GrantUsage> usage = new java.util.HashMap<>();
            Sql.query(connection, "SELECT grant_id, COUNT(*), COALESCE(SUM(row_count), 0), COALESCE(SUM(byte_count), 0),"
                            + " MAX(COALESCE(closed_at, opened_at)) AS last_used FROM streams WHERE grant_id IN ("
                            + String.join(", ", java.util.Collections.nCopies(grants.size(), "?")) + ") GROUP BY grant_id",
                    row -> usage.put(row.getString(1), new GrantUsage(grants.getFirst(), row.getLong(2), row.getLong(3),
                            row.getLong(4), Optional.ofNullable(Sql.instant(row, "last_used")))),
                    grants.stream().map(Grant::id).toArray());
            return grants.stream().map(grant -> {
                GrantUsage used = usage.get(grant.id());
                return used == null ? new GrantUsage(grant, 0, 0, 0, Optional.empty())
                        : new GrantUsage(grant, used.streams(), used.rows(), used.bytes(), used.lastUsedAt());
            }).toList();
        } catch (SQLException e) {
            throw new StoreException("cannot list grants", e);
        }
    }

    /** Streams opened under the grant so far (for the policy's {@code count}). */
    public long streamsOpened(String grantId) {
        try (Connection connection = database.connection()) {
            return Sql.queryOne(connection, "SELECT COUNT(*) FROM streams WHERE grant_id = ?", row -> row.getLong(1),
                    grantId).orElse(0L);
        } catch (SQLException e) {
            throw new StoreException("cannot count the streams of grant " + grantId, e);
        }
    }

    public Optional<Grant> find(String id) {
        try (Connection connection = database.connection()) {
            return Sql.queryOne(connection, "SELECT " + COLUMNS + " FROM grants WHERE id = ?", GrantStore::map, id);
        } catch (SQLException e) {
            throw new StoreException("cannot read grant " + id, e);
        }
    }

    private static Grant map(ResultSet row) throws SQLException {
        try {
            long maxStreams = row.getLong("max_streams");
            OptionalLong quota = row.wasNull() ? OptionalLong.empty() : OptionalLong.of(maxStreams);
            return new Grant(row.getString("id"), row.getString("dataset_id"), row.getString("subject"),
                    row.getString("organisation"), row.getString("purpose"), row.getString("project"),
                    JSON.readValue(row.getString("roles_json"), new TypeReference<List<String>>() {}),
                    JSON.readValue(row.getString("columns_json"), new TypeReference<List<String>>() {}),
                    JSON.readValue(row.getString("transforms_json"), new TypeReference<List<Transform>>() {}),
                    row.getInt("policy_version"), quota, Sql.instant(row, "issued_at"), Sql.instant(row, "expires_at"),
                    Optional.ofNullable(Sql.instant(row, "revoked_at")), Optional.ofNullable(row.getString("revoked_reason")));
        } catch (JsonProcessingException e) {
            throw new SQLException("stored grant " + row.getString("id") + " is unreadable", e);
        }
    }

    private static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value, e);
        }
    }
}
