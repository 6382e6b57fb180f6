package io.sluice.examples.bench;

import io.sluice.broker.audit.Actor;
import io.sluice.broker.audit.AuditAction;
import io.sluice.broker.audit.AuditEvent;
import io.sluice.broker.audit.AuditLog;
import io.sluice.broker.audit.AuditVerifier;
import io.sluice.broker.audit.tlog.CanonicalJson;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleTree;
import io.sluice.broker.audit.tlog.NoteSigner;
import io.sluice.broker.audit.tlog.NoteVerifier;
import io.sluice.broker.store.Database;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./sluice bench audit}: durable appends per second with 1, 8 and 64 concurrent writers (H2,
 * and PostgreSQL when {@code --postgres URL} is given), each beside a baseline measured in the same
 * run: the same number of plain single-row INSERT transactions into an unindexed table of the same
 * database, one writer. Then: verifying a log of {@code --verify-records} records and an inclusion
 * proof in a tree of that size.
 */
@Command(name = "sluice bench audit", mixinStandardHelpOptions = true,
        description = "Measures audit appends per second, log verification and inclusion proofs.",
        footer = {"", "Examples:", "  ./sluice bench audit",
            "  ./sluice bench audit --seconds 10 --postgres jdbc:postgresql://127.0.0.1:5432/bench?user=bench",
            "Results and how to read them: docs/PERFORMANCE.md."})
public final class AuditLogBench implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "5", description = "measuring time per writer count (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--postgres", description = "JDBC URL of a PostgreSQL database to measure as well")
    String postgres;

    @Option(names = "--verify-records", defaultValue = "1000000", description = "records in the verification run (default: ${DEFAULT-VALUE})")
    int verifyRecords;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AuditLogBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("sluice-audit-bench");
        appends("H2", "jdbc:h2:file:" + dir.resolve("bench") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
        if (postgres != null) {
            appends("PostgreSQL", postgres);
        }
        verification();
        return 0;
    }

    private void appends(String name, String url) throws Exception {
        try (Database database = Database.open(url); AuditLog log = new AuditLog(database, Clock.systemUTC())) {
            double baseline = plainInserts(database);
            System.out.printf("%s: baseline, plain one-row INSERT transactions, 1 writer: %,.0f/s%n", name, baseline);
            for (int writers : new int[] {1, 8, 64}) {
                double rate = appendRate(log, writers);
                System.out.printf("%s: audit appends, %2d writers: %,9.0f/s  (%.1fx the baseline)%n",
                        name, writers, rate, rate / baseline);
            }
        }
    }

    private double plainInserts(Database database) throws Exception {
        try (var connection = database.connection(); var statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS bench_plain");
            statement.execute("CREATE TABLE bench_plain (id BIGINT, body VARCHAR)");
        }
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long started = System.nanoTime();
        long count = 0;
        try (var connection = database.connection();
                var insert = connection.prepareStatement("INSERT INTO bench_plain (id, body) VALUES (?, ?)")) {
            while (System.nanoTime() < deadline) {
                insert.setLong(1, count);
                insert.setString(2, "{\"action\":\"auth.failed\",\"message\":\"bench " + count + "\"}");
                insert.executeUpdate(); // autocommit: one durable transaction per row
                count++;
            }
        }
        return count / ((System.nanoTime() - started) / 1e9);
    }

    private double appendRate(AuditLog log, int writers) throws Exception {
        AtomicLong appended = new AtomicLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        long started = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            futures.add(threads.submit(() -> {
                while (System.nanoTime() < deadline) {
                    log.append(AuditEvent.of(AuditAction.AUTH_FAILED, Actor.anonymous())
                            .with("message", "bench").with("requestId", "rq-bench"));
                    appended.incrementAndGet();
                }
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        threads.shutdown();
        return appended.get() / ((System.nanoTime() - started) / 1e9);
    }

    private void verification() {
        NoteSigner signer = NoteSigner.generate("bench.sluice/audit");
        List<byte[]> records = new ArrayList<>(verifyRecords);
        MerkleTree tree = new MerkleTree();
        String prev = AuditLog.GENESIS;
        for (int i = 0; i < verifyRecords; i++) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("index", (long) i);
            record.put("time", "2026-11-26T12:00:00.000000Z");
            record.put("action", "stream.closed");
            record.put("prev", prev);
            record.put("actor", Map.of("subject", "trainer-7", "organisation", "ai-lab", "roles", List.of("data-consumer")));
            record.put("dataset", "ds-0123456789abcdef01234567");
            record.put("grant", "gr-0123456789abcdef01234567");
            record.put("stream", "st-0123456789abcdef01234567");
            record.put("rows", 1_000_000L);
            record.put("bytes", 54_259_480L);
            record.put("sha256", "f840b3ac173bc77a" + "0".repeat(48));
            byte[] bytes = CanonicalJson.encode(record);
            records.add(bytes);
            byte[] leaf = MerkleHash.leaf(bytes);
            tree.append(leaf);
            prev = HexFormat.of().formatHex(leaf);
        }
        String note = signer.sign(new Checkpoint("bench.sluice/audit", tree.size(), tree.root()).body());
        AuditVerifier verifier = new AuditVerifier(NoteVerifier.parse(signer.verifierKey()));
        long bytes = records.stream().mapToLong(r -> r.length).sum();

        long started = System.nanoTime();
        AuditVerifier.Result result = verifier.verify(records, List.of(note), Optional.empty());
        double verifySeconds = (System.nanoTime() - started) / 1e9;
        // Baseline in the same run: only hashing the same bytes once with SHA-256, nothing else.
        started = System.nanoTime();
        for (byte[] record : records) {
            MerkleHash.leaf(record);
        }
        double hashSeconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("verify %,d records (%.0f MB): %.2f s, %s; baseline, SHA-256 of each record once: %.2f s (%.1fx)%n",
                records.size(), bytes / 1e6, verifySeconds, result.ok() ? "verified" : result.problem().get(),
                hashSeconds, verifySeconds / hashSeconds);

        int proofs = 100_000;
        long index = 0;
        started = System.nanoTime();
        for (int i = 0; i < proofs; i++) {
            index = (index * 6364136223846793005L + 1442695040888963407L) & Long.MAX_VALUE;
            tree.inclusionProof(index % tree.size(), tree.size());
        }
        double proofMicros = (System.nanoTime() - started) / 1e3 / proofs;
        System.out.printf("inclusion proof in a %,d-record tree: %.2f µs each (mean of %,d)%n",
                tree.size(), proofMicros, proofs);
        System.out.println(new String(records.get(0), StandardCharsets.UTF_8).length() + " bytes per record");
    }
}
