package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.store.Database;
import io.sluice.broker.store.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The names and owners of the datasets audit records name, so that a person reading the log sees
 * "cardiology-patients (hospital-a)" beside {@code ds-...}. Withdrawn datasets keep their names here:
 * their records stay in the log.
 */
public final class DatasetLabels {
    /** At most this many ids per query (one page of the audit log names at most {@link AuditQuery#MAX_PAGE}). */
    private static final int BATCH = 500;

    private final Database database;

    public DatasetLabels(Database database) {
        this.database = requireNonNull(database, "database is null");
    }

    /** A dataset's name and the organisation that registered it. */
    public record Label(String name, String organisation) {
        public Label {
            requireNonNull(name, "name is null");
            requireNonNull(organisation, "organisation is null");
        }
    }

    /** The label of each of {@code ids} the store knows; ids it does not know are left out. */
    public Map<String, Label> of(Collection<String> ids) {
        List<String> distinct = ids.stream().distinct().toList();
        if (distinct.isEmpty()) {
            return Map.of();
        }
        Map<String, Label> labels = new LinkedHashMap<>();
        try (Connection connection = database.connection()) {
            for (int start = 0; start < distinct.size(); start += BATCH) {
                List<String> batch = distinct.subList(start, Math.min(start + BATCH, distinct.size()));
                String marks = String.join(", ", Collections.nCopies(batch.size(), "?"));
                Sql.query(connection, "SELECT id, name, organisation FROM datasets WHERE id IN (" + marks + ")",
                        row -> Map.entry(row.getString(1), new Label(row.getString(2), row.getString(3))),
                        batch.toArray()).forEach(e -> labels.put(e.getKey(), e.getValue()));
            }
        } catch (SQLException e) {
            throw new AuditUnavailableException("cannot read dataset names", e);
        }
        return labels;
    }
}
