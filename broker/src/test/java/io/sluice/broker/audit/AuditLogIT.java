package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.TestDatabases;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleProofs;
import io.sluice.broker.store.Database;
import io.sluice.broker.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The audit log on a real store: group commit, gap-free order, links and the tree, on H2 and PostgreSQL. */
class AuditLogIT {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void concurrentAppendsFormOneGapFreeLinkedLog(String kind) throws Exception {
        try (Database database = Database.open(TestDatabases.fresh(kind, dir));
                AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            appendConcurrently(List.of(log), 8, 100);
            assertWholeLogIsConsistent(log, 800);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void twoBrokersOnOneDatabaseKeepOneOrder(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        try (Database first = Database.open(url); Database second = Database.open(url);
                AuditLog one = new AuditLog(first, Clock.systemUTC());
                AuditLog other = new AuditLog(second, Clock.systemUTC())) {
            appendConcurrently(List.of(one, other), 4, 100);
            one.refresh();
            other.refresh();
            assertWholeLogIsConsistent(one, 800);
            assertThat(other.tree().root()).isEqualTo(one.tree().root());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aFailingEffectIsNeitherAppliedNorLoggedAndTheLogGoesOn(String kind) throws Exception {
        try (Database database = Database.open(TestDatabases.fresh(kind, dir));
                AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            execute(database, "CREATE TABLE effect_probe (id INTEGER PRIMARY KEY)");
            log.append(event("first"), c -> insertProbe(c, 1));
            assertThatThrownBy(() -> log.append(event("duplicate"), c -> insertProbe(c, 1)))
                    .isInstanceOf(StoreException.class);
            AuditEntry next = log.append(event("second"), c -> insertProbe(c, 2));
            assertThat(next.index()).isEqualTo(1);
            assertThat(count(database, "SELECT COUNT(*) FROM effect_probe")).isEqualTo(2);
            assertWholeLogIsConsistent(log, 2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void whenTheLogCannotBeWrittenTheChangeDoesNotHappen(String kind) throws Exception {
        try (Database database = Database.open(TestDatabases.fresh(kind, dir));
                AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            execute(database, "CREATE TABLE effect_probe (id INTEGER PRIMARY KEY)");
            execute(database, "ALTER TABLE audit_log ADD CONSTRAINT audit_refuses CHECK (idx < 0)");
            assertThatThrownBy(() -> log.append(event("refused"), c -> insertProbe(c, 1)))
                    .isInstanceOf(AuditUnavailableException.class)
                    .hasMessage("the audit log cannot be written");
            assertThat(count(database, "SELECT COUNT(*) FROM effect_probe")).isZero();
            assertThat(log.size()).isZero();
        }
    }

    private static void appendConcurrently(List<AuditLog> logs, int threadsPerLog, int appendsPerThread)
            throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(logs.size() * threadsPerLog);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (AuditLog log : logs) {
                for (int t = 0; t < threadsPerLog; t++) {
                    int thread = t;
                    futures.add(threads.submit(() -> {
                        for (int i = 0; i < appendsPerThread; i++) {
                            log.append(event("thread " + thread + " append " + i));
                        }
                    }));
                }
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static void assertWholeLogIsConsistent(AuditLog log, int expected) {
        List<AuditEntry> entries = log.entries(0, Long.MAX_VALUE);
        assertThat(entries).hasSize(expected);
        List<byte[]> leaves = new ArrayList<>();
        String prev = AuditLog.GENESIS;
        for (int i = 0; i < entries.size(); i++) {
            AuditEntry entry = entries.get(i);
            assertThat(entry.index()).isEqualTo(i);
            assertThat(entry.recordJson()).contains("\"index\":" + i + ",").contains("\"prev\":\"" + prev + "\"");
            byte[] leaf = MerkleHash.leaf(entry.recordJson().getBytes(StandardCharsets.UTF_8));
            assertThat(HexFormat.of().formatHex(leaf)).isEqualTo(entry.leafHash());
            leaves.add(leaf);
            prev = entry.leafHash();
        }
        assertThat(log.size()).isEqualTo(expected);
        assertThat(log.tree().root()).isEqualTo(MerkleProofs.naiveRoot(leaves));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void pagesNewestFirstAndSearchesTheRecordsValuesAndTheirDatasetsNames(String kind) throws Exception {
        try (Database database = Database.open(TestDatabases.fresh(kind, dir));
                AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            execute(database, "INSERT INTO datasets (id, name, description, organisation, source_type, source_options,"
                    + " version, schema_json, policy_json, policy_version, registered_at) VALUES ('ds-1',"
                    + " 'Cardiology_Patients', '', 'hospital-a', 'parquet', '{}', 'v1', '{}', '{}', 1, CURRENT_TIMESTAMP)");
            log.append(event("registered").with("dataset", "ds-1"));
            log.append(event("100% sure, zeta"));
            log.append(event("Under_Score"));
            log.append(event("zeta again"));

            assertThat(indexes(log.query(search(Optional.empty(), true, -1, 2)))).containsExactly(3L, 2L);
            assertThat(indexes(log.query(search(Optional.empty(), true, 2, 2)))).containsExactly(1L, 0L);
            assertThat(indexes(log.query(search(Optional.empty(), false, 1, 2)))).containsExactly(2L, 3L);
            // A dataset's name is found though its records hold only its id, in any case.
            assertThat(indexes(log.query(search(Optional.of("cardiology_PATIENTS"), false, -1, 10)))).containsExactly(0L);
            // LIKE's wildcards are searched for as text.
            assertThat(indexes(log.query(search(Optional.of("100%"), false, -1, 10)))).containsExactly(1L);
            assertThat(indexes(log.query(search(Optional.of("r_s"), false, -1, 10)))).containsExactly(2L);
            assertThat(indexes(log.query(search(Optional.of("ZETA"), true, -1, 10)))).containsExactly(3L, 1L);

            assertThat(new DatasetLabels(database).of(List.of("ds-1", "ds-unknown", "ds-1")))
                    .containsExactly(java.util.Map.entry("ds-1", new DatasetLabels.Label("Cardiology_Patients", "hospital-a")));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void searchesTheRecordsValuesNeverTheirFieldNamesAndNeverPastAnOwnersDatasets(String kind) throws Exception {
        try (Database database = Database.open(TestDatabases.fresh(kind, dir));
                AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            insertDataset(database, "ds-a", "cardiology", "hospital-a");
            insertDataset(database, "ds-b", "radiology", "hospital-b");
            Actor lab = new Actor("trainer-7", "ai-lab", List.of("data-consumer"));
            log.append(AuditEvent.of(AuditAction.GRANT_ISSUED, lab).with("dataset", "ds-a")
                    .with("purpose", "scientific-research").with("grant", "gr-1"));
            log.append(AuditEvent.of(AuditAction.STREAM_CLOSED, lab).with("dataset", "ds-a")
                    .with("purpose", "scientific-research").with("grant", "gr-1").with("stream", "st-1").with("rows", 10));
            log.append(AuditEvent.of(AuditAction.GRANT_DENIED, lab).with("dataset", "ds-b").with("purpose", "marketing")
                    .with("reasons", List.of(java.util.Map.of("code", "NOT_OFFERED",
                            "message", "marketing is not offered"))));
            log.append(AuditEvent.of(AuditAction.GRANT_ISSUED, lab).with("dataset", "ds-b")
                    .with("purpose", "scientific-research").with("grant", "gr-2"));

            // Field names are in every record's JSON; a search finds values only.
            for (String fieldName : List.of("purpose", "grant", "stream", "actor", "subject", "reasons", "\"dataset\":")) {
                assertThat(indexes(log.query(search(Optional.of(fieldName), false, -1, 10)))).as("q=%s", fieldName).isEmpty();
            }
            assertThat(indexes(log.query(search(Optional.of("Scientific-Research"), false, -1, 10))))
                    .containsExactly(0L, 1L, 3L);
            assertThat(indexes(log.query(search(Optional.of("is not offered"), false, -1, 10)))).containsExactly(2L);
            assertThat(indexes(log.query(search(Optional.of("not_off"), false, -1, 10)))).containsExactly(2L);
            assertThat(indexes(log.query(search(Optional.of("trainer-7"), false, -1, 10)))).containsExactly(0L, 1L, 2L, 3L);
            assertThat(indexes(log.query(search(Optional.of("st-1"), false, -1, 10)))).containsExactly(1L);
            assertThat(indexes(log.query(search(Optional.of("radiology"), false, -1, 10)))).containsExactly(2L, 3L);
            // A value does not run into the next one: "ai-lab" then "ds-a" are two values, not "ai-labds-a".
            assertThat(indexes(log.query(search(Optional.of("labds"), false, -1, 10)))).isEmpty();
            // Pages of a search stay exact.
            assertThat(indexes(log.query(search(Optional.of("scientific"), true, -1, 2)))).containsExactly(3L, 1L);
            assertThat(indexes(log.query(search(Optional.of("scientific"), true, 1, 2)))).containsExactly(0L);

            // A data owner's search never leaves their own datasets, whatever it names.
            for (String text : List.of("scientific-research", "radiology", "ds-b", "trainer-7", "marketing")) {
                assertThat(indexes(log.query(ownerSearch("hospital-a", text)))).as("hospital-a, q=%s", text)
                        .allMatch(index -> index <= 1L);
            }
            assertThat(indexes(log.query(ownerSearch("hospital-a", "scientific-research")))).containsExactly(0L, 1L);
            assertThat(indexes(log.query(ownerSearch("hospital-b", "scientific-research")))).containsExactly(3L);
            assertThat(indexes(log.query(ownerSearch("hospital-a", "marketing")))).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void migrationSixFillsTheSearchTextOfRecordsWrittenBeforeIt(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        org.flywaydb.core.Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target("5")
                .load().migrate();
        String before = "{\"action\":\"grant.denied\",\"actor\":{\"organisation\":\"ai-lab\",\"roles\":[],"
                + "\"subject\":\"trainer-7\"},\"dataset\":\"ds-a\",\"index\":0,\"prev\":\"" + AuditLog.GENESIS
                + "\",\"purpose\":\"Marketing\",\"reasons\":[{\"code\":\"NOT_OFFERED\",\"message\":\"not here\"}],"
                + "\"time\":\"2026-01-01T00:00:00Z\"}";
        try (Connection connection = java.sql.DriverManager.getConnection(url);
                java.sql.PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log (idx, recorded_at,"
                        + " action, record_json, leaf_hash) VALUES (?, CURRENT_TIMESTAMP, 'grant.denied', ?, ?)")) {
            insert.setLong(1, 0);
            insert.setString(2, before);
            insert.setString(3, AuditLog.leafHashHex(before));
            insert.executeUpdate();
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("UPDATE audit_head SET next_index = 1 WHERE id = 1");
            }
        }
        try (Database database = Database.open(url); AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            assertThat(count(database, "SELECT COUNT(*) FROM audit_log WHERE search_text = '"
                    + String.join("\n", "trainer-7", "ai-lab", "ds-a", "marketing", "not_offered", "not here")
                            .replace("'", "''") + "'")).isEqualTo(1);
            assertThat(indexes(log.query(search(Optional.of("marketing"), false, -1, 10)))).containsExactly(0L);
            assertThat(indexes(log.query(search(Optional.of("purpose"), false, -1, 10)))).isEmpty();
        }
    }

    private static AuditQuery ownerSearch(String organisation, String text) {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(organisation), -1, 10, Optional.of(text), false);
    }

    private static void insertDataset(Database database, String id, String name, String organisation) throws SQLException {
        execute(database, "INSERT INTO datasets (id, name, description, organisation, source_type, source_options,"
                + " version, schema_json, policy_json, policy_version, registered_at) VALUES ('" + id + "', '" + name
                + "', '', '" + organisation + "', 'parquet', '{}', 'v1', '{}', '{}', 1, CURRENT_TIMESTAMP)");
    }

    private static AuditQuery search(Optional<String> text, boolean newestFirst, long after, int limit) {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), after, limit, text, newestFirst);
    }

    private static List<Long> indexes(List<AuditEntry> entries) {
        return entries.stream().map(AuditEntry::index).toList();
    }

    private static AuditEvent event(String message) {
        return AuditEvent.of(AuditAction.AUTH_FAILED, Actor.anonymous()).with("message", message);
    }

    private static void insertProbe(Connection connection, int id) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO effect_probe (id) VALUES (" + id + ")");
        }
    }

    private static void execute(Database database, String sql) throws SQLException {
        try (Connection connection = database.connection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static long count(Database database, String sql) throws SQLException {
        try (Connection connection = database.connection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
