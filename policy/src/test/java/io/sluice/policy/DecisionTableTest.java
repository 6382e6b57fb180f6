package io.sluice.policy;

import static io.sluice.policy.TestData.PATIENTS;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One row per operand and operator, logical constraint, time bound, quota and combining rule: the
 * policy (as JSON), how the request differs from the base request, and the outcome (permit, or
 * the denial's reason codes in order).
 */
class DecisionTableTest {
    /** Decision time of every case. */
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    /** The base request: ai-lab, roles data-consumer and researcher, purpose model-training, a grant request. */
    static final AccessRequest BASE = new AccessRequest("ai-lab", Set.of("data-consumer", "researcher"),
            "model-training", Optional.empty(), NOW);

    static final ReasonCode[] PERMIT = {};

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String name, String policyJson, PurposeHierarchy purposes, UnaryOperator<AccessRequest> request,
            ReasonCode[] expected) {
        Policy policy = Policies.parse(policyJson, PATIENTS, purposes);

        PolicyDecision decision = Policies.decide(policy, PATIENTS, request.apply(BASE));

        if (expected.length == 0) {
            assertThat(decision).as(name).isInstanceOf(PolicyDecision.Permit.class);
        } else {
            assertThat(decision).as(name).isInstanceOf(PolicyDecision.Deny.class);
            assertThat(((PolicyDecision.Deny) decision).reasons()).extracting(DenialReason::code)
                    .as(name).containsExactly(expected);
        }
    }

    static Stream<Arguments> cases() {
        UnaryOperator<AccessRequest> same = r -> r;
        return Stream.of(
                // purpose, with the default hierarchy (model-training under scientific-research)
                one("purpose eq an ancestor matches a narrower purpose",
                        c("purpose", "eq", "\"scientific-research\""), same, PERMIT),
                one("purpose eq a sibling does not match",
                        c("purpose", "eq", "\"medical-research\""), same, deny(ReasonCode.PURPOSE_NOT_PERMITTED)),
                one("purpose isAnyOf matches two levels down",
                        c("purpose", "isAnyOf", "[\"scientific-research\"]"), purpose("clinical-research"), PERMIT),
                one("purpose isAnyOf does not match an ancestor",
                        c("purpose", "isAnyOf", "[\"medical-research\"]"), purpose("scientific-research"),
                        deny(ReasonCode.PURPOSE_NOT_PERMITTED)),
                one("purpose neq excludes narrower purposes",
                        c("purpose", "neq", "\"commercial\""), purpose("marketing"),
                        deny(ReasonCode.PURPOSE_NOT_PERMITTED)),
                one("purpose neq allows unrelated purposes",
                        c("purpose", "neq", "\"commercial\""), same, PERMIT),
                one("purpose isNoneOf excludes descendants of any term",
                        c("purpose", "isNoneOf", "[\"statistics\", \"commercial\"]"), purpose("product-development"),
                        deny(ReasonCode.PURPOSE_NOT_PERMITTED)),
                Arguments.of("purpose isAnyOf with a flat hierarchy matches exactly",
                        policy(c("purpose", "isAnyOf", "[\"scientific-research\"]")), PurposeHierarchy.FLAT, same,
                        deny(ReasonCode.PURPOSE_NOT_PERMITTED)),
                Arguments.of("purpose with a configured hierarchy",
                        policy(c("purpose", "eq", "\"ai\"")),
                        PurposeHierarchy.of(java.util.Map.of("ai", List.of("model-training"))), same, PERMIT),
                // organisation
                one("organisation eq", c("organisation", "eq", "\"ai-lab\""), same, PERMIT),
                one("organisation neq", c("organisation", "neq", "\"ai-lab\""), same,
                        deny(ReasonCode.ORGANISATION_NOT_PERMITTED)),
                one("organisation isAnyOf", c("organisation", "isAnyOf", "[\"hospital\", \"ai-lab\"]"), same, PERMIT),
                one("organisation isNoneOf", c("organisation", "isNoneOf", "[\"ai-lab\"]"), same,
                        deny(ReasonCode.ORGANISATION_NOT_PERMITTED)),
                // role
                one("role eq a held role", c("role", "eq", "\"researcher\""), same, PERMIT),
                one("role neq a held role", c("role", "neq", "\"researcher\""), same,
                        deny(ReasonCode.ROLE_NOT_PERMITTED)),
                one("role isAnyOf none held", c("role", "isAnyOf", "[\"admin\", \"auditor\"]"), same,
                        deny(ReasonCode.ROLE_NOT_PERMITTED)),
                one("role isNoneOf none held", c("role", "isNoneOf", "[\"intern\"]"), same, PERMIT),
                one("role isAllOf all held", c("role", "isAllOf", "[\"researcher\", \"data-consumer\"]"), same, PERMIT),
                one("role isAllOf one missing", c("role", "isAllOf", "[\"researcher\", \"admin\"]"), same,
                        deny(ReasonCode.ROLE_NOT_PERMITTED)),
                // dateTime at its bounds
                one("dateTime lt now", c("dateTime", "lt", "\"2026-06-01T12:00:00Z\""), same,
                        deny(ReasonCode.OUTSIDE_VALIDITY_PERIOD)),
                one("dateTime lteq now", c("dateTime", "lteq", "\"2026-06-01T12:00:00Z\""), same, PERMIT),
                one("dateTime gt a second ago", c("dateTime", "gt", "\"2026-06-01T11:59:59Z\""), same, PERMIT),
                one("dateTime gteq a second ahead", c("dateTime", "gteq", "\"2026-06-01T12:00:01Z\""), same,
                        deny(ReasonCode.OUTSIDE_VALIDITY_PERIOD)),
                // elapsedTime since the grant
                one("elapsedTime lteq holds while the grant is issued", c("elapsedTime", "lteq", "\"P30D\""), same,
                        PERMIT),
                one("elapsedTime lteq P30D after 30 days", c("elapsedTime", "lteq", "\"P30D\""),
                        grantAge(Duration.ofDays(30), 0), PERMIT),
                one("elapsedTime lteq P30D after 31 days", c("elapsedTime", "lteq", "\"P30D\""),
                        grantAge(Duration.ofDays(31), 0), deny(ReasonCode.GRANT_EXPIRED)),
                one("elapsedTime lt PT1H after exactly an hour", c("elapsedTime", "lt", "\"PT1H\""),
                        grantAge(Duration.ofHours(1), 0), deny(ReasonCode.GRANT_EXPIRED)),
                one("elapsedTime gt PT1H is not met at grant time", c("elapsedTime", "gt", "\"PT1H\""), same,
                        deny(ReasonCode.GRANT_EXPIRED)),
                one("elapsedTime gteq PT0S at grant time", c("elapsedTime", "gteq", "\"PT0S\""), same, PERMIT),
                // count: the number of the stream being opened
                one("count lteq 20 for the 20th stream", c("count", "lteq", "20"), grantAge(Duration.ofMinutes(1), 19),
                        PERMIT),
                one("count lteq 20 for the 21st stream", c("count", "lteq", "20"), grantAge(Duration.ofMinutes(1), 20),
                        deny(ReasonCode.STREAM_QUOTA_EXCEEDED)),
                one("count lt 1 denies even the grant", c("count", "lt", "1"), same,
                        deny(ReasonCode.STREAM_QUOTA_EXCEEDED)),
                one("count eq 1 for the first stream", c("count", "eq", "1"), same, PERMIT),
                one("count neq 1 for the first stream", c("count", "neq", "1"), same,
                        deny(ReasonCode.STREAM_QUOTA_EXCEEDED)),
                one("count gt 2 for the third stream", c("count", "gt", "2"), grantAge(Duration.ZERO, 2), PERMIT),
                one("count gteq 5 for the fourth stream", c("count", "gteq", "5"), grantAge(Duration.ZERO, 3),
                        deny(ReasonCode.STREAM_QUOTA_EXCEEDED)),
                // nodeId and nodeRegion: absent = not met
                one("nodeId eq without a certificate", c("nodeId", "eq", "\"gpu-1\""), same,
                        deny(ReasonCode.NODE_NOT_PERMITTED)),
                one("nodeId neq without a certificate is not met either", c("nodeId", "neq", "\"gpu-1\""), same,
                        deny(ReasonCode.NODE_NOT_PERMITTED)),
                one("nodeId isAnyOf", c("nodeId", "isAnyOf", "[\"gpu-1\", \"gpu-2\"]"), node("gpu-2", "eu"), PERMIT),
                one("nodeId isNoneOf", c("nodeId", "isNoneOf", "[\"gpu-9\"]"), node("gpu-1", "eu"), PERMIT),
                one("nodeRegion eq", c("nodeRegion", "eq", "\"eu\""), node("gpu-1", "eu"), PERMIT),
                one("nodeRegion eq with a certificate naming no region", c("nodeRegion", "eq", "\"eu\""),
                        r -> r.fromNode(new NodeIdentity("gpu-1", Optional.empty())), deny(ReasonCode.NODE_NOT_PERMITTED)),
                one("nodeRegion isNoneOf", c("nodeRegion", "isNoneOf", "[\"us\"]"), node("gpu-1", "us"),
                        deny(ReasonCode.NODE_NOT_PERMITTED)),
                one("nodeRegion neq", c("nodeRegion", "neq", "\"us\""), node("gpu-1", "eu"), PERMIT),
                // logical constraints
                one("or holds when one operand holds",
                        logical("or", c("purpose", "eq", "\"marketing\""), c("organisation", "eq", "\"ai-lab\"")), same,
                        PERMIT),
                one("or fails when none holds",
                        logical("or", c("purpose", "eq", "\"marketing\""), c("organisation", "eq", "\"hospital\"")),
                        same, deny(ReasonCode.LOGICAL_CONSTRAINT_NOT_MET)),
                one("xone fails when both hold",
                        logical("xone", c("organisation", "eq", "\"ai-lab\""), c("role", "eq", "\"researcher\"")), same,
                        deny(ReasonCode.LOGICAL_CONSTRAINT_NOT_MET)),
                one("xone holds when exactly one holds",
                        logical("xone", c("organisation", "eq", "\"ai-lab\""), c("role", "eq", "\"admin\"")), same,
                        PERMIT),
                one("and reports its failing operands",
                        logical("and", c("organisation", "eq", "\"hospital\""), c("role", "eq", "\"admin\"")), same,
                        deny(ReasonCode.ORGANISATION_NOT_PERMITTED, ReasonCode.ROLE_NOT_PERMITTED)),
                one("nested: or of an and and a node constraint",
                        logical("or", logical("and", c("organisation", "eq", "\"ai-lab\""),
                                c("count", "lteq", "2")), c("nodeRegion", "eq", "\"eu\"")),
                        grantAge(Duration.ZERO, 5), deny(ReasonCode.LOGICAL_CONSTRAINT_NOT_MET)),
                // combining rules
                Arguments.of("a matching prohibition wins over a permission that applies", """
                        {"@type": "Set", "permission": [{"action": "use"}],
                         "prohibition": [{"action": "use", "constraint": [%s]}]}
                        """.formatted(c("organisation", "eq", "\"ai-lab\"")), PurposeHierarchy.DEFAULT, same,
                        deny(ReasonCode.PROHIBITED)),
                Arguments.of("a prohibition on count blocks the sixth stream", """
                        {"@type": "Set", "permission": [{"action": "use"}],
                         "prohibition": [{"action": "use", "constraint": [%s]}]}
                        """.formatted(c("count", "gt", "5")), PurposeHierarchy.DEFAULT,
                        grantAge(Duration.ofHours(1), 5), deny(ReasonCode.PROHIBITED)),
                Arguments.of("a prohibition of a broader purpose forbids a narrower one", """
                        {"@type": "Set", "permission": [{"action": "use"}],
                         "prohibition": [{"action": "use", "constraint": [%s]}]}
                        """.formatted(c("purpose", "eq", "\"commercial\"")), PurposeHierarchy.DEFAULT,
                        purpose("marketing"), deny(ReasonCode.PROHIBITED)),
                Arguments.of("the second permission decides when the first does not apply", """
                        {"@type": "Set", "permission": [
                          {"action": "use", "constraint": [%s]},
                          {"action": "use", "constraint": [%s]}]}
                        """.formatted(c("role", "eq", "\"admin\""), c("role", "eq", "\"researcher\"")),
                        PurposeHierarchy.DEFAULT, same, PERMIT),
                Arguments.of("a permission that drops a requested column gives way to one that does not", """
                        {"@type": "Set", "permission": [
                          {"action": "use", "duty": [{"action": "sluice:drop", "target": "name"}]},
                          {"action": "use", "constraint": [%s]}]}
                        """.formatted(c("role", "eq", "\"researcher\"")), PurposeHierarchy.DEFAULT,
                        columns("name", "diagnosis"), PERMIT),
                Arguments.of("every permission's failures, each once", """
                        {"@type": "Set", "permission": [
                          {"action": "use", "constraint": [%s, %s]},
                          {"action": "use", "constraint": [%s, %s]}]}
                        """.formatted(c("role", "eq", "\"admin\""), c("count", "lt", "1"),
                                c("role", "eq", "\"admin\""), c("nodeId", "eq", "\"gpu-1\"")),
                        PurposeHierarchy.DEFAULT, same,
                        deny(ReasonCode.ROLE_NOT_PERMITTED, ReasonCode.STREAM_QUOTA_EXCEEDED,
                                ReasonCode.NODE_NOT_PERMITTED)),
                Arguments.of("a dropped column named in the request, no other permission",
                        TestData.permission("", "{\"action\": \"sluice:drop\", \"target\": \"name\"}"),
                        PurposeHierarchy.DEFAULT, columns("name"), deny(ReasonCode.COLUMN_NOT_PERMITTED)),
                one("six constraints that all hold", String.join(", ",
                        c("purpose", "isAnyOf", "[\"scientific-research\"]"), c("organisation", "eq", "\"ai-lab\""),
                        c("role", "isAnyOf", "[\"researcher\"]"), c("dateTime", "lt", "\"2027-01-01T00:00:00Z\""),
                        c("elapsedTime", "lteq", "\"P30D\""), c("count", "lteq", "20")),
                        grantAge(Duration.ofDays(2), 3), PERMIT));
    }

    @Test
    void coversAtLeastFortyCases() {
        assertThat(cases().count()).isGreaterThanOrEqualTo(40);
    }

    @Test
    void explainsTheNewOperandsInWords() {
        String json = TestData.permission(String.join(", ",
                c("elapsedTime", "lteq", "\"P30D\""), c("count", "lteq", "20"), c("nodeRegion", "eq", "\"eu\"")), "");
        Policy policy = Policies.parse(json, PATIENTS);
        AccessRequest late = BASE.underGrant(NOW.minus(Duration.ofDays(31)), 20)
                .fromNode(new NodeIdentity("gpu-1", Optional.empty()));

        assertThat(Policies.decide(policy, PATIENTS, late)).isEqualTo(new PolicyDecision.Deny(List.of(
                new DenialReason(ReasonCode.GRANT_EXPIRED, "elapsed time PT744H since the grant was issued at "
                        + "2026-05-01T12:00:00Z is not at most PT720H"),
                new DenialReason(ReasonCode.STREAM_QUOTA_EXCEEDED, "stream 21 of this grant is not at most 20"),
                new DenialReason(ReasonCode.NODE_NOT_PERMITTED, "nodeRegion is absent (the node certificate names "
                        + "no region), so nodeRegion eq 'eu' is not met"))));
    }

    @Test
    void explainsLogicalConstraints() {
        Policy or = Policies.parse(policy(logical("or", c("purpose", "eq", "\"marketing\""),
                c("organisation", "isAnyOf", "[\"hospital\"]"))), PATIENTS);
        Policy xone = Policies.parse(policy(logical("xone", c("organisation", "eq", "\"ai-lab\""),
                c("role", "eq", "\"researcher\""), c("role", "eq", "\"admin\""))), PATIENTS);

        assertThat(Policies.decide(or, PATIENTS, BASE)).isEqualTo(new PolicyDecision.Deny(List.of(new DenialReason(
                ReasonCode.LOGICAL_CONSTRAINT_NOT_MET, "or: none of its 2 constraints holds (purpose 'model-training' "
                        + "is not 'marketing'; organisation 'ai-lab' is not one of [hospital])"))));
        assertThat(Policies.decide(xone, PATIENTS, BASE)).isEqualTo(new PolicyDecision.Deny(List.of(new DenialReason(
                ReasonCode.LOGICAL_CONSTRAINT_NOT_MET,
                "xone: exactly one constraint must hold, but constraints [0, 1] all do"))));
    }

    @Test
    void permitCarriesTheStreamLimitAndExpiry() {
        String json = TestData.permission(String.join(", ",
                c("count", "lteq", "20"), c("count", "lt", "15"), c("dateTime", "lt", "\"2026-07-01T00:00:00Z\""),
                logical("and", c("elapsedTime", "lteq", "\"P7D\""), c("role", "eq", "\"researcher\""))), "");

        PolicyDecision.Permit permit = (PolicyDecision.Permit) Policies.decide(
                Policies.parse(json, PATIENTS), PATIENTS, BASE);

        assertThat(permit.maxStreams()).hasValue(14);
        assertThat(permit.expiresAt()).contains(NOW.plus(Duration.ofDays(7)).plusNanos(1));
    }

    @Test
    void isDeterministic() {
        Policy policy = Policies.parse(TestData.DESIGN_EXAMPLE, TestData.RECORDS);
        AccessRequest request = new AccessRequest("ai-lab", Set.of(), "medical-research", Optional.empty(), NOW);

        assertThat(Policies.decide(policy, TestData.RECORDS, request))
                .isEqualTo(Policies.decide(policy, TestData.RECORDS, request));
    }

    // ---- table helpers ---------------------------------------------------------------------------

    private static Arguments one(String name, String constraints, UnaryOperator<AccessRequest> request,
            ReasonCode[] expected) {
        return Arguments.of(name, policy(constraints), PurposeHierarchy.DEFAULT, request, expected);
    }

    static String policy(String constraints) {
        return TestData.permission(constraints, "");
    }

    static String c(String left, String operator, String right) {
        return TestData.constraint(left, operator, right);
    }

    static String logical(String operator, String... operands) {
        return "{\"" + operator + "\": [" + String.join(", ", operands) + "]}";
    }

    private static ReasonCode[] deny(ReasonCode... codes) {
        return Arrays.copyOf(codes, codes.length);
    }

    private static UnaryOperator<AccessRequest> purpose(String purpose) {
        return r -> new AccessRequest(r.organisation(), r.roles(), purpose, r.columns(), r.time());
    }

    private static UnaryOperator<AccessRequest> grantAge(Duration age, long streamsOpened) {
        return r -> r.underGrant(r.time().minus(age), streamsOpened);
    }

    private static UnaryOperator<AccessRequest> node(String id, String region) {
        return r -> r.fromNode(NodeIdentity.of(id, region));
    }

    private static UnaryOperator<AccessRequest> columns(String... columns) {
        return r -> r.withColumns(List.of(columns));
    }
}
