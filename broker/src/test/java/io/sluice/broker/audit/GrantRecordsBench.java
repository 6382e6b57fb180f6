package io.sluice.broker.audit;

import io.sluice.broker.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * A receipts page on a long log, before and after {@code audit_log.grant_id}, run by hand (not by
 * surefire). Fills a store at schema version 6 with {@code records} records (default 200,000) of
 * {@code grants} grants (default 1,000) over 10 datasets, interleaved as a busy broker writes them
 * (each grant's {@code grant.issued} first, then its streams' openings and ends and a few refusals,
 * plus some records of no grant); times migration 7 on it; then times one receipts page, the
 * records of 100 grants of one dataset, both ways in alternating rounds: the old {@code LIKE} over the
 * dataset's records ({@link LikeGrantRecords}) and {@link GrantAuditRecords} (the index). H2 always;
 * PostgreSQL too when a URL is given (a schema of its own is made there and dropped after).
 *
 * <pre>
 * mvn -q -o -pl broker -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp broker/target/test-classes:broker/target/classes:$(cat /tmp/cp.txt) \
 *     io.sluice.broker.audit.GrantRecordsBench [records [grants [postgres-jdbc-url]]]
 * </pre>
 */
public final class GrantRecordsBench {
    private static final int DATASETS = 10;
    private static final int PAGE = 100;
    private static final int ROUNDS = 5;

