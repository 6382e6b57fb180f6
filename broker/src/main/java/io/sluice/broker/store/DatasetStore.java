package io.sluice.broker.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.vector.types.pojo.Schema;

/** The catalog: registered datasets. Blocking; call from worker threads. */
public final class DatasetStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, name, description, organisation, source_type, source_path, source_options, version,"
            + " schema_json, row_count, policy_json, policy_version, subject_column, registered_at";
    /** What a dataset is read with: the columns it is inserted with and, set later, its withdrawal. */
    private static final String SELECTED = COLUMNS + ", withdrawn_at";

    private final Database database;

    public DatasetStore(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    /** Inserts a newly registered dataset and its first policy version, made by {@code subject} of {@code organisation}. */
    public void insert(Connection connection, Dataset dataset, String subject, String organisation) throws SQLException {
        Sql.update(connection, "INSERT INTO datasets (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                dataset.id(), dataset.name(), dataset.description(), dataset.organisation(), dataset.sourceType(),
                dataset.sourcePath().orElse(null), toJson(dataset.sourceOptions()), dataset.version(), dataset.schema().toJson(),
                dataset.rows().isPresent() ? dataset.rows().getAsLong() : null,
                dataset.policyJson(), dataset.policyVersion(), dataset.subjectColumn().orElse(null), dataset.registeredAt());
        insertPolicyVersion(connection, dataset, subject, organisation, dataset.registeredAt());
    }

    /**
     * Records the policy version {@code changed} carries, made by {@code subject} of {@code organisation},
     * and makes it (with its subject column) the one in force; earlier versions stay on record.
     */
    public void replacePolicy(Connection connection, Dataset changed, String subject, String organisation, Instant at)
            throws SQLException {
        insertPolicyVersion(connection, changed, subject, organisation, at);
        Sql.update(connection, "UPDATE datasets SET policy_json = ?, policy_version = ?, subject_column = ? WHERE id = ?",
                changed.policyJson(), changed.policyVersion(), changed.subjectColumn().orElse(null), changed.id());
    }

    private static void insertPolicyVersion(Connection connection, Dataset dataset, String subject, String organisation,
            Instant at) throws SQLException {
        Sql.update(connection, "INSERT INTO policies (dataset_id, version, policy_json, subject_column, created_at,"
                        + " changed_by_subject, changed_by_organisation) VALUES (?, ?, ?, ?, ?, ?, ?)",
                dataset.id(), dataset.policyVersion(), dataset.policyJson(), dataset.subjectColumn().orElse(null), at,
                subject, organisation);
    }

    /** Every version of the dataset's policy, oldest first; the last is the one in force. */
    public List<PolicyVersion> policyVersions(String datasetId) {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT version, policy_json, subject_column, created_at, changed_by_subject,"
                    + " changed_by_organisation FROM policies WHERE dataset_id = ? ORDER BY version", row -> new PolicyVersion(
                    datasetId, row.getInt("version"), row.getString("policy_json"),
                    Optional.ofNullable(row.getString("subject_column")), Sql.instant(row, "created_at"),
                    Optional.ofNullable(row.getString("changed_by_subject")),
                    Optional.ofNullable(row.getString("changed_by_organisation"))), datasetId);
        } catch (SQLException e) {
            throw new StoreException("cannot read the policy versions of dataset " + datasetId, e);
        }
    }

    /** When the dataset was withdrawn, read inside the caller's transaction; empty while it is listed. */
    public Optional<Instant> withdrawnAt(Connection connection, String datasetId) throws SQLException {
        return Sql.queryOne(connection, "SELECT withdrawn_at FROM datasets WHERE id = ?",
                row -> Optional.ofNullable(Sql.instant(row, "withdrawn_at")), datasetId).flatMap(at -> at);
    }

    /** When the dataset was withdrawn, as the store says now (another broker may have withdrawn it). */
    public Optional<Instant> withdrawnAt(String datasetId) {
        try (Connection connection = database.connection()) {
            return withdrawnAt(connection, datasetId);
        } catch (SQLException e) {
            throw new StoreException("cannot read whether dataset " + datasetId + " was withdrawn", e);
        }
    }

    /** Marks the dataset withdrawn unless it already is; false when it was. Its rows and its data stay. */
    public boolean withdraw(Connection connection, String datasetId, Instant at) throws SQLException {
        return Sql.update(connection, "UPDATE datasets SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                at, datasetId) == 1;
    }

    /**
     * The ids of the organisation's datasets named {@code name} that are not withdrawn, read inside
     * the caller's transaction (a registration checks, under the audit log's lock, that the name is free).
     */
    public List<String> listedIdsNamed(Connection connection, String organisation, String name) throws SQLException {
        return Sql.query(connection, "SELECT id FROM datasets WHERE organisation = ? AND name = ? AND withdrawn_at IS NULL"
                + " ORDER BY registered_at, id", row -> row.getString(1), organisation, name);
    }

    /** The datasets not withdrawn named {@code name}, of any organisation (or of {@code organisation} when given). */
    public List<Dataset> listedNamed(Optional<String> organisation, String name) {
        try (Connection connection = database.connection()) {
            return organisation.isPresent()
                    ? Sql.query(connection, "SELECT " + SELECTED + " FROM datasets WHERE organisation = ? AND name = ?"
                            + " AND withdrawn_at IS NULL ORDER BY registered_at, id", DatasetStore::map, organisation.get(), name)
                    : Sql.query(connection, "SELECT " + SELECTED + " FROM datasets WHERE name = ? AND withdrawn_at IS NULL"
                            + " ORDER BY registered_at, id", DatasetStore::map, name);
        } catch (SQLException e) {
            throw new StoreException("cannot look up datasets named " + name, e);
        }
    }

    /** A dataset's policy as it was at {@code version}. */
    public Optional<String> policyVersion(String datasetId, int version) {
        try (Connection connection = database.connection()) {
            return Sql.queryOne(connection, "SELECT policy_json FROM policies WHERE dataset_id = ? AND version = ?",
                    row -> row.getString(1), datasetId, version);
        } catch (SQLException e) {
            throw new StoreException("cannot read policy " + version + " of dataset " + datasetId, e);
        }
    }

    /**
     * Records withdrawn subjects; ids already withdrawn are left as they are. Runs inside the audit
     * log's transaction, so it reads what exists in chunks and inserts in one batch rather than a
     * round trip per id. Returns how many were new.
     */
    public int addOptOuts(Connection connection, String datasetId, List<String> subjectIds, Instant at)
            throws SQLException {
        List<String> unique = List.copyOf(new java.util.LinkedHashSet<>(subjectIds));
        java.util.Set<String> known = new java.util.HashSet<>();
        for (int start = 0; start < unique.size(); start += 500) {
            List<String> chunk = unique.subList(start, Math.min(unique.size(), start + 500));
            Object[] parameters = new Object[chunk.size() + 1];
            parameters[0] = datasetId;
            for (int i = 0; i < chunk.size(); i++) {
                parameters[i + 1] = chunk.get(i);
            }
            known.addAll(Sql.query(connection, "SELECT subject_id FROM opt_outs WHERE dataset_id = ? AND subject_id IN ("
                    + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")) + ")", row -> row.getString(1),
                    parameters));
        }
        int added = 0;
        try (var insert = connection.prepareStatement(
                "INSERT INTO opt_outs (dataset_id, subject_id, added_at) VALUES (?, ?, ?)")) {
            for (String subject : unique) {
                if (known.contains(subject)) {
                    continue;
                }
                insert.setString(1, datasetId);
                insert.setString(2, subject);
                insert.setObject(3, at.atOffset(java.time.ZoneOffset.UTC));
                insert.addBatch();
                added++;
            }
            if (added > 0) {
                insert.executeBatch();
            }
        }
        return added;
    }

    /** Every subject withdrawn from the dataset. */
    public List<String> optOuts(String datasetId) {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT subject_id FROM opt_outs WHERE dataset_id = ?", row -> row.getString(1),
                    datasetId);
        } catch (SQLException e) {
            throw new StoreException("cannot read the opt-outs of dataset " + datasetId, e);
        }
    }

    private static String toJson(Map<String, String> options) {
        try {
            return JSON.writeValueAsString(new java.util.TreeMap<>(options));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise source options", e);
        }
    }

    public Optional<Dataset> find(String id) {
        try (Connection connection = database.connection()) {
            return Sql.queryOne(connection, "SELECT " + SELECTED + " FROM datasets WHERE id = ?", DatasetStore::map, id);
        } catch (SQLException e) {
            throw new StoreException("cannot read dataset " + id, e);
        }
    }

    /** The datasets the catalog lists: every one not withdrawn. */
    public List<Dataset> list() {
        try (Connection connection = database.connection()) {
            return Sql.query(connection, "SELECT " + SELECTED + " FROM datasets WHERE withdrawn_at IS NULL"
                    + " ORDER BY registered_at, id", DatasetStore::map);
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
        Map<String, String> options;
        try {
            options = JSON.readValue(row.getString("source_options"), new TypeReference<Map<String, String>>() {});
        } catch (IOException e) {
            throw new SQLException("stored source options of dataset " + row.getString("id") + " are unreadable", e);
        }
        return new Dataset(row.getString("id"), row.getString("name"), row.getString("description"),
                row.getString("organisation"), row.getString("source_type"),
                Optional.ofNullable(row.getString("source_path")), options,
                row.getString("version"), schema, rowCount, row.getString("policy_json"),
                row.getInt("policy_version"), Optional.ofNullable(row.getString("subject_column")),
                Sql.instant(row, "registered_at"), Optional.ofNullable(Sql.instant(row, "withdrawn_at")));
    }
}
