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
            + " columns_json, transforms_json, policy_version, max_streams, issued_at, expires_at, revoked_at";

    private final Database database;

    public GrantStore(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    public void insert(Connection connection, Grant grant) throws SQLException {
        Sql.update(connection, "INSERT INTO grants (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                grant.id(), grant.datasetId(), grant.subject(), grant.organisation(), grant.purpose(), grant.project(),
                toJson(grant.roles()), toJson(grant.columns()), toJson(grant.transforms()), grant.policyVersion(),
                grant.maxStreams().isPresent() ? grant.maxStreams().getAsLong() : null, grant.issuedAt(),
                grant.expiresAt(), grant.revokedAt().orElse(null));
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

    public void revoke(Connection connection, String grantId, Instant at) throws SQLException {
        Sql.update(connection, "UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, grantId);
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
                    Optional.ofNullable(Sql.instant(row, "revoked_at")));
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
