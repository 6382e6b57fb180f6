package io.sluice.policy.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.policy.AccessRequest;
import io.sluice.policy.Policies;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.enforce.ReferenceEnforcement.Condition;
import io.sluice.policy.enforce.ReferenceEnforcement.TestDuty;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Random schemas (structs, lists, large and fixed-size lists and maps nested up to three deep,
 * over every Arrow type a connector yields) x every duty at a random path x random row filters on
 * scalar fields x random data, through the broker's own steps: {@link Policies#parse} (policy time),
 * {@link Policies#decide} and {@link Policies#outputSchema} (grant time), then
 * {@link EnforcementPipeline#compile} and {@link EnforcementPipeline#apply} (stream time). Each
 * case is checked value by value against {@link ReferenceEnforcement}, which works on plain Java
 * values. A duty the reference says does not apply must be refused when the policy is parsed, with
 * a 400 code, and one it says applies must be accepted and then stream without an error. Seeded: a
 * failure names its seed.
 */
class EnforcementPropertyTest {
    private static final int CASES = 400;
    private static final byte[] MASTER = new byte[32];
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AccessRequest REQUEST = new AccessRequest("ai-lab", Set.of("data-consumer"),
            "medical-research", Optional.empty(), Instant.parse("2026-06-01T12:00:00Z"));

    private static final List<ArrowType> SCALARS = List.of(
            ArrowType.Bool.INSTANCE,
            new ArrowType.Int(8, true), new ArrowType.Int(16, true), new ArrowType.Int(32, true),
            new ArrowType.Int(64, true), new ArrowType.Int(8, false), new ArrowType.Int(16, false),
            new ArrowType.Int(32, false), new ArrowType.Int(64, false),
            new ArrowType.FloatingPoint(FloatingPointPrecision.HALF),
            new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
            new ArrowType.Decimal(10, 2, 128), new ArrowType.Decimal(40, 3, 256),
            ArrowType.Utf8.INSTANCE, ArrowType.LargeUtf8.INSTANCE, ArrowType.Binary.INSTANCE,
            ArrowType.LargeBinary.INSTANCE, new ArrowType.FixedSizeBinary(4), new ArrowType.FixedSizeBinary(16),
            new ArrowType.Date(DateUnit.DAY), new ArrowType.Date(DateUnit.MILLISECOND),
            new ArrowType.Time(TimeUnit.SECOND, 32), new ArrowType.Time(TimeUnit.MILLISECOND, 32),
            new ArrowType.Time(TimeUnit.MICROSECOND, 64), new ArrowType.Time(TimeUnit.NANOSECOND, 64),
            new ArrowType.Timestamp(TimeUnit.SECOND, null), new ArrowType.Timestamp(TimeUnit.MILLISECOND, "UTC"),
            new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"),
            new ArrowType.Timestamp(TimeUnit.NANOSECOND, "Europe/Berlin"),
            new ArrowType.Timestamp(TimeUnit.MILLISECOND, "+05:30"),
            new ArrowType.Duration(TimeUnit.MICROSECOND), new ArrowType.Interval(IntervalUnit.YEAR_MONTH),
            new ArrowType.Interval(IntervalUnit.DAY_TIME), new ArrowType.Interval(IntervalUnit.MONTH_DAY_NANO),
            ArrowType.Null.INSTANCE);
    private static final List<ArrowType> COMMON = List.of(new ArrowType.Int(32, true), new ArrowType.Int(64, true),
            new ArrowType.Int(16, false), ArrowType.Utf8.INSTANCE, new ArrowType.Date(DateUnit.DAY),
            new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"),
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), ArrowType.Binary.INSTANCE);
    private static final String[] STRINGS = {"", "a", "ab", "B", "é", "€uro", "😀x", "a'b", "zz", "abcdef"};
    private static final double[] DOUBLES = {0.0, -0.0, 1.5, -2.25, 100.5, 7.0, -13.75, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    private static final long EPOCH_DAY = LocalDate.parse("2020-02-28").toEpochDay();

    @Test
    void streamsWhatTheReferenceComputesOrRefusesAtPolicyTime() {
        int streamed = 0;
        int refused = 0;
        int nestedStreamed = 0;
        int nestedFiltered = 0;
        long rowsChecked = 0;
        try (BufferAllocator root = new RootAllocator()) {
            for (long seed = 1; seed <= CASES; seed++) {
                Case c = new Case(new Random(seed));
                try (BufferAllocator allocator = root.newChildAllocator("case-" + seed, 0, Long.MAX_VALUE)) {
                    Optional<Long> rows = c.run(allocator);
                    if (rows.isPresent()) {
                        streamed++;
                        rowsChecked += rows.get();
                        nestedStreamed += c.duties.stream().anyMatch(d -> d.steps().size() > 1) ? 1 : 0;
                        nestedFiltered += c.filter != null && c.filter.sql().matches(".*c\\d\\.f.*") ? 1 : 0;
                    } else {
                        refused++;
                    }
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("seed " + seed + ": " + c + "\n" + e.getMessage(), e);
                }
            }
        }
        // The generator must exercise both sides of the duty/type matrix, and real data.
        assertThat(streamed).isGreaterThan(CASES / 3);
        assertThat(refused).isGreaterThan(CASES / 20);
        assertThat(rowsChecked).isGreaterThan(CASES * 10L);
        assertThat(nestedStreamed).as("cases streamed with a duty inside a column").isGreaterThan(CASES / 10);
        assertThat(nestedFiltered).as("cases streamed with a filter on a field inside a struct").isGreaterThan(CASES / 50);
        System.out.printf("%d cases: %d streamed (%d with nested duties, %d with nested filters), %d refused, %d rows%n",
                CASES, streamed, nestedStreamed, nestedFiltered, refused, rowsChecked);
    }

    /** One random case: schema, duties, row filter, two batches. */
    private static final class Case {
        private final Random random;
        private final Schema schema;
        private final List<TestDuty> duties = new ArrayList<>();
        private Condition filter;
        private String policy;

        Case(Random random) {
            this.random = random;
            List<Field> fields = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
                fields.add(field("c" + i, 0));
            }
            this.schema = new Schema(fields);
            // Half the cases look for a duty that applies (within a few tries), so that most streams
            // carry a transform; the other half take the first, so that refusals are common too.
            TestDuty first = duty();
            for (int tries = 0; tries < 8 && random.nextBoolean() && !ReferenceEnforcement.applies(first); tries++) {
                first = duty();
            }
            duties.add(first);
            if (random.nextBoolean()) {
                TestDuty second = duty();
                if (!overlaps(second.text(), duties.getFirst().text())) {
                    duties.add(new TestDuty("drop", second.steps(), second.text(), "", null));
                }
            }
            if (random.nextBoolean()) {
                List<List<Field>> scalars = new ArrayList<>();
                for (Field field : schema.getFields()) {
                    filterable(List.of(field), scalars);
                }
                if (!scalars.isEmpty()) {
                    filter = condition(scalars, 2);
                }
            }
            policy = policy();
        }

        /** The streamed rows, or empty when the policy was (rightly) refused. */
        Optional<Long> run(BufferAllocator allocator) {
            boolean applies = duties.stream().allMatch(ReferenceEnforcement::applies);
            Policy parsed;
            try {
                parsed = Policies.parse(policy, schema);
            } catch (PolicyException e) {
                assertThat(applies).as("refused although every duty applies: " + e.getMessage()).isFalse();
                assertThat(e.errorCode()).isIn(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE);
                String named = duties.stream().filter(d -> !ReferenceEnforcement.applies(d)).findFirst().get().text();
                assertThat(e.getMessage()).contains("'" + named + "'");
                return Optional.empty();
            }
            assertThat(applies).as("accepted although a duty does not apply").isTrue();

            List<Field> expectedFields = new ArrayList<>();
            for (Field column : schema.getFields()) {
                Field out = column;
                for (TestDuty duty : duties) {
                    if (duty.steps().getFirst() == column && out != null) {
                        out = ReferenceEnforcement.outputField(out, duty);
                    }
                }
                if (out != null) {
                    expectedFields.add(out);
                }
            }
            PolicyDecision decision = Policies.decide(parsed, schema, REQUEST);
            if (expectedFields.isEmpty()) {
                assertThat(decision).isInstanceOf(PolicyDecision.Deny.class);
                return Optional.empty();
            }
            PolicyDecision.Permit permit = (PolicyDecision.Permit) decision;
            Schema announced = Policies.outputSchema(permit, schema);
            assertThat(announced).isEqualTo(new Schema(expectedFields));

            PseudonymKey key = PseudonymKey.derive(MASTER, "ds", "project");
            EnforcementPipeline pipeline = EnforcementPipeline.compile(permit, schema, key, OptOuts.none());
            long rows = 0;
            for (int batch = 0; batch < 2; batch++) {
                List<List<Object>> values = rows();
                try (VectorSchemaRoot in = NestedValues.batch(schema, values, allocator)) {
                    List<List<Object>> input = NestedValues.rows(in);
                    assertThat(input).as("test data survives a round trip").isEqualTo(NestedValues.visible(values));
                    List<List<Object>> expected = expected(input, permit.columns(), key.keyBytes());
                    try (VectorSchemaRoot out = pipeline.apply(in, allocator)) {
                        assertThat(out.getSchema()).isEqualTo(announced);
                        List<List<Object>> actual = NestedValues.rows(out);
                        for (int r = 0; r < Math.max(actual.size(), expected.size()); r++) {
                            assertThat(r < actual.size() ? actual.get(r) : null).as("row " + r)
                                    .isEqualTo(r < expected.size() ? expected.get(r) : null);
                        }
                        rows += actual.size();
                    }
                }
            }
            return Optional.of(rows);
        }

        private List<List<Object>> expected(List<List<Object>> input, List<String> columns, byte[] key) {
            List<List<Object>> expected = new ArrayList<>();
            for (List<Object> row : input) {
                Map<String, Object> byName = new LinkedHashMap<>();
                for (int c = 0; c < row.size(); c++) {
                    byName.put(schema.getFields().get(c).getName(), row.get(c));
                }
                if (filter != null && !Boolean.TRUE.equals(filter.test(byName))) {
                    continue;
                }
                List<Object> out = new ArrayList<>();
                for (String column : columns) {
                    Object value = byName.get(column);
                    for (TestDuty duty : duties) {
                        if (duty.steps().getFirst().getName().equals(column)) {
                            value = ReferenceEnforcement.apply(value, duty, key);
                        }
                    }
                    out.add(value);
                }
                expected.add(out);
            }
            return expected;
        }

        // ---- schema and data -----------------------------------------------------------------------

        private Field field(String name, int depth) {
            boolean nullable = random.nextInt(10) < 7;
            if (depth < 3 && random.nextInt(10) < (depth == 0 ? 6 : 4)) {
                return switch (random.nextInt(5)) {
                    case 0 -> {
                        List<Field> children = new ArrayList<>();
                        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                            children.add(field("f" + i, depth + 1));
                        }
                        yield new Field(name, new FieldType(nullable, ArrowType.Struct.INSTANCE, null), children);
                    }
                    case 1 -> new Field(name, new FieldType(nullable, ArrowType.List.INSTANCE, null),
                            List.of(field("item", depth + 1)));
                    case 2 -> new Field(name, new FieldType(nullable, ArrowType.LargeList.INSTANCE, null),
                            List.of(field("item", depth + 1)));
                    case 3 -> new Field(name, new FieldType(nullable, new ArrowType.FixedSizeList(1 + random.nextInt(3)),
                            null), List.of(field("item", depth + 1)));
                    default -> {
                        Field keyField = new Field("key", FieldType.notNullable(random.nextBoolean()
                                ? ArrowType.Utf8.INSTANCE : new ArrowType.Int(32, true)), null);
                        Field entries = new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE),
                                List.of(keyField, field("value", depth + 1)));
                        yield new Field(name, new FieldType(nullable, new ArrowType.Map(false), null), List.of(entries));
                    }
                };
            }
            // Half the time one of the types most duties apply to, so that transforms run often.
            ArrowType type = random.nextBoolean() ? SCALARS.get(random.nextInt(SCALARS.size()))
                    : COMMON.get(random.nextInt(COMMON.size()));
            return new Field(name, new FieldType(nullable || type instanceof ArrowType.Null, type, null), null);
        }

        private List<List<Object>> rows() {
            int n = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(3);
                case 1 -> 64 * (1 + random.nextInt(2));
                default -> random.nextInt(90);
            };
            List<List<Object>> rows = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                List<Object> row = new ArrayList<>();
                for (Field field : schema.getFields()) {
                    row.add(value(field));
                }
                rows.add(row);
            }
            return rows;
        }

        private Object value(Field field) {
            if (field.isNullable() && random.nextInt(5) == 0) {
                return null;
            }
            return switch (field.getType()) {
                case ArrowType.Struct s -> {
                    Map<String, Object> struct = new LinkedHashMap<>();
                    for (Field child : field.getChildren()) {
                        struct.put(child.getName(), value(child));
                    }
                    // Now and then a null struct over fields that hold values, which must not show.
                    yield field.isNullable() && random.nextInt(6) == 0 ? new NestedValues.NullWith(struct) : struct;
                }
                case ArrowType.FixedSizeList l -> {
                    List<Object> elements = new ArrayList<>();
                    for (int i = 0; i < l.getListSize(); i++) {
                        elements.add(value(field.getChildren().getFirst()));
                    }
                    yield elements;
                }
                case ArrowType.Map m -> {
                    Field entries = field.getChildren().getFirst();
                    List<Object> map = new ArrayList<>();
                    List<Object> keys = new ArrayList<>();
                    for (int i = 0, n = random.nextInt(4); i < n; i++) {
                        Object key = value(entries.getChildren().getFirst());
                        if (!keys.contains(key)) {
                            keys.add(key);
                            Map<String, Object> entry = new LinkedHashMap<>();
                            entry.put("key", key);
                            entry.put("value", value(entries.getChildren().getLast()));
                            map.add(entry);
                        }
                    }
                    yield map;
                }
                case ArrowType.List l -> elements(field);
                case ArrowType.LargeList l -> elements(field);
                default -> scalar(field.getType());
            };
        }

        private List<Object> elements(Field field) {
            List<Object> elements = new ArrayList<>();
            for (int i = 0, n = random.nextInt(4); i < n; i++) {
                elements.add(value(field.getChildren().getFirst()));
            }
            return elements;
        }

        private Object scalar(ArrowType type) {
            return switch (type) {
                case ArrowType.Bool b -> random.nextBoolean();
                case ArrowType.Int i -> integer(i);
                case ArrowType.FloatingPoint f -> switch (f.getPrecision()) {
                    case HALF -> Float.floatToFloat16((float) DOUBLES[random.nextInt(DOUBLES.length)]);
                    case SINGLE -> (double) (float) DOUBLES[random.nextInt(DOUBLES.length)];
                    case DOUBLE -> random.nextBoolean() ? DOUBLES[random.nextInt(DOUBLES.length)]
                            : random.nextGaussian() * 1e6;
                };
                case ArrowType.Decimal d -> BigDecimal.valueOf(random.nextLong() % 10_000_000L, d.getScale());
                case ArrowType.Utf8 u -> STRINGS[random.nextInt(STRINGS.length)];
                case ArrowType.LargeUtf8 u -> STRINGS[random.nextInt(STRINGS.length)];
                case ArrowType.FixedSizeBinary b -> NestedValues.hex(bytes(b.getByteWidth()));
                case ArrowType.Binary b -> NestedValues.hex(bytes(random.nextInt(7)));
                case ArrowType.LargeBinary b -> NestedValues.hex(bytes(random.nextInt(7)));
                case ArrowType.Date d -> d.getUnit() == DateUnit.DAY ? EPOCH_DAY + random.nextInt(2_000) - 1_000
                        : (EPOCH_DAY + random.nextInt(2_000) - 1_000) * 86_400_000L + random.nextInt(86_400_000);
                case ArrowType.Time t -> (long) (random.nextDouble() * 86_400L * ReferenceEnforcement.perSecond(t.getUnit()));
                case ArrowType.Timestamp t -> {
                    long perSecond = ReferenceEnforcement.perSecond(t.getUnit());
                    long second = EPOCH_DAY * 86_400L + (long) (random.nextGaussian() * 400 * 86_400);
                    yield second * perSecond + (perSecond == 1 ? 0 : random.nextLong(perSecond));
                }
                case ArrowType.Duration d -> random.nextLong(-1_000_000_000L, 1_000_000_000L);
                case ArrowType.Interval i -> switch (i.getUnit()) {
                    case YEAR_MONTH -> (long) random.nextInt(-50, 50);
                    case DAY_TIME -> Duration.ofDays(random.nextInt(6)).plusMillis(random.nextInt(86_400_000));
                    case MONTH_DAY_NANO -> random.nextInt(-20, 20) + "/" + random.nextInt(0, 40) + "/"
                            + random.nextLong(0, 86_400_000_000_000L);
                };
                case ArrowType.Null n -> null;
                default -> throw new IllegalStateException("no values for " + type);
            };
        }

        private long integer(ArrowType.Int type) {
            int bits = type.getBitWidth();
            long min = type.getIsSigned() ? (bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1))) : 0;
            long max = type.getIsSigned() ? (bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1)
                    : (bits == 64 ? -1L : (1L << bits) - 1);
            return switch (random.nextInt(10)) {
                case 0 -> min;
                case 1 -> max;
                default -> type.getIsSigned() ? Math.max(min, Math.min(max, random.nextInt(11) - 5)) : random.nextInt(11);
            };
        }

        private byte[] bytes(int n) {
            byte[] bytes = new byte[n];
            random.nextBytes(bytes);
            return bytes;
        }

        // ---- duties ----------------------------------------------------------------------------------

        /** A random duty at a random path (through structs, list elements and map entries). */
        private TestDuty duty() {
            Field column = schema.getFields().get(random.nextInt(schema.getFields().size()));
            List<Field> steps = new ArrayList<>(List.of(column));
            List<String> names = new ArrayList<>(List.of(column.getName()));
            while (random.nextInt(10) < 8) {
                Field at = steps.getLast();
                List<Field> elements = new ArrayList<>();
                while (ReferenceEnforcement.isList(at.getType())) {
                    at = at.getChildren().getFirst();
                    elements.add(at);
                }
                if (at.getType() instanceof ArrowType.Struct) {
                    Field child = at.getChildren().get(random.nextInt(at.getChildren().size()));
                    steps.addAll(elements);
                    steps.add(child);
                    names.add(child.getName());
                } else if (at.getType() instanceof ArrowType.Map) {
                    Field entries = at.getChildren().getFirst();
                    Field child = entries.getChildren().get(random.nextInt(2));
                    steps.addAll(elements);
                    steps.add(entries);
                    steps.add(child);
                    names.add(child.getName());
                } else {
                    break;
                }
            }
            String text = String.join(".", names);
            ArrowType value = valueType(steps.getLast());
            return switch (random.nextInt(7)) {
                case 0 -> new TestDuty("drop", steps, text, "", null);
                case 1 -> new TestDuty("pseudonymise", steps, text, "", null);
                case 2 -> new TestDuty("generalise", steps, text, "to", random.nextBoolean() ? "year" : "month");
                case 3 -> new TestDuty("generalise", steps, text, "width", value instanceof ArrowType.FloatingPoint
                        ? new BigDecimal(new String[] {"0.5", "2.5", "10"}[random.nextInt(3)])
                        : BigDecimal.valueOf(1 + random.nextInt(10)));
                case 4 -> new TestDuty("generalise", steps, text, "prefix", random.nextInt(4));
                case 5 -> new TestDuty("mask", steps, text, "with", null);
                default -> new TestDuty("mask", steps, text, "with", constantFor(value));
            };
        }

        private static ArrowType valueType(Field field) {
            while (ReferenceEnforcement.isList(field.getType())) {
                field = field.getChildren().getFirst();
            }
            return field.getType();
        }

        private Object constantFor(ArrowType type) {
            return switch (type) {
                case ArrowType.Int i -> (long) random.nextInt(6);
                case ArrowType.Utf8 u -> "x";
                case ArrowType.Bool b -> random.nextBoolean();
                case ArrowType.Date d -> "2020-01-31";
                case ArrowType.Timestamp t -> "2020-01-31T12:00:00Z";
                default -> new BigDecimal("1.5");
            };
        }

        private static boolean overlaps(String a, String b) {
            return a.equals(b) || a.startsWith(b + ".") || b.startsWith(a + ".");
        }

        private String policy() {
            ObjectNode root = JSON.createObjectNode().put("@type", "Set");
            ObjectNode permission = root.putArray("permission").addObject().put("action", "use");
            ArrayNode list = permission.putArray("duty");
            for (TestDuty duty : duties) {
                ObjectNode node = list.addObject().put("action", "sluice:" + duty.action()).put("target", duty.text());
                switch (duty.parameterName()) {
                    case "to" -> node.put("to", (String) duty.parameter());
                    case "width" -> node.put("width", (BigDecimal) duty.parameter());
                    case "prefix" -> node.put("prefix", (Integer) duty.parameter());
                    case "with" -> {
                        switch (duty.parameter()) {
                            case null -> node.putNull("with");
                            case Long l -> node.put("with", l);
                            case BigDecimal d -> node.put("with", d);
                            case Boolean b -> node.put("with", b);
                            default -> node.put("with", (String) duty.parameter());
                        }
                    }
                    default -> { }
                }
            }
            if (filter != null) {
                list.addObject().put("action", "sluice:rowFilter").put("expression", filter.sql());
            }
            return root.toString();
        }

        // ---- row filters -----------------------------------------------------------------------------

        /** Scalar fields a row filter can compare, reached through structs only. */
        private static void filterable(List<Field> path, List<List<Field>> into) {
            Field field = path.getLast();
            switch (field.getType()) {
                case ArrowType.Struct s -> {
                    for (Field child : field.getChildren()) {
                        List<Field> deeper = new ArrayList<>(path);
                        deeper.add(child);
                        filterable(deeper, into);
                    }
                }
                case ArrowType.Int i when i.getIsSigned() || i.getBitWidth() < 64 -> into.add(path);
                case ArrowType.Utf8 u -> into.add(path);
                case ArrowType.Bool b -> into.add(path);
                case ArrowType.Date d when d.getUnit() == DateUnit.DAY -> into.add(path);
                default -> { }
            }
        }

        private Condition condition(List<List<Field>> scalars, int depth) {
            if (depth > 0 && random.nextInt(3) == 0) {
                return random.nextInt(3) == 0 ? new ReferenceEnforcement.Not(condition(scalars, depth - 1))
                        : new ReferenceEnforcement.Both(condition(scalars, depth - 1), condition(scalars, depth - 1),
                                random.nextBoolean());
            }
            List<Field> path = scalars.get(random.nextInt(scalars.size()));
            List<String> names = path.stream().map(Field::getName).toList();
            if (random.nextInt(6) == 0) {
                return new ReferenceEnforcement.IsNull(names);
            }
            ArrowType type = path.getLast().getType();
            String[] operators = type instanceof ArrowType.Bool ? new String[] {"=", "!="}
                    : new String[] {"=", "!=", "<", "<=", ">", ">="};
            String operator = operators[random.nextInt(operators.length)];
            return switch (type) {
                case ArrowType.Int i -> {
                    long literal = integer(i);
                    yield new ReferenceEnforcement.Compare(names, operator, type, literal, Long.toString(literal));
                }
                case ArrowType.Utf8 u -> {
                    String literal = STRINGS[random.nextInt(STRINGS.length)];
                    yield new ReferenceEnforcement.Compare(names, operator, type, literal,
                            "'" + literal.replace("'", "''") + "'");
                }
                case ArrowType.Bool b -> {
                    boolean literal = random.nextBoolean();
                    yield new ReferenceEnforcement.Compare(names, operator, type, literal, literal ? "TRUE" : "FALSE");
                }
                default -> {
                    long day = EPOCH_DAY + random.nextInt(2_000) - 1_000;
                    yield new ReferenceEnforcement.Compare(names, operator, type, day,
                            "DATE '" + LocalDate.ofEpochDay(day) + "'");
                }
            };
        }

        @Override
        public String toString() {
            return "schema " + schema + ", policy " + policy;
        }
    }
}
