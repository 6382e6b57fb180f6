package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.vector.types.pojo.Schema;

/** The catalog: registered datasets. Blocking; call from worker threads. */
public final class DatasetStore {
    private static final String COLUMNS = "id, name, description, organisation, source_type, source_path, version,"
            + " schema_json, row_count, policy_json, policy_version, registered_at";

    private final Database database;

    public DatasetStore(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    public void insert(Connection connection, Dataset dataset) throws SQLException {
        Sql.update(connection, "INSERT INTO datasets (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                dataset.id(), dataset.name(), dataset.description(), dataset.organisation(), dataset.sourceType(),
                dataset.sourcePath(), dataset.version(), dataset.schema().toJson(),
                dataset.rows().isPresent() ? dataset.rows().getAsLong() : null,
                dataset.policyJson(), dataset.policyVersion(), dataset.registeredAt());
    }

    public Optional<Dataset> find(String id) {
        try (Connection connection = database.connection()) {
            return Sql.queryOne(connection, "SELECT " + COLUMNS + " FROM datasets WHERE id = ?", DatasetStore::map, id);
        } catch (SQLException e) {
            throw new StoreException("cannot read dataset " + id, e);
        }
    }

    public List<Dataset> list() {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT " + COLUMNS + " FROM datasets ORDER BY registered_at, id", DatasetStore::map);
        } catch (SQLException e) {
            throw new StoreException("cannot list datasets", e);
        }
    }

    private static Dataset map(ResultSet row) throws SQLException {
        long rows = row.getLong("row_count");
        OptionalLong rowCount = row.wasNull() ? OptionalLong.empty() : OptionalLong.of(rows);
        Schema schema;
        try {
            schema = Schema.fromJSON(row.getString("schema_json"));
        } catch (IOException e) {
            throw new SQLException("stored schema of dataset " + row.getString("id") + " is unreadable", e);
        }
        return new Dataset(row.getString("id"), row.getString("name"), row.getString("description"),
                row.getString("organisation"), row.getString("source_type"), row.getString("source_path"),
                row.getString("version"), schema, rowCount, row.getString("policy_json"),
                row.getInt("policy_version"), Sql.instant(row, "registered_at"));
    }
}
