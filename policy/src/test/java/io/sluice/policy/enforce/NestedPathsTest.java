package io.sluice.policy.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.FieldPath;
import io.sluice.policy.Policies;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.Transform;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Policies that reach into nested data, FHIR-shaped: what is accepted, refused, and served. */
class NestedPathsTest {
    private static final Field CODE = nullable("code", ArrowType.Utf8.INSTANCE);
    private static final Field DIAGNOSIS = new Field("diagnosis", FieldType.nullable(ArrowType.List.INSTANCE),
            List.of(new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE),
                    List.of(CODE, nullable("note", ArrowType.Utf8.INSTANCE)))));
    private static final Field ENCOUNTER = new Field("encounter", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
            nullable("status", ArrowType.Utf8.INSTANCE), DIAGNOSIS,
            new Field("seen", FieldType.nullable(ArrowType.List.INSTANCE), List.of(
                    nullable("item", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"))))));
    private static final Field LABELS = new Field("labels", FieldType.nullable(new ArrowType.Map(false)), List.of(
            new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                    new Field("key", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                    nullable("value", new ArrowType.FixedSizeBinary(2))))));
    private static final Schema SCHEMA = new Schema(List.of(nullable("id", new ArrowType.Int(64, true)), ENCOUNTER,
            LABELS));
    private static final AccessRequest REQUEST = new AccessRequest("ai-lab", Set.of("data-consumer"),
            "medical-research", Optional.empty(), Instant.parse("2026-06-01T12:00:00Z"));

    private static Field nullable(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    private static String policy(String duties) {
        return "{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\", \"duty\": [" + duties + "]}]}";
    }

    private static PolicyDecision.Permit permit(String duties) {
        return (PolicyDecision.Permit) Policies.decide(Policies.parse(policy(duties), SCHEMA), SCHEMA, REQUEST);
    }

    private static List<Object> encounter(String status, List<Object> diagnoses, List<Object> seen) {
        Map<String, Object> encounter = new LinkedHashMap<>();
        encounter.put("status", status);
        encounter.put("diagnosis", diagnoses);
        encounter.put("seen", seen);
        return new ArrayList<>(java.util.Arrays.asList(1L, encounter, List.of(entry("ward", "0x0a0b"))));
    }

    private static Map<String, Object> diagnosis(String code, String note) {
        Map<String, Object> diagnosis = new LinkedHashMap<>();
        diagnosis.put("code", code);
        diagnosis.put("note", note);
        return diagnosis;
    }

    private static Map<String, Object> entry(String key, String value) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("key", key);
        entry.put("value", value);
        return entry;
    }

    @Test
    void dropsAFieldInsideListElementsAndPseudonymisesTheirCodes() {
        PolicyDecision.Permit permit = permit("""
                {"action": "sluice:drop", "target": "encounter.diagnosis.note"},
                {"action": "sluice:pseudonymise", "target": ["encounter.diagnosis.code", "labels.key"]},
                {"action": "sluice:rowFilter", "expression": "encounter.status = 'finished'"}""");

        assertThat(permit.transforms()).contains(new Transform("drop", List.of("encounter.diagnosis.note")),
                new Transform("pseudonymise", List.of("encounter.diagnosis.code", "labels.key"),
                        Map.of("output", "hmac-sha256-hex")));
        Schema out = Policies.outputSchema(permit, SCHEMA);
        Field item = out.findField("encounter").getChildren().get(1).getChildren().getFirst();
        assertThat(item.getChildren()).extracting(Field::getName).containsExactly("code");
        assertThat(out.findField("labels").getChildren().getFirst().getChildren().getFirst().getType())
                .isEqualTo(ArrowType.Utf8.INSTANCE);

        PseudonymKey key = PseudonymKey.derive(new byte[32], "ds", "p");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, SCHEMA, key, OptOuts.none());
        assertThat(pipeline.inputColumns()).containsExactly("id", "encounter", "labels");
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = NestedValues.batch(SCHEMA, List.of(
                        encounter("finished", List.of(diagnosis("I10", "secret")), List.of(0L, 86_400_000_000L)),
                        encounter("planned", List.of(diagnosis("E11", "x")), List.of()),
                        encounter("finished", new ArrayList<>(java.util.Arrays.asList(null, diagnosis(null, "y"))),
                                null)), allocator);
                VectorSchemaRoot served = pipeline.apply(in, allocator)) {
            List<List<Object>> rows = NestedValues.rows(served);
            assertThat(rows).hasSize(2);
            @SuppressWarnings("unchecked")
            Map<String, Object> first = (Map<String, Object>) rows.get(0).get(1);
            assertThat(first.get("diagnosis")).isEqualTo(List.of(Map.of("code", key.pseudonym("I10"))));
            assertThat(first.get("seen")).isEqualTo(List.of(0L, 86_400_000_000L));
            assertThat(rows.get(0).get(2)).isEqualTo(List.of(Map.of("key", key.pseudonym("ward"), "value", "0x0a0b")));
            @SuppressWarnings("unchecked")
            Map<String, Object> second = (Map<String, Object>) rows.get(1).get(1);
            List<Object> withNull = new ArrayList<>();
            withNull.add(null);
            Map<String, Object> nullCode = new LinkedHashMap<>();
            nullCode.put("code", null);
            withNull.add(nullCode);
            assertThat(second.get("diagnosis")).isEqualTo(withNull);
        }
    }

    @Test
    void masksAListWithNullWholeSoItsLengthDoesNotLeakAndAFieldInsideItsElementsPerElement() {
        PolicyDecision.Permit permit = permit("""
                {"action": "sluice:mask", "target": ["encounter.seen", "encounter.diagnosis.note", "labels"],
                 "with": null}""");

        Schema out = Policies.outputSchema(permit, SCHEMA);
        Field seen = out.findField("encounter").getChildren().get(2);
        assertThat(seen.getType()).isEqualTo(ArrowType.List.INSTANCE);
        assertThat(seen.isNullable()).isTrue();
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, SCHEMA, PseudonymKey.derive(new byte[32],
                "ds", "p"), OptOuts.none());
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = NestedValues.batch(SCHEMA, List.of(
                        encounter("finished", List.of(diagnosis("I10", "secret"), diagnosis("E11", "x")),
                                List.of(0L, 86_400_000_000L)),
                        encounter("planned", List.of(), List.of(5L)),
                        encounter("finished", null, null)), allocator);
                VectorSchemaRoot served = pipeline.apply(in, allocator)) {
            List<List<Object>> rows = NestedValues.rows(served);
            assertThat(rows).hasSize(3);
            List<Integer> diagnoses = new ArrayList<>();
            for (List<Object> row : rows) {
                @SuppressWarnings("unchecked")
                Map<String, Object> encounter = (Map<String, Object>) row.get(1);
                // The whole list is null: not a list of nulls as long as the patient's list.
                assertThat(encounter.get("seen")).isNull();
                assertThat(row.get(2)).as("a map masked with null").isNull();
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> diagnosis = (List<Map<String, Object>>) encounter.get("diagnosis");
                diagnoses.add(diagnosis == null ? null : diagnosis.size());
                if (diagnosis != null) {
                    assertThat(diagnosis).allSatisfy(element -> {
                        assertThat(element).containsKey("note");
                        assertThat(element.get("note")).isNull();
                    });
                }
            }
            // A field inside the elements is masked element by element; the list itself is kept.
            assertThat(diagnoses).containsExactly(2, 0, null);
            @SuppressWarnings("unchecked")
            Map<String, Object> encounter = (Map<String, Object>) rows.get(0).get(1);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> first = (List<Map<String, Object>>) encounter.get("diagnosis");
            assertThat(first).extracting(element -> element.get("code")).containsExactly("I10", "E11");
        }
    }

    @Test
    void copiesListsOfZonedTimestampsAndFixedSizeBinaryThatUsedToCutStreams() {
        PolicyDecision.Permit permit = permit("{\"action\": \"sluice:rowFilter\", \"expression\": \"id >= 0\"}");
        EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, SCHEMA, PseudonymKey.derive(new byte[32],
                "ds", "p"), OptOuts.none());
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = NestedValues.batch(SCHEMA, List.of(
                        encounter("a", List.of(), List.of(5L)), encounter("b", List.of(), List.of(6L, 7L))),
                        allocator)) {
            ((org.apache.arrow.vector.BigIntVector) in.getVector("id")).set(0, -1);
            try (VectorSchemaRoot served = pipeline.apply(in, allocator)) {
                assertThat(served.getRowCount()).isEqualTo(1);
                @SuppressWarnings("unchecked")
                Map<String, Object> encounter = (Map<String, Object>) NestedValues.rows(served).getFirst().get(1);
                assertThat(encounter.get("seen")).isEqualTo(List.of(6L, 7L));
                assertThat(NestedValues.rows(served).getFirst().get(2)).isEqualTo(List.of(entry("ward", "0x0a0b")));
            }
        }
    }

    @Test
    void refusesAPathThatDoesNotExistNamingIt() {
        assertThatThrownBy(() -> Policies.parse(policy("{\"action\": \"sluice:drop\", \"target\": "
                + "\"encounter.diagnosis.cod\"}"), SCHEMA))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.UNKNOWN_COLUMN))
                .hasMessage("permission[0].duty[0].target: unknown field 'encounter.diagnosis.cod': "
                        + "'encounter.diagnosis' has fields [code, note]");
    }

    @Test
    void refusesARowFilterThroughAList() {
        assertThatThrownBy(() -> Policies.parse(policy("{\"action\": \"sluice:rowFilter\", \"expression\": "
                + "\"encounter.diagnosis.code = 'I10'\"}"), SCHEMA))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.INVALID_EXPRESSION))
                .hasMessage("permission[0].duty[0].expression: position 1: field 'encounter.diagnosis.code' lies"
                        + " inside a list or a map; a row filter reads one value per row, so it may reach into"
                        + " structs only");
    }

    @Test
    void refusesADutyOnATypeItCannotTransformNamingPathAndType() {
        assertThatThrownBy(() -> Policies.parse(policy("{\"action\": \"sluice:generalise\", \"target\": "
                + "\"labels.value\", \"prefix\": 1}"), SCHEMA))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE))
                .hasMessage("permission[0].duty[0].target: sluice:generalise to a prefix takes utf8 columns; field "
                        + "'labels.value' is fixed_size_binary[2]");
        assertThatThrownBy(() -> Policies.parse(policy("{\"action\": \"sluice:mask\", \"target\": \"labels.key\", "
                + "\"with\": null}"), SCHEMA))
                .hasMessage("permission[0].duty[0].target: sluice:mask cannot change field 'labels.key': a map's keys"
                        + " are never null and must stay distinct; pseudonymise it, or mask the values");
    }

    @Test
    void refusesATransformOfAFieldInsideAnotherTransformedOne() {
        assertThatThrownBy(() -> Policies.parse(policy("""
                {"action": "sluice:mask", "target": "encounter", "with": null},
                {"action": "sluice:pseudonymise", "target": "encounter.status"}"""), SCHEMA))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.CONFLICTING_DUTIES))
                .hasMessage("permission[0].duty[1]: field 'encounter.status' and field 'encounter' of duty[0] "
                        + "(sluice:mask) lie one inside the other; transform one of them, or each field inside");
    }

    @Test
    void refusesNestingDeeperThanTheLimitWhenThePolicyIsSetAndWhenAGrantIsIssued() {
        Schema deep = new Schema(List.of(nullable("id", new ArrowType.Int(64, true)), chain(FieldPath.MAX_DEPTH + 1)));
        Schema deepest = new Schema(List.of(nullable("id", new ArrowType.Int(64, true)), chain(FieldPath.MAX_DEPTH)));
        String filter = "{\"action\": \"sluice:rowFilter\", \"expression\": \"id >= 0\"}";

        PolicyDecision.Permit tooDeep = (PolicyDecision.Permit) Policies.decide(Policies.parse(policy(filter), deep),
                deep, REQUEST);
        assertThatThrownBy(() -> Policies.outputSchema(tooDeep, deep))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE))
                .hasMessage("column 'deep' nests more than 64 fields deep (list elements and map entries counted),"
                        + " which the broker cannot stream");
        PolicyDecision.Permit atLimit = (PolicyDecision.Permit) Policies.decide(Policies.parse(policy(filter),
                deepest), deepest, REQUEST);
        assertThat(Policies.outputSchema(atLimit, deepest)).isEqualTo(deepest);

        String path = "deep" + ".f".repeat(FieldPath.MAX_DEPTH);
        assertThatThrownBy(() -> Policies.parse(policy("{\"action\": \"sluice:drop\", \"target\": \"" + path + "\"}"),
                deep))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE))
                .hasMessage("permission[0].duty[0].target: field '" + path.substring(0, 80) + "...' lies 65 levels"
                        + " deep (list elements and map entries counted); the broker handles at most 64");
        String deepestPath = "deep" + ".f".repeat(FieldPath.MAX_DEPTH - 1);
        assertThat(Policies.parse(policy("{\"action\": \"sluice:drop\", \"target\": \"" + deepestPath + "\"}"),
                deepest)).isNotNull();
    }

    /** A column {@code deep} of structs {@code levels} fields deep, the innermost an int32 {@code f}. */
    private static Field chain(int levels) {
        Field field = nullable(levels == 1 ? "deep" : "f", new ArrowType.Int(32, true));
        for (int level = levels - 1; level >= 1; level--) {
            field = new Field(level == 1 ? "deep" : "f", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(field));
        }
        return field;
    }

    @Test
    void refusesAtGrantTimeAColumnOfATypeNoStreamCarries() {
        Schema withUnion = new Schema(List.of(nullable("id", new ArrowType.Int(64, true)),
                new Field("u", FieldType.nullable(new ArrowType.Union(
                        org.apache.arrow.vector.types.UnionMode.Sparse, new int[] {0})),
                        List.of(nullable("i", new ArrowType.Int(32, true))))));
        io.sluice.policy.Policy parsed = Policies.parse(policy("{\"action\": \"sluice:drop\", \"target\": \"id\"}"),
                withUnion);
        PolicyDecision.Permit permit = (PolicyDecision.Permit) Policies.decide(parsed, withUnion, REQUEST);
        // The catalog offers only what a grant could carry.
        assertThat(Policies.offer(parsed, withUnion).columns()).isEmpty();
        assertThatThrownBy(() -> Policies.outputSchema(permit, withUnion))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE))
                .hasMessage("field 'u' is union(sparse, [0]), which the broker cannot stream");
    }
}