    private GrantRecordsBench() {}

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int grants = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        Path dir = Files.createTempDirectory("sluice-grant-bench");
        run("H2", "jdbc:h2:file:" + dir.resolve("bench") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", records, grants);
        if (args.length > 2) {
            String schema = "bench_" + UUID.randomUUID().toString().replace("-", "");
            try (Connection connection = DriverManager.getConnection(args[2]);
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA " + schema);
            }
            try {
                run("PostgreSQL", args[2] + (args[2].contains("?") ? "&" : "?") + "currentSchema=" + schema, records, grants);
            } finally {
                try (Connection connection = DriverManager.getConnection(args[2]);
                        Statement statement = connection.createStatement()) {
                    statement.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }
    }

    private static void run(String name, String url, int records, int grants) throws Exception {
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target("6").load().migrate();
        long t = System.nanoTime();
        fill(url, records, grants);
        System.out.printf("%s: %,d records of %,d grants written as V6 left them in %.1f s%n", name, records, grants,
                (System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
        try (Database database = Database.open(url)) {
            System.out.printf("%s: migration 7 (fill grant_id, build the index): %.2f s%n", name,
                    (System.nanoTime() - t) / 1e9);
            try (Connection connection = database.connection(); Statement statement = connection.createStatement()) {
                statement.execute("ANALYZE" + (name.equals("H2") ? "" : " audit_log"));
            }
            List<String> page = new ArrayList<>();
            for (int g = 0; page.size() < PAGE && g < grants; g += DATASETS) {
                page.add(grantId(g)); // grants g, g + 10, ...: all on dataset ds-0, as one dataset's receipts page
            }
            GrantAuditRecords index = new GrantAuditRecords(database);
            long[] before = new long[ROUNDS];
            long[] after = new long[ROUNDS];
            long recordsFound = 0;
            for (int round = -1; round < ROUNDS; round++) { // round -1 warms both
                long[] like = new long[1];
                List<List<AuditEntry>> old = new ArrayList<>();
                try (Connection connection = database.connection()) {
                    long start = System.nanoTime();
                    for (String grant : page) {
                        old.add(LikeGrantRecords.of(connection, datasetId(0), grant));
                    }
                    like[0] = System.nanoTime() - start;
                }
                long start = System.nanoTime();
                List<List<AuditEntry>> indexed = new ArrayList<>();
                for (String grant : page) {
                    indexed.add(index.of(datasetId(0), grant));
                }
                long byIndex = System.nanoTime() - start;
                if (!old.equals(indexed)) {
                    throw new AssertionError("the LIKE and the index found different records");
                }
                if (round >= 0) {
                    before[round] = like[0];
                    after[round] = byIndex;
                }
                recordsFound = indexed.stream().mapToLong(List::size).sum();
            }
            System.out.printf("%s: a receipts page (%d grants, %,d records): LIKE over the dataset %.1f ms,"
                    + " grant_id index %.2f ms (medians of %d); LIKE / index = %.0fx%n", name, page.size(), recordsFound,
                    median(before) / 1e6, median(after) / 1e6, ROUNDS, median(before) / median(after));
            try (Connection connection = database.connection();
                    PreparedStatement explain = connection.prepareStatement("EXPLAIN SELECT idx, record_json, leaf_hash"
                            + " FROM audit_log WHERE grant_id = ? AND dataset_id = ? AND action IN (?, ?) ORDER BY idx")) {
                explain.setString(1, page.getFirst());
                explain.setString(2, datasetId(0));
                explain.setString(3, "grant.issued");
                explain.setString(4, "stream.opened");
                try (ResultSet plan = explain.executeQuery()) {
                    StringBuilder text = new StringBuilder();
                    while (plan.next()) {
                        text.append("\n    ").append(plan.getString(1).replace("\n", "\n    "));
                    }
                    System.out.printf("%s: plan of the receipt query:%s%n", name, text);
                }
            }
        }
    }

    /**
     * Writes the records in batches of 1,000 with their search text, as the broker before migration 7
     * did; the Merkle chain ({@code prev}, leaf hashes) is kept so that the log opens as a real one.
     */
    private static void fill(String url, int records, int grants) throws Exception {
        Random random = new Random(42);
        Actor lab = new Actor("trainer-7", "ai-lab", List.of("data-consumer"));
        boolean[] issued = new boolean[grants];
        Instant time = Instant.parse("2026-11-01T00:00:00Z");
        String prev = AuditLog.GENESIS;
        try (Connection connection = DriverManager.getConnection(url);
                PreparedStatement insert = connection.prepareStatement("INSERT INTO audit_log (idx, recorded_at, action,"
                        + " dataset_id, organisation, subject, purpose, record_json, leaf_hash, search_text)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            connection.setAutoCommit(false);
            for (int i = 0; i < records; i++) {
                int g = random.nextInt(grants);
                AuditEvent event = event(random, lab, g, i, !issued[g]);
                issued[g] = true;
                String json = AuditLog.canonicalJson(i, time.plusMillis(i), prev, event);
                prev = AuditLog.leafHashHex(json);
                insert.setLong(1, i);
                insert.setObject(2, time.plusMillis(i).atOffset(java.time.ZoneOffset.UTC));
                insert.setString(3, event.action().wireName());
                insert.setString(4, event.datasetId());
                insert.setString(5, lab.organisation());
                insert.setString(6, lab.subject());
                insert.setString(7, event.detail("purpose"));
                insert.setString(8, json);
                insert.setString(9, prev);
                insert.setString(10, AuditSearchText.of(json));
                insert.addBatch();
                if (i % 1000 == 999) {
                    insert.executeBatch();
                    connection.commit();
                }
            }
            insert.executeBatch();
            try (Statement statement = connection.createStatement()) {
                statement.executeUpdate("UPDATE audit_head SET next_index = " + records + " WHERE id = 1");
            }
            connection.commit();
        }
    }

    private static AuditEvent event(Random random, Actor lab, int g, int i, boolean first) {
        String dataset = datasetId(g % DATASETS);
        if (random.nextInt(20) == 0) {
            return AuditEvent.of(AuditAction.AUTH_FAILED, Actor.anonymous()).with("message", "token expired")
                    .with("requestId", "rq-" + i);
        }
        if (first) {
            return AuditEvent.of(AuditAction.GRANT_ISSUED, lab).with("dataset", dataset).with("grant", grantId(g))
                    .with("purpose", "scientific-research").with("outcome", "issued").with("policyVersion", 1)
                    .with("datasetVersion", "v1").with("requestId", "rq-" + i);
        }
        String stream = "st-" + String.format("%024x", i / 2);
        int kind = random.nextInt(10);
        if (kind == 0) {
            return AuditEvent.of(AuditAction.GRANT_DENIED, lab).with("dataset", dataset).with("grant", grantId(g))
                    .with("outcome", "denied").with("requestId", "rq-" + i).with("reasons",
                            List.of(Map.of("code", "TOO_MANY_STREAMS", "message", "8 streams already run")));
        }
        AuditEvent event = AuditEvent.of(kind < 5 ? AuditAction.STREAM_OPENED : AuditAction.STREAM_CLOSED, lab)
                .with("dataset", dataset).with("grant", grantId(g)).with("stream", stream).with("requestId", "rq-" + i);
        return kind < 5
                ? event.with("shard", i % 8).with("shards", 8).with("epoch", 0)
                : event.with("rows", 125_000L).with("batches", 2).with("bytes", 6_782_435L)
                        .with("sha256", "f840b3ac173bc77a" + "0".repeat(48));
    }

    private static String grantId(int g) {
        return "gr-" + String.format("%024x", g);
    }

    private static String datasetId(int d) {
        return "ds-" + String.format("%024x", d);
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
