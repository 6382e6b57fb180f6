package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.TestDatabases;
import io.sluice.broker.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Migration 7 on a log written as migration 6 left it: every row's {@code grant_id} is the grant its
 * record names, and the records of each grant that a receipt carries are those the old {@code LIKE}
 * over the dataset's records found, in the same order; after it, the writer fills the column itself.
 */
class AuditGrantColumnIT {
    private static final Actor LAB = new Actor("trainer-7", "ai-lab", List.of("data-consumer"));
    private static final String LONGEST = "gr-" + "x".repeat(AuditEvent.MAX_GRANT_ID - 3);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void fillsTheGrantOfEveryOlderRecordAndFindsTheSameRecordsTheLikeDid(String kind) throws Exception {
        String url = TestDatabases.fresh(kind, dir);
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target("6").load().migrate();
        List<Stored> stored = olderLog();
        try (Connection connection = DriverManager.getConnection(url)) {
            insertAsSixLeftThem(connection, stored);
        }
        List<String> grants = stored.stream().map(Stored::grant).filter(g -> g != null).distinct().toList();
        Map<String, List<AuditEntry>> likeBefore = new LinkedHashMap<>();
        try (Connection connection = DriverManager.getConnection(url)) {
            for (String dataset : List.of("ds-1", "ds-2")) {
                for (String grant : grants) {
                    likeBefore.put(dataset + "/" + grant, LikeGrantRecords.of(connection, dataset, grant));
                }
            }
        }
        assertThat(likeBefore.get("ds-1/gr-a")).as("the test's log has what a receipt carries").hasSizeGreaterThan(3);

        try (Database database = Database.open(url)) {
            try (Connection connection = database.connection()) {
                Map<Long, String> column = grantColumn(connection);
                assertThat(column).hasSize(stored.size());
                for (Stored record : stored) {
                    assertThat(column.get(record.index())).as("grant_id of record %d: %s", record.index(), record.json())
                            .isEqualTo(record.grant());
                }
                assertThat(column.values()).as("some records name no grant").containsNull();
            }
            GrantAuditRecords records = new GrantAuditRecords(database);
            for (Map.Entry<String, List<AuditEntry>> expected : likeBefore.entrySet()) {
                String[] key = expected.getKey().split("/", 2);
                assertThat(records.of(key[0], key[1])).as(expected.getKey()).isEqualTo(expected.getValue());
            }

            try (AuditLog log = new AuditLog(database, Clock.systemUTC())) {
                AuditEntry opened = log.append(event(AuditAction.STREAM_OPENED, "ds-1", "gr-a").with("stream", "st-new"));
                AuditEntry tooLong = log.append(event(AuditAction.GRANT_DENIED, "ds-1", LONGEST + "y"));
                AuditEntry number = log.append(event(AuditAction.GRANT_DENIED, "ds-1", null).with("grant", 17));
                AuditEntry longestId = log.append(event(AuditAction.GRANT_ISSUED, "ds-1", LONGEST));
                try (Connection connection = database.connection()) {
                    Map<Long, String> column = grantColumn(connection);
                    assertThat(column.get(opened.index())).isEqualTo("gr-a");
                    assertThat(column.get(tooLong.index())).as("longer than any grant id").isNull();
                    assertThat(column.get(number.index())).isNull();
                    assertThat(column.get(longestId.index())).isEqualTo(LONGEST);
                    assertThat(records.of("ds-1", "gr-a")).isEqualTo(LikeGrantRecords.of(connection, "ds-1", "gr-a"))
                            .last().isEqualTo(opened);
                    assertThat(records.of("ds-1", LONGEST)).containsExactly(longestId);
                }
            }
        }
    }

    /** A record as the older broker stored it, and the grant its column must get. */
    private record Stored(long index, String action, String dataset, String json, String grant) {}

    /**
     * About 2,500 records (past two of the migration's pages) over two datasets: the records a receipt
     * carries and those it does not, grants whose ids are LIKE wildcards or prefixes of each other,
     * a grant named only inside another field, one too long for a grant id, one that is a number,
     * and a row that is no JSON at all.
     */
    private static List<Stored> olderLog() {
        List<String> grants = List.of("gr-a", "gr-ab", "gr_a", "gr-%", "gr-ünï", "gr-b");
        List<AuditAction> actions = List.of(AuditAction.GRANT_ISSUED, AuditAction.STREAM_OPENED, AuditAction.STREAM_CLOSED,
                AuditAction.STREAM_ABORTED, AuditAction.STREAM_INTERRUPTED, AuditAction.GRANT_DENIED,
                AuditAction.GRANT_REVOKED, AuditAction.AUTH_FAILED);
        Random random = new Random(7);
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            String dataset = random.nextInt(4) == 0 ? "ds-2" : "ds-1";
            AuditEvent event = event(actions.get(random.nextInt(actions.size())), dataset,
                    random.nextInt(10) == 0 ? null : grants.get(random.nextInt(grants.size())));
            if (random.nextInt(20) == 0) {
                event = event.with("message", "\"grant\":\"gr-a\" quoted in another field");
            }
            events.add(event);
        }
        events.add(event(AuditAction.STREAM_CLOSED, "ds-1", LONGEST + "y"));
        events.add(event(AuditAction.STREAM_CLOSED, "ds-1", null).with("grant", 42));
        events.add(event(AuditAction.STREAM_CLOSED, "ds-1", null).with("grant", Map.of("id", "gr-a")));
        events.add(event(AuditAction.STREAM_CLOSED, "ds-1", null).with("reasons", List.of(Map.of("grant", "gr-a"))));
        Collections.shuffle(events, random);

        List<Stored> stored = new ArrayList<>();
        String prev = AuditLog.GENESIS;
        Instant time = Instant.parse("2026-11-30T08:00:00Z");
        for (AuditEvent event : events) {
            long index = stored.size();
            String json = AuditLog.canonicalJson(index, time.plusMillis(index), prev, event);
            stored.add(new Stored(index, event.action().wireName(), event.datasetId(), json, event.grantId()));
            prev = AuditLog.leafHashHex(json);
        }
        stored.add(new Stored(stored.size(), "stream.closed", "ds-1", "{\"grant\":\"gr-a\" altered, no longer JSON", null));
        return stored;
    }

    private static AuditEvent event(AuditAction action, String dataset, String grant) {
        return AuditEvent.of(action, LAB).with("dataset", dataset).with("grant", grant).with("rows", 3L);
    }

    private static void insertAsSixLeftThem(Connection connection, List<Stored> records) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log (idx, recorded_at, action,"
                + " dataset_id, organisation, subject, record_json, leaf_hash, search_text)"
                + " VALUES (?, CURRENT_TIMESTAMP, ?, ?, 'ai-lab', 'trainer-7', ?, ?, ?)")) {
            for (Stored record : records) {
                insert.setLong(1, record.index());
                insert.setString(2, record.action());
                insert.setString(3, record.dataset());
                insert.setString(4, record.json());
                insert.setString(5, AuditLog.leafHashHex(record.json()));
                insert.setString(6, AuditSearchText.of(record.json()));
                insert.addBatch();
            }
            insert.executeBatch();
        }
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate("UPDATE audit_head SET next_index = " + records.size() + " WHERE id = 1");
        }
    }

    private static Map<Long, String> grantColumn(Connection connection) throws SQLException {
        Map<Long, String> column = new HashMap<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT idx, grant_id FROM audit_log")) {
            while (rows.next()) {
                column.put(rows.getLong(1), rows.getString(2));
            }
        }
        return column;
    }
}
