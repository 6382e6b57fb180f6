package io.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Which column a path starts at when top-level column names contain dots (decision 0017). */
class FieldPathTest {
    /** Two columns {@code a} and {@code a.b}, each a struct whose fields {@code c} (int64) and {@code d} share names. */
    private static final Schema SCHEMA = new Schema(List.of(
            nullable("id", new ArrowType.Int(64, true)),
            struct("a", struct("b", nullable("c", new ArrowType.Int(64, true)), nullable("d", ArrowType.Utf8.INSTANCE))),
            struct("a.b", nullable("c", new ArrowType.Int(64, true)), nullable("d", ArrowType.Utf8.INSTANCE))));

    private static Field nullable(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    private static Field struct(String name, Field... children) {
        return new Field(name, FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(children));
    }

    @Test
    void aPathStartsAtTheLongestColumnNameFollowedByADotAndAnExactNameWins() {
        assertThat(FieldPath.column("a.b.c", List.of("a.b"))).isEqualTo("a.b");
        assertThat(FieldPath.column("a.b.c", List.of("a", "a.b"))).isEqualTo("a.b");
        assertThat(FieldPath.column("a.b.c", List.of("a.b", "a"))).isEqualTo("a.b");
        assertThat(FieldPath.column("a.b", List.of("a", "a.b"))).isEqualTo("a.b");
        // Only at a dot: a.bc is not inside a.b.
        assertThat(FieldPath.column("a.bc.d", List.of("a", "a.b"))).isEqualTo("a");
        assertThat(FieldPath.column("x.y", List.of("a"))).isEqualTo("x");
        assertThat(FieldPath.column("x", List.of("a"))).isEqualTo("x");
    }

    @Test
    void resolvesIntoADottedColumnByTheSameRule() {
        FieldPath path = FieldPath.resolve(SCHEMA, "a.b.c");

        assertThat(path.column()).isEqualTo("a.b");
        assertThat(path.steps()).extracting(Field::getName).containsExactly("a.b", "c");
        assertThat(FieldPath.resolve(SCHEMA, "a.b").isColumn()).isTrue();
        assertThat(FieldPath.resolve(SCHEMA, "a.b.c").column())
                .isEqualTo(FieldPath.column("a.b.c", SCHEMA.getFields().stream().map(Field::getName).toList()));
        assertThatThrownBy(() -> FieldPath.resolve(SCHEMA, "a.x.c"))
                .isInstanceOf(PolicyException.class)
                .hasMessage("unknown field 'a.x.c': 'a' has fields [b]");
    }

    @Test
    void reportsAndAppliesDutiesOnADottedColumnOnlyWhenThatColumnLeaves() {
        Policy policy = Policies.parse("""
                {"@type": "Set", "permission": [{"action": "use", "duty": [
                    {"action": "sluice:drop", "target": "a.b.d"},
                    {"action": "sluice:pseudonymise", "target": "a.b.c"}]}]}""", SCHEMA);

        PolicyDecision.Permit onlyA = permit(policy, List.of("id", "a"));
        assertThat(onlyA.transforms()).noneMatch(transform -> transform.columns().stream()
                .anyMatch(column -> column.startsWith("a.b.")));
        Field a = Policies.outputSchema(onlyA, SCHEMA).findField("a");
        assertThat(a).isEqualTo(SCHEMA.findField("a"));

        PolicyDecision.Permit dotted = permit(policy, List.of("a.b"));
        assertThat(dotted.transforms()).contains(new Transform("drop", List.of("a.b.d")),
                new Transform("pseudonymise", List.of("a.b.c"), Map.of("output", "hmac-sha256-hex")));
        Field ab = Policies.outputSchema(dotted, SCHEMA).findField("a.b");
        assertThat(ab.getChildren()).extracting(Field::getName).containsExactly("c");
        assertThat(ab.getChildren().getFirst().getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
    }

    private static PolicyDecision.Permit permit(Policy policy, List<String> columns) {
        AccessRequest request = new AccessRequest("ai-lab", Set.of("data-consumer"), "medical-research",
                Optional.of(columns), Instant.parse("2026-06-01T12:00:00Z"));
        return (PolicyDecision.Permit) Policies.decide(policy, SCHEMA, request);
    }
}
