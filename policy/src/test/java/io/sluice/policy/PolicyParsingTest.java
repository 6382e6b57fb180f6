package io.sluice.policy;

import static io.sluice.policy.TestData.EXAMPLE;
import static io.sluice.policy.TestData.PATIENTS;
import static io.sluice.policy.TestData.constraint;
import static io.sluice.policy.TestData.permission;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.filter.ComparisonOperator;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowPredicate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyParsingTest {
    private static final String KNOWN_CONTEXTS = "Sluice reads ODRL terms only under the contexts"
            + " \"http://www.w3.org/ns/odrl.jsonld\" (or https) and {\"sluice\": \"https://sluice.dev/ns/\"} (alone or in"
            + " an array), and refuses others so that no context can redefine a term";
    private static final String DUTIES =
            "sluice:drop, sluice:pseudonymise, sluice:generalise, sluice:mask, sluice:rowFilter";

    @Test
    void parsesTheDesignExampleIntoTheModel() {
        Policy policy = Policies.parse(EXAMPLE, PATIENTS);

        assertThat(policy).isEqualTo(new Policy(
                EXAMPLE,
                Optional.of("urn:policy:patients-1"),
                List.of(new Rule.Permission(
                        Action.USE,
                        List.of(
                                new Constraint.Atomic(LeftOperand.PURPOSE, Operator.IS_ANY_OF,
                                        new RightOperand.Terms(List.of("medical-research"))),
                                new Constraint.Atomic(LeftOperand.ORGANISATION, Operator.IS_ANY_OF,
                                        new RightOperand.Terms(List.of("ai-lab"))),
                                new Constraint.Atomic(LeftOperand.DATE_TIME, Operator.LT,
                                        new RightOperand.DateTime(Instant.parse("2027-12-31T00:00:00Z")))),
                        List.of(new Duty.Drop(List.of("name", "address"))))),
                List.of(new Rule.Prohibition(Action.DISTRIBUTE, List.of()))));
    }

    @Test
    void keepsTheSourceExactlyAsGiven() {
        assertThat(Policies.parse(EXAMPLE, PATIENTS).source()).isEqualTo(EXAMPLE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("knownContexts")
    void acceptsTheContextsSluiceKnows(String context) {
        String json = "{\"@context\": " + context + ", \"@type\": \"Set\", \"permission\": [{\"action\": \"use\"}]}";

        assertThat(Policies.parse(json, PATIENTS).permissions()).hasSize(1);
    }

    static Stream<String> knownContexts() {
        return Stream.of("\"http://www.w3.org/ns/odrl.jsonld\"", "\"https://www.w3.org/ns/odrl.jsonld\"",
                "[\"http://www.w3.org/ns/odrl.jsonld\", {\"sluice\": \"https://sluice.dev/ns/\"}]",
                "{\"sluice\": \"https://sluice.dev/ns/\"}", "[]");
    }

    @Test
    void acceptsMinimalPolicyWithPrefixedActionsAndSingleTargets() {
        String json = """
                {"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Agreement",
                 "permission": [{"action": "odrl:read", "duty": [{"action": "sluice:drop", "target": "name"}]}],
                 "prohibition": [{"action": "odrl:use",
                   "constraint": [{"leftOperand": "role", "operator": "eq", "rightOperand": "intern"}]}]}
                """;

        Policy policy = Policies.parse(json, PATIENTS);

        assertThat(policy.uid()).isEmpty();
        assertThat(policy.permissions()).containsExactly(
                new Rule.Permission(Action.READ, List.of(), List.of(new Duty.Drop(List.of("name")))));
        assertThat(policy.prohibitions()).containsExactly(new Rule.Prohibition(Action.USE, List.of(
                new Constraint.Atomic(LeftOperand.ROLE, Operator.EQ, new RightOperand.Term("intern")))));
    }

    @Test
    void parsesEveryOperatorEachOperandTakes() {
        String json = permission(String.join(",",
                constraint("purpose", "eq", "\"medical-research\""),
                constraint("purpose", "neq", "\"marketing\""),
                constraint("organisation", "isNoneOf", "[\"broker-co\"]"),
                constraint("role", "isAnyOf", "[\"data-consumer\", \"researcher\"]"),
                constraint("dateTime", "lteq", "\"2027-12-31T00:00:00+01:00\""),
                constraint("dateTime", "gt", "\"2020-01-01T00:00:00Z\""),
                constraint("dateTime", "gteq", "\"2020-01-01T00:00:00.5Z\"")), "");

        List<Constraint> constraints = Policies.parse(json, PATIENTS).permissions().getFirst().constraints();

        assertThat(constraints).extracting(c -> ((Constraint.Atomic) c).operator()).containsExactly(
                Operator.EQ, Operator.NEQ, Operator.IS_NONE_OF, Operator.IS_ANY_OF,
                Operator.LTEQ, Operator.GT, Operator.GTEQ);
        assertThat(((Constraint.Atomic) constraints.get(4)).rightOperand())
                .isEqualTo(new RightOperand.DateTime(Instant.parse("2027-12-30T23:00:00Z")));
    }

    @Test
    void parsesTheDesignExampleVerbatim() {
        Policy policy = Policies.parse(TestData.DESIGN_EXAMPLE, TestData.RECORDS);

        Rule.Permission permission = policy.permissions().getFirst();
        assertThat(permission.constraints()).last().isEqualTo(
                new Constraint.Atomic(LeftOperand.COUNT, Operator.LTEQ, new RightOperand.Count(20)));
        assertThat(permission.duties()).containsExactly(
                new Duty.Pseudonymise(List.of("patient_id")),
                new Duty.Drop(List.of("name", "address")),
                new Duty.Generalise(List.of("birth_date"),
                        new Generalisation.Truncate(Generalisation.CalendarUnit.YEAR)),
                new Duty.RowFilter("consent = true AND age >= 18", new RowPredicate.And(List.of(
                        new RowPredicate.Compare("consent", ComparisonOperator.EQ, new Literal.Bool(true)),
                        new RowPredicate.Compare("age", ComparisonOperator.GTEQ, new Literal.Int(18))))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedPolicies")
    void rejectsWhatItDoesNotKnow(String name, String json, PolicyErrorCode code, String message) {
        assertRejected(json, code, message);
    }

    static Stream<Arguments> rejectedPolicies() {
        String use = "{\"action\": \"use\"}";
        return Stream.of(
                rejected("not an object", "[1]", PolicyErrorCode.MALFORMED_POLICY,
                        "policy must be a JSON object, was an array"),
                rejected("empty", " ", PolicyErrorCode.MALFORMED_POLICY, "policy is empty"),
                rejected("duplicate key", "{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\", \"action\": \"read\"}]}",
                        PolicyErrorCode.MALFORMED_POLICY,
                        "policy is not valid JSON at line 1, column 59: Duplicate field 'action'"),
                rejected("trailing content", "{\"@type\": \"Set\", \"permission\": [" + use + "]} {}",
                        PolicyErrorCode.MALFORMED_POLICY, "policy has more text after its JSON value at line 1, column 53"),
                rejected("obligation", "{\"@type\": \"Set\", \"permission\": [" + use + "], \"obligation\": []}",
                        PolicyErrorCode.UNKNOWN_TERM,
                        "obligation: unknown term 'obligation'; a policy takes @context, @type, uid, permission, prohibition"),
                rejected("unknown @type", "{\"@type\": \"Ticket\", \"permission\": [" + use + "]}",
                        PolicyErrorCode.UNKNOWN_TERM, "@type: unknown policy type 'Ticket'; Sluice takes Set, Offer, Agreement"),
                rejected("missing @type", "{\"permission\": [" + use + "]}",
                        PolicyErrorCode.MALFORMED_POLICY, "policy: missing '@type'"),
                rejected("@context a number", "{\"@context\": 2, \"@type\": \"Set\", \"permission\": [" + use + "]}",
                        PolicyErrorCode.MALFORMED_POLICY,
                        "@context: must be a string, an object or an array of them, was the number 2"),
                rejected("@context an unknown URL", "{\"@context\": \"https://evil.example/odrl.jsonld\", \"@type\":"
                        + " \"Set\", \"permission\": [" + use + "]}", PolicyErrorCode.UNKNOWN_TERM,
                        "@context: unknown context 'https://evil.example/odrl.jsonld'; " + KNOWN_CONTEXTS),
                rejected("@context redefining use", "{\"@context\": [\"http://www.w3.org/ns/odrl.jsonld\", {\"use\":"
                        + " \"http://www.w3.org/ns/odrl/2/read\"}], \"@type\": \"Set\", \"permission\": [" + use + "]}",
                        PolicyErrorCode.UNKNOWN_TERM, "@context[1]: unknown context '{\"use\":\"http://www.w3.org/ns/odrl/2/read\"}'; "
                        + KNOWN_CONTEXTS),
                rejected("@context redefining the sluice prefix", "{\"@context\": {\"sluice\": \"https://evil.example/\"},"
                        + " \"@type\": \"Set\", \"permission\": [" + use + "]}", PolicyErrorCode.UNKNOWN_TERM,
                        "@context: unknown context '{\"sluice\":\"https://evil.example/\"}'; " + KNOWN_CONTEXTS),
                rejected("@context with a number inside", "{\"@context\": [\"http://www.w3.org/ns/odrl.jsonld\", 3],"
                        + " \"@type\": \"Set\", \"permission\": [" + use + "]}", PolicyErrorCode.MALFORMED_POLICY,
                        "@context[1]: must be a string, an object or an array of them, was the number 3"),
                rejected("uid not a string", "{\"@type\": \"Set\", \"uid\": 7, \"permission\": [" + use + "]}",
                        PolicyErrorCode.MALFORMED_POLICY, "uid: must be a string, was the number 7"),
                rejected("no permission", "{\"@type\": \"Set\"}", PolicyErrorCode.MALFORMED_POLICY,
                        "permission: missing; a policy needs at least one permission"),
                rejected("empty permission", "{\"@type\": \"Set\", \"permission\": []}", PolicyErrorCode.MALFORMED_POLICY,
                        "permission: empty; a policy needs at least one permission"),
                rejected("permission not an array", "{\"@type\": \"Set\", \"permission\": " + use + "}",
                        PolicyErrorCode.MALFORMED_POLICY, "permission: must be an array, was an object"),
                rejected("rule target", "{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\", \"target\": \"x\"}]}",
                        PolicyErrorCode.UNKNOWN_TERM,
                        "permission[0].target: unknown term 'target'; a permission takes action, constraint, duty"),
                rejected("duty in prohibition",
                        "{\"@type\": \"Set\", \"permission\": [" + use + "], \"prohibition\": [{\"action\": \"use\", \"duty\": []}]}",
                        PolicyErrorCode.UNKNOWN_TERM,
                        "prohibition[0].duty: unknown term 'duty'; a prohibition takes action, constraint"),
                rejected("missing action", "{\"@type\": \"Set\", \"permission\": [{}]}", PolicyErrorCode.MALFORMED_POLICY,
                        "permission[0]: missing 'action'"),
                rejected("unknown action", "{\"@type\": \"Set\", \"permission\": [" + use + ", {\"action\": \"print\"}]}",
                        PolicyErrorCode.UNKNOWN_ACTION,
                        "permission[1].action: unknown action 'print' for a permission; Sluice takes use, read"),
                rejected("distribute permitted", "{\"@type\": \"Set\", \"permission\": [{\"action\": \"odrl:distribute\"}]}",
                        PolicyErrorCode.UNKNOWN_ACTION,
                        "permission[0].action: unknown action 'odrl:distribute' for a permission; Sluice takes use, read"),
                rejected("unknown prohibited action",
                        "{\"@type\": \"Set\", \"permission\": [" + use + "], \"prohibition\": [{\"action\": \"sell\"}]}",
                        PolicyErrorCode.UNKNOWN_ACTION,
                        "prohibition[0].action: unknown action 'sell' for a prohibition; Sluice takes use, read, distribute"),
                rejected("action not a string", "{\"@type\": \"Set\", \"permission\": [{\"action\": {\"@id\": \"use\"}}]}",
                        PolicyErrorCode.MALFORMED_POLICY, "permission[0].action: must be a string, was an object"),
                rejected("unknown constraint key",
                        permission("{\"leftOperand\": \"purpose\", \"operator\": \"eq\", \"rightOperand\": \"x\", \"unit\": \"m\"}", ""),
                        PolicyErrorCode.UNKNOWN_TERM,
                        "permission[0].constraint[0].unit: unknown term 'unit'; a constraint takes leftOperand, operator, rightOperand"),
                rejected("missing rightOperand", permission("{\"leftOperand\": \"purpose\", \"operator\": \"eq\"}", ""),
                        PolicyErrorCode.MALFORMED_POLICY, "permission[0].constraint[0]: missing 'rightOperand'"),
                rejected("unknown leftOperand", permission(constraint("colour", "eq", "\"red\""), ""),
                        PolicyErrorCode.UNKNOWN_LEFT_OPERAND,
                        "permission[0].constraint[0].leftOperand: unknown leftOperand 'colour'; "
                                + "Sluice takes purpose, organisation, role, dateTime, elapsedTime, count, nodeId, nodeRegion"),
                rejected("unknown operator", permission(constraint("purpose", "isA", "\"x\""), ""),
                        PolicyErrorCode.UNKNOWN_OPERATOR,
                        "permission[0].constraint[0].operator: unknown operator 'isA'; "
                                + "purpose takes eq, neq, isAnyOf, isNoneOf"),
                rejected("time operator on purpose", permission(constraint("purpose", "lt", "\"x\""), ""),
                        PolicyErrorCode.UNKNOWN_OPERATOR,
                        "permission[0].constraint[0].operator: operator 'lt' does not apply to purpose; "
                                + "purpose takes eq, neq, isAnyOf, isNoneOf"),
                rejected("eq on dateTime", permission(constraint("dateTime", "eq", "\"2027-01-01T00:00:00Z\""), ""),
                        PolicyErrorCode.UNKNOWN_OPERATOR,
                        "permission[0].constraint[0].operator: operator 'eq' does not apply to dateTime; "
                                + "dateTime takes lt, lteq, gt, gteq"),
                rejected("eq with an array", permission(constraint("organisation", "eq", "[\"ai-lab\"]"), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: operator eq takes a non-blank string, was an array"),
                rejected("neq with a number", permission(constraint("role", "neq", "3"), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: operator neq takes a non-blank string, was the number 3"),
                rejected("isAnyOf with a string", permission(constraint("purpose", "isAnyOf", "\"medical-research\""), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: operator isAnyOf takes a non-empty array of strings, "
                                + "was the string 'medical-research'"),
                rejected("isNoneOf empty", permission(constraint("purpose", "isNoneOf", "[]"), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: operator isNoneOf takes a non-empty array of strings, "
                                + "was an empty array"),
                rejected("isAnyOf with a number inside", permission(constraint("purpose", "isAnyOf", "[\"a\", 1]"), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand[1]: operator isAnyOf takes a non-blank string, "
                                + "was the number 1"),
                rejected("blank term", permission(constraint("purpose", "eq", "\" \""), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: operator eq takes a non-blank string, was the string ' '"),
                rejected("date without time", permission(constraint("dateTime", "lt", "\"2027-12-31\""), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: '2027-12-31' is not an RFC 3339 date-time "
                                + "such as 2027-12-31T00:00:00Z"),
                rejected("date-time without offset", permission(constraint("dateTime", "gt", "\"2027-12-31T00:00:00\""), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: '2027-12-31T00:00:00' is not an RFC 3339 date-time "
                                + "such as 2027-12-31T00:00:00Z"),
                rejected("date-time as a number", permission(constraint("dateTime", "gt", "1700000000"), ""),
                        PolicyErrorCode.INVALID_RIGHT_OPERAND,
                        "permission[0].constraint[0].rightOperand: operator gt takes an RFC 3339 date-time such as "
                                + "2027-12-31T00:00:00Z, was the number 1700000000"),
                rejected("unknown duty", permission("", "{\"action\": \"sluice:encrypt\", \"target\": \"name\"}"),
                        PolicyErrorCode.UNKNOWN_ACTION,
                        "permission[0].duty[0].action: unknown duty 'sluice:encrypt'; Sluice takes " + DUTIES),
                rejected("drop without prefix", permission("", "{\"action\": \"drop\", \"target\": \"name\"}"),
                        PolicyErrorCode.UNKNOWN_ACTION,
                        "permission[0].duty[0].action: unknown duty 'drop'; Sluice takes " + DUTIES),
                rejected("unknown drop key", permission("", "{\"action\": \"sluice:drop\", \"target\": \"name\", \"to\": \"year\"}"),
                        PolicyErrorCode.UNKNOWN_TERM,
                        "permission[0].duty[0].to: unknown term 'to'; a sluice:drop duty takes action, target"),
                rejected("drop without target", permission("", "{\"action\": \"sluice:drop\"}"),
                        PolicyErrorCode.MALFORMED_POLICY, "permission[0].duty[0]: missing 'target'"),
                rejected("drop of nothing", permission("", "{\"action\": \"sluice:drop\", \"target\": []}"),
                        PolicyErrorCode.MALFORMED_POLICY,
                        "permission[0].duty[0].target: must be a column name or a non-empty array of column names, "
                                + "was an empty array"),
                rejected("drop of an unknown column",
                        permission("", "{\"action\": \"sluice:drop\", \"target\": \"name\"}, "
                                + "{\"action\": \"sluice:drop\", \"target\": [\"address\", \"nmae\"]}"),
                        PolicyErrorCode.UNKNOWN_COLUMN,
                        "permission[0].duty[1].target[1]: unknown column 'nmae'; the dataset has columns "
                                + "[patient_id, name, address, birth_date, diagnosis]"),
                rejected("long terms are cut", permission(constraint("x".repeat(200), "eq", "\"a\""), ""),
                        PolicyErrorCode.UNKNOWN_LEFT_OPERAND,
                        "permission[0].constraint[0].leftOperand: unknown leftOperand '" + "x".repeat(80) + "...'; "
                                + "Sluice takes purpose, organisation, role, dateTime, elapsedTime, count, nodeId, nodeRegion"));
    }

    @Test
    void rejectsTextThatIsNotJsonSayingWhere() {
        assertThatThrownBy(() -> Policies.parse("{\"@type\": \"Set\",", PATIENTS))
                .isInstanceOfSatisfying(PolicyException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(PolicyErrorCode.MALFORMED_POLICY))
                .hasMessage("policy is not valid JSON at line 1, column 17: Unexpected end-of-input within/between Object entries");
    }

    private static Arguments rejected(String name, String json, PolicyErrorCode code, String message) {
        return Arguments.of(name, json, code, message);
    }

    private static void assertRejected(String json, PolicyErrorCode code, String message) {
        assertThatThrownBy(() -> Policies.parse(json, PATIENTS))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errorCode()).isEqualTo(code))
                .hasMessage(message);
    }
}
