package io.sluice.policy.bench;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.NodeIdentity;
import io.sluice.policy.Policies;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Decision latency (sample mode: p50/p99) of a permit under a policy of six constraints (purpose
 * through the hierarchy, organisation, role, dateTime, elapsedTime, count) with four duties, a
 * use prohibition that does not match, and the baseline: a policy of one unconstrained permission.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DecisionBenchmark {
    static final Schema SCHEMA = new Schema(List.of(
            field("patient_id", new ArrowType.Int(64, true)), field("name", ArrowType.Utf8.INSTANCE),
            field("address", ArrowType.Utf8.INSTANCE), field("birth_date", new ArrowType.Date(DateUnit.DAY)),
            field("diagnosis", ArrowType.Utf8.INSTANCE), field("age", new ArrowType.Int(32, true)),
            field("consent", ArrowType.Bool.INSTANCE)));

    static final String SIX = """
            {"@type": "Set",
             "permission": [{"action": "use",
               "constraint": [
                 {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scientific-research"]},
                 {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["hospital", "ai-lab"]},
                 {"leftOperand": "role", "operator": "eq", "rightOperand": "data-consumer"},
                 {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-12-31T00:00:00Z"},
                 {"leftOperand": "elapsedTime", "operator": "lteq", "rightOperand": "P30D"},
                 {"leftOperand": "count", "operator": "lteq", "rightOperand": 20}],
               "duty": [
                 {"action": "sluice:pseudonymise", "target": "patient_id"},
                 {"action": "sluice:drop", "target": ["name", "address"]},
                 {"action": "sluice:generalise", "target": "birth_date", "to": "year"},
                 {"action": "sluice:rowFilter", "expression": "consent = true AND age >= 18"}]}],
             "prohibition": [{"action": "use", "constraint": [
                 {"leftOperand": "organisation", "operator": "eq", "rightOperand": "ad-tech"}]},
               {"action": "distribute"}]}
            """;
    static final String NONE = "{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\"}]}";

    final Policy six = Policies.parse(SIX, SCHEMA);
    final Policy none = Policies.parse(NONE, SCHEMA);
    final AccessRequest request = new AccessRequest("ai-lab", Set.of("data-consumer", "researcher"),
            "model-training", Optional.empty(), Instant.parse("2026-06-01T12:00:00Z"))
            .underGrant(Instant.parse("2026-05-20T12:00:00Z"), 3)
            .fromNode(NodeIdentity.of("gpu-1", "eu"));

    @Benchmark
    public PolicyDecision sixConstraints() {
        return Policies.decide(six, SCHEMA, request);
    }

    @Benchmark
    public PolicyDecision baselineNoConstraints() {
        return Policies.decide(none, SCHEMA, request);
    }

    static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    /** Asserts once that the benchmarked decision is a permit (a denial would measure the wrong path). */
    static void check() {
        DecisionBenchmark bench = new DecisionBenchmark();
        if (!(bench.sixConstraints() instanceof PolicyDecision.Permit)) {
            throw new IllegalStateException("the six-constraint policy must permit: " + bench.sixConstraints());
        }
    }
}
