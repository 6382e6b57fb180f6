package io.sluice.broker.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The writer's search text, built from the event, is the text that reading the record it wrote
 * gives ({@link AuditSearchText#of(String)}, the way V6 filled older records and search has always
 * matched): for the records the broker writes and for shapes it does not write but could.
 */
class AuditSearchTextTest {
    private static final Actor LAB = new Actor("trainer-7", "ai-lab", List.of("data-consumer"));
    private static final Instant TIME = Instant.parse("2026-12-03T10:15:30.123456Z");

    static Stream<AuditEvent> events() {
        List<AuditEvent> events = new ArrayList<>();
        // What the broker writes (shapes as in GrantService, StreamService, GrantRevoker, AccessRefusals, exports).
        events.add(AuditEvent.of(AuditAction.GRANT_ISSUED, LAB).with("dataset", "ds-0123").with("grant", "gr-9f8e")
                .with("purpose", "scientific-research").with("outcome", "issued").with("policyVersion", 3)
                .with("datasetVersion", "v2").with("project", "Trial-42").with("requestId", "rq-1"));
        events.add(AuditEvent.of(AuditAction.GRANT_DENIED, LAB).with("dataset", "ds-0123").with("purpose", "Marketing")
                .with("outcome", "denied").with("reasons", List.of(
                        Map.of("code", "PURPOSE_NOT_ALLOWED", "message", "purpose 'Marketing' is not offered"),
                        Map.of("code", "NOT_OFFERED", "message", "not here"))));
        events.add(AuditEvent.of(AuditAction.STREAM_OPENED, LAB).with("dataset", "ds-0123").with("grant", "gr-9f8e")
                .with("stream", "st-77").with("shard", 0).with("shards", 2).with("epoch", 0).with("seed", 42L)
                .with("from", 0L).with("node", Map.of("id", "node-1", "fingerprint", "ab:cd")).with("remote", "127.0.0.1:5"));
        events.add(AuditEvent.of(AuditAction.STREAM_CLOSED, LAB).with("dataset", "ds-0123").with("grant", "gr-9f8e")
                .with("stream", "st-77").with("rows", 5_000L).with("batches", 3).with("bytes", 54_259_480L)
                .with("sha256", "f840b3ac").with("rowsIn", 6_000L).with("columns", List.of("age", "consent")));
        events.add(AuditEvent.of(AuditAction.STREAM_ABORTED, LAB).with("grant", "gr-9f8e").with("stream", "st-78")
                .with("message", "the client went away\nmid-batch").with("failure", "CLIENT_GONE"));
        events.add(AuditEvent.of(AuditAction.AUTH_FAILED, Actor.anonymous()).with("message", "token expired")
                .with("requestId", "rq-2").with("reasons", List.of(Map.of("code", "TOKEN_EXPIRED", "message", "expired"))));
        events.add(AuditEvent.of(AuditAction.AUDIT_EXPORTED, new Actor("ines", "authority", List.of("compliance-officer")))
                .with("format", "csv").with("records", 10L));
        events.add(AuditEvent.of(AuditAction.DATASET_REGISTERED, new Actor("dr-weber", "hospital-a", List.of("data-owner")))
                .with("dataset", "ds-0123").with("scheme", "hmac-sha256").with("policyVersion", 1));
        // Shapes the writer could be given: values of every JSON type where text is expected.
        events.add(AuditEvent.of(AuditAction.GRANT_DENIED, LAB).with("purpose", 7).with("message", 2.5)
                .with("grant", List.of("gr-a", "gr-b")).with("stream", Map.of("id", "st-x")).with("dataset", true));
        events.add(AuditEvent.of(AuditAction.GRANT_DENIED, LAB).with("reasons", Arrays.asList("plain reason", 3,
                null, List.of("nested", "list"), Map.of("code", 4, "message", List.of("x")), codeOnly("ONLY_CODE"),
                Map.of("message", "only a message"), nulls(), Map.of("code", "", "message", "after an empty code"))));
        events.add(AuditEvent.of(AuditAction.GRANT_DENIED, LAB).with("reasons", "not a list"));
        events.add(AuditEvent.of(AuditAction.GRANT_DENIED, LAB).with("reasons", Map.of("code", "NOT_A_LIST")));
        events.add(AuditEvent.of(AuditAction.GRANT_DENIED, new Actor("", "", List.of())).with("message", "")
                .with("purpose", "Recherche médicale — Ünïcödé 𝔘𝔫𝔦 😀 ΣΊΣΥΦΟΣ İstanbul ß"));
        events.add(AuditEvent.of(AuditAction.POLICY_CHANGED, new Actor("Dr \"Q\" \\ O'Brien", "Org\tWith\rControls\u0001",
                List.of())).with("message", "line one\nline two\n\nthree").with("dataset", "ds-%_\\"));
        events.add(AuditEvent.of(AuditAction.STREAM_INTERRUPTED, LAB).with("grant", "gr-1").with("stream", "st-1")
                .with("reasons", List.of(Map.of("code", "BROKER_GONE", "message", "broker b-2 stopped\nheartbeat"))));
        events.addAll(randomEvents(new Random(20261203L), 200));
        return events.stream();
    }

    @ParameterizedTest
    @MethodSource("events")
    void theTextBuiltFromTheEventIsTheTextReadFromTheRecordTheWriterStores(AuditEvent event) {
        String record = AuditLog.canonicalJson(41, TIME, AuditLog.GENESIS, event);

        assertThat(AuditSearchText.of(event)).isEqualTo(AuditSearchText.of(record));
    }

    @Test
    void holdsValuesNotFieldNamesLowerCasedOneALine() {
        AuditEvent event = AuditEvent.of(AuditAction.GRANT_DENIED, LAB).with("dataset", "DS-A").with("purpose", "Marketing")
                .with("grant", "gr-1").with("rows", 3L)
                .with("reasons", List.of(Map.of("code", "NOT_OFFERED", "message", "Not\nhere")));

        assertThat(AuditSearchText.of(event))
                .isEqualTo(String.join("\n", "trainer-7", "ai-lab", "ds-a", "marketing", "gr-1", "not_offered", "not here"));
    }

    private static Map<String, Object> codeOnly(String code) {
        return Map.of("code", code);
    }

    private static Map<String, Object> nulls() {
        Map<String, Object> reason = new HashMap<>();
        reason.put("code", null);
        reason.put("message", null);
        return reason;
    }

    /** Events whose text fields hold random values of random JSON types, nested a few levels. */
    private static List<AuditEvent> randomEvents(Random random, int count) {
        List<String> fields = List.of("dataset", "purpose", "message", "grant", "stream", "reasons", "rows", "columns");
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            AuditEvent event = AuditEvent.of(AuditAction.values()[random.nextInt(AuditAction.values().length)],
                    new Actor(text(random), text(random), List.of(text(random))));
            for (String field : fields) {
                if (random.nextInt(3) > 0) {
                    event = event.with(field, value(random, 0));
                }
            }
            events.add(event);
        }
        return events;
    }

    private static Object value(Random random, int depth) {
        int kind = random.nextInt(depth >= 3 ? 5 : 8);
        return switch (kind) {
            case 0, 1 -> text(random);
            case 2 -> random.nextLong(-(1L << 53) + 1, 1L << 53);
            case 3 -> random.nextDouble() * 1e6;
            case 4 -> random.nextBoolean() ? Boolean.TRUE : null;
            case 5 -> {
                List<Object> list = new ArrayList<>();
                for (int j = random.nextInt(4); j > 0; j--) {
                    list.add(value(random, depth + 1));
                }
                yield list;
            }
            default -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (String key : List.of("code", "message", "id")) {
                    if (random.nextBoolean()) {
                        map.put(key, value(random, depth + 1));
                    }
                }
                yield map;
            }
        };
    }

    private static String text(Random random) {
        String alphabet = "aZ09-_%\\\"\n\t é€ΣİßŞ\u0007";
        StringBuilder text = new StringBuilder();
        for (int j = random.nextInt(12); j > 0; j--) {
            if (random.nextInt(10) == 0) {
                text.appendCodePoint(0x1F600 + random.nextInt(50)); // outside the BMP: a surrogate pair
            } else {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
        }
        return text.toString();
    }
}
