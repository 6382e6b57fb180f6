package io.sluice.broker.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the audit writer does per record outside the database, before and after its search text
 * came from the event instead of a second parse of the record's JSON, run by hand (not by
 * surefire). Both ways run in the same JVM, in alternating rounds over the same records (the mix
 * a training run writes: grant.issued, stream.opened and stream.closed, a refusal with reasons), so
 * that load on the machine touches both alike; the medians and their ratio are printed.
 *
 * <pre>
 * mvn -q -o -pl broker -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp broker/target/test-classes:broker/target/classes:$(cat /tmp/cp.txt) \
 *     io.sluice.broker.audit.AuditWriterBench [rounds]
 * </pre>
 */
public final class AuditWriterBench {
    private static final int RECORDS = 50_000;

    private AuditWriterBench() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        List<AuditEvent> events = events();
        Instant time = Instant.parse("2026-12-02T09:00:00.123456Z");
        List<String> records = events.stream().map(e -> AuditLog.canonicalJson(0, time, AuditLog.GENESIS, e)).toList();
        long sink = 0;
        for (int i = 0; i < 3; i++) { // warm both paths
            sink += before(events, time) + after(events, time) + searchTextFromJson(records)
                    + searchTextFromEvent(events);
        }
        long[] before = new long[rounds];
        long[] after = new long[rounds];
        long[] fromJson = new long[rounds];
        long[] fromEvent = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            long t = System.nanoTime();
            sink += before(events, time);
            before[round] = System.nanoTime() - t;
            t = System.nanoTime();
            sink += after(events, time);
            after[round] = System.nanoTime() - t;
            t = System.nanoTime();
            sink += searchTextFromJson(records);
            fromJson[round] = System.nanoTime() - t;
            t = System.nanoTime();
            sink += searchTextFromEvent(events);
            fromEvent[round] = System.nanoTime() - t;
        }
        System.out.printf("Java %s, %d cores, %d records a round, %d rounds, medians (min..max)%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), RECORDS, rounds);
        report("per record, before: canonical JSON + leaf hash + search text parsed from the JSON", before);
        report("per record, after:  canonical JSON + leaf hash + search text and grant from the event", after);
        System.out.printf("  after / before: %.2f%n", median(after) / median(before));
        report("search text alone, parsed from the record's JSON (AuditSearchText.of(String))", fromJson);
        report("search text alone, from the event (AuditSearchText.of(AuditEvent))", fromEvent);
        System.out.printf("  from the event / from the JSON: %.2f%n", median(fromEvent) / median(fromJson));
        System.out.println("(ignore: " + sink + ")");
    }

    private static long before(List<AuditEvent> events, Instant time) {
        long sink = 0;
        String prev = AuditLog.GENESIS;
        for (int i = 0; i < events.size(); i++) {
            String json = AuditLog.canonicalJson(i, time, prev, events.get(i));
            prev = AuditLog.leafHashHex(json);
            sink += AuditSearchText.of(json).length();
        }
        return sink + prev.hashCode();
    }

    private static long after(List<AuditEvent> events, Instant time) {
        long sink = 0;
        String prev = AuditLog.GENESIS;
        for (int i = 0; i < events.size(); i++) {
            AuditEvent event = events.get(i);
            String json = AuditLog.canonicalJson(i, time, prev, event);
            prev = AuditLog.leafHashHex(json);
            sink += AuditSearchText.of(event).length();
            String grant = event.grantId();
            sink += grant == null ? 0 : grant.length();
        }
        return sink + prev.hashCode();
    }

    /** The records' JSON is made beforehand: this times the parse and the walk alone. */
    private static long searchTextFromJson(List<String> records) {
        long sink = 0;
        for (String record : records) {
            sink += AuditSearchText.of(record).length();
        }
        return sink;
    }

    private static long searchTextFromEvent(List<AuditEvent> events) {
        long sink = 0;
        for (AuditEvent event : events) {
            sink += AuditSearchText.of(event).length();
        }
        return sink;
    }

    private static List<AuditEvent> events() {
        Actor lab = new Actor("trainer-7", "ai-lab", List.of("data-consumer"));
        List<AuditEvent> events = new ArrayList<>(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            String grant = "gr-" + Integer.toHexString(0x10000 + i / 20) + "0123456789abcdef";
            String stream = "st-" + Integer.toHexString(0x10000 + i) + "0123456789abcdef";
            AuditEvent event = switch (i % 10) {
                case 0 -> AuditEvent.of(AuditAction.GRANT_ISSUED, lab).with("dataset", "ds-0123456789abcdef01234567")
                        .with("grant", grant).with("purpose", "scientific-research").with("outcome", "issued")
                        .with("policyVersion", 3).with("datasetVersion", "v2").with("project", "trial-42")
                        .with("requestId", "rq-" + i);
                case 1 -> AuditEvent.of(AuditAction.GRANT_DENIED, lab).with("dataset", "ds-0123456789abcdef01234567")
                        .with("purpose", "marketing").with("outcome", "denied").with("requestId", "rq-" + i)
                        .with("reasons", List.of(Map.of("code", "PURPOSE_NOT_ALLOWED",
                                "message", "purpose 'marketing' is not one the policy offers")));
                case 2, 3, 4, 5 -> AuditEvent.of(AuditAction.STREAM_OPENED, lab).with("dataset", "ds-0123456789abcdef01234567")
                        .with("grant", grant).with("stream", stream).with("shard", i % 8).with("shards", 8).with("epoch", 0)
                        .with("node", Map.of("id", "node-1", "fingerprint", "ab:cd:ef")).with("remote", "127.0.0.1:40000")
                        .with("requestId", "rq-" + i);
                default -> AuditEvent.of(AuditAction.STREAM_CLOSED, lab).with("dataset", "ds-0123456789abcdef01234567")
                        .with("grant", grant).with("stream", stream).with("rows", 1_000_000L).with("batches", 16)
                        .with("bytes", 54_259_480L).with("sha256", "f840b3ac173bc77a" + "0".repeat(48))
                        .with("columns", List.of("age", "consent", "diagnosis")).with("requestId", "rq-" + i);
            };
            events.add(event);
        }
        return events;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%-92s %7.0f ns (%.0f..%.0f)%n", what, median(nanos) / RECORDS,
                (double) sorted[0] / RECORDS, (double) sorted[sorted.length - 1] / RECORDS);
    }
}
