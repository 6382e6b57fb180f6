package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.policy.Transform;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Issued grants. Blocking; call from worker threads. */
public final class GrantStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS =
            "id, dataset_id, subject, organisation, purpose, columns_json, transforms_json, policy_version, issued_at, expires_at";

    private final Database database;

    public GrantStore(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    public void insert(Connection connection, Grant grant) throws SQLException {
        Sql.update(connection, "INSERT INTO grants (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                grant.id(), grant.datasetId(), grant.subject(), grant.organisation(), grant.purpose(),
                toJson(grant.columns()), toJson(grant.transforms()), grant.policyVersion(), grant.issuedAt(),
                grant.expiresAt());
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
            return new Grant(row.getString("id"), row.getString("dataset_id"), row.getString("subject"),
                    row.getString("organisation"), row.getString("purpose"),
                    JSON.readValue(row.getString("columns_json"), new TypeReference<List<String>>() {}),
                    JSON.readValue(row.getString("transforms_json"), new TypeReference<List<Transform>>() {}),
                    row.getInt("policy_version"), Sql.instant(row, "issued_at"), Sql.instant(row, "expires_at"));
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
