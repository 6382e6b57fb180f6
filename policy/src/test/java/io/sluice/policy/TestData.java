package io.sluice.policy;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Schemas, policies and requests shared by the policy tests. */
final class TestData {
    private TestData() {}

    static final Schema PATIENTS = schema("patient_id", "name", "address", "birth_date", "diagnosis");

    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    /** The DESIGN.md example, less the terms Sluice does not support yet. */
    static final String EXAMPLE = """
            {
              "@context": ["http://www.w3.org/ns/odrl.jsonld", {"sluice": "https://sluice.dev/ns/"}],
              "@type": "Set",
              "uid": "urn:policy:patients-1",
              "permission": [{
                "action": "use",
                "constraint": [
                  {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                  {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]},
                  {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-12-31T00:00:00Z"}
                ],
                "duty": [
                  {"action": "sluice:drop", "target": ["name", "address"]}
                ]
              }],
              "prohibition": [{"action": "distribute"}]
            }
            """;

    /** Typed patient records, for duties that care about types. */
    static final Schema RECORDS = new Schema(List.of(
            field("patient_id", new ArrowType.Int(64, true)),
            field("name", ArrowType.Utf8.INSTANCE),
            field("address", ArrowType.Utf8.INSTANCE),
            field("birth_date", new ArrowType.Date(DateUnit.DAY)),
            field("diagnosis", ArrowType.Utf8.INSTANCE),
            field("age", new ArrowType.Int(32, true)),
            field("consent", ArrowType.Bool.INSTANCE)));

    /** The DESIGN.md example, verbatim. */
    static final String DESIGN_EXAMPLE = """
            {
              "@context": ["http://www.w3.org/ns/odrl.jsonld", {"sluice": "https://sluice.dev/ns/"}],
              "@type": "Set",
              "permission": [{
                "action": "use",
                "constraint": [
                  {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research"]},
                  {"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]},
                  {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-12-31T00:00:00Z"},
                  {"leftOperand": "count", "operator": "lteq", "rightOperand": 20}
                ],
                "duty": [
                  {"action": "sluice:pseudonymise", "target": "patient_id"},
                  {"action": "sluice:drop", "target": ["name", "address"]},
                  {"action": "sluice:generalise", "target": "birth_date", "to": "year"},
                  {"action": "sluice:rowFilter", "expression": "consent = true AND age >= 18"}
                ]
              }],
              "prohibition": [{"action": "distribute"}]
            }
            """;

    static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    static Schema schema(String... columns) {
        return new Schema(Arrays.stream(columns)
                .map(name -> new Field(name, FieldType.nullable(new ArrowType.Int(64, true)), null))
                .toList());
    }

    static AccessRequest request(String organisation, String purpose, String... columns) {
        return new AccessRequest(organisation, Set.of("data-consumer"), purpose,
                columns.length == 0 ? Optional.empty() : Optional.of(List.of(columns)), NOW);
    }

    /** A policy of one use permission with the given constraints and duties, as JSON. */
    static String permission(String constraints, String duties) {
        return """
                {"@type": "Set", "permission": [{"action": "use", "constraint": [%s], "duty": [%s]}]}
                """.formatted(constraints, duties);
    }

    static String constraint(String leftOperand, String operator, String rightOperand) {
        return """
                {"leftOperand": "%s", "operator": "%s", "rightOperand": %s}""".formatted(
                leftOperand, operator, rightOperand);
    }
}
