package io.sluice.policy;

import static io.sluice.policy.TestData.EXAMPLE;
import static io.sluice.policy.TestData.NOW;
import static io.sluice.policy.TestData.PATIENTS;
import static io.sluice.policy.TestData.constraint;
import static io.sluice.policy.TestData.permission;
import static io.sluice.policy.TestData.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DecisionTest {
    private static final Policy EXAMPLE_POLICY = Policies.parse(EXAMPLE, PATIENTS);
    private static final Transform DROP_NAME_ADDRESS = new Transform("drop", List.of("name", "address"));

    @Test
    void permitsEveryColumnButTheDroppedOnesInSchemaOrder() {
        PolicyDecision decision = decide(EXAMPLE_POLICY, request("ai-lab", "medical-research"));

        assertThat(decision).isEqualTo(new PolicyDecision.Permit(
                List.of("patient_id", "birth_date", "diagnosis"), List.of(DROP_NAME_ADDRESS)));
    }

    @Test
    void permitsRequestedColumnsInRequestOrder() {
        PolicyDecision decision = decide(EXAMPLE_POLICY, request("ai-lab", "medical-research", "diagnosis", "patient_id"));

        assertThat(decision).isEqualTo(
                new PolicyDecision.Permit(List.of("diagnosis", "patient_id"), List.of(DROP_NAME_ADDRESS)));
    }

    @Test
    void grantsAColumnNamedTwiceOnce() {
        PolicyDecision decision = decide(EXAMPLE_POLICY, request("ai-lab", "medical-research", "diagnosis", "diagnosis"));

        assertThat(decision).isEqualTo(new PolicyDecision.Permit(List.of("diagnosis"), List.of(DROP_NAME_ADDRESS)));
    }

    @Test
    void deniesWhenPurposeDoesNotMatch() {
        assertThat(decide(EXAMPLE_POLICY, request("ai-lab", "marketing"))).isEqualTo(deny(
                ReasonCode.PURPOSE_NOT_PERMITTED, "purpose 'marketing' is not one of [medical-research]"));
    }

    @Test
    void deniesWhenOrganisationDoesNotMatch() {
        assertThat(decide(EXAMPLE_POLICY, request("ad-tech", "medical-research"))).isEqualTo(deny(
                ReasonCode.ORGANISATION_NOT_PERMITTED, "organisation 'ad-tech' is not one of [ai-lab]"));
    }

    @Test
    void listsEveryFailingConstraint() {
        AccessRequest late = new AccessRequest("ad-tech", Set.of(), "marketing", Optional.empty(),
                Instant.parse("2028-01-01T00:00:00Z"));

        assertThat(decide(EXAMPLE_POLICY, late)).isEqualTo(new PolicyDecision.Deny(List.of(
                new DenialReason(ReasonCode.PURPOSE_NOT_PERMITTED, "purpose 'marketing' is not one of [medical-research]"),
                new DenialReason(ReasonCode.ORGANISATION_NOT_PERMITTED, "organisation 'ad-tech' is not one of [ai-lab]"),
                new DenialReason(ReasonCode.OUTSIDE_VALIDITY_PERIOD,
                        "request time 2028-01-01T00:00:00Z is not before 2027-12-31T00:00:00Z"))));
    }

    @Test
    void deniesExplicitRequestForADroppedColumn() {
        assertThat(decide(EXAMPLE_POLICY, request("ai-lab", "medical-research", "diagnosis", "name"))).isEqualTo(deny(
                ReasonCode.COLUMN_NOT_PERMITTED, "column 'name' may not leave: permission[0] drops it"));
    }

    @Test
    void deniesWhenEveryColumnIsDropped() {
        Policy policy = Policies.parse(permission("", """
                {"action": "sluice:drop", "target": ["patient_id", "name", "address"]},
                {"action": "sluice:drop", "target": ["birth_date", "diagnosis"]}"""), PATIENTS);

        assertThat(decide(policy, request("ai-lab", "medical-research"))).isEqualTo(deny(
                ReasonCode.COLUMN_NOT_PERMITTED, "permission[0] drops every column; nothing may leave"));
    }

    @Test
    void permitsWithoutTransformsWhenNothingIsDropped() {
        Policy policy = Policies.parse(permission("", ""), PATIENTS);

        assertThat(decide(policy, request("anyone", "anything"))).isEqualTo(new PolicyDecision.Permit(
                List.of("patient_id", "name", "address", "birth_date", "diagnosis"), List.of()));
    }

    @ParameterizedTest(name = "{0} {1} at 2026-06-01T12:00:00Z: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            lt   | 2026-06-01T12:00:01Z | permit |
            lt   | 2026-06-01T12:00:00Z | deny   | request time 2026-06-01T12:00:00Z is not before 2026-06-01T12:00:00Z
            lteq | 2026-06-01T12:00:00Z | permit |
            lteq | 2026-06-01T11:59:59Z | deny   | request time 2026-06-01T12:00:00Z is not at or before 2026-06-01T11:59:59Z
            gt   | 2026-06-01T11:59:59Z | permit |
            gt   | 2026-06-01T12:00:00Z | deny   | request time 2026-06-01T12:00:00Z is not after 2026-06-01T12:00:00Z
            gteq | 2026-06-01T12:00:00Z | permit |
            gteq | 2026-06-01T12:00:01Z | deny   | request time 2026-06-01T12:00:00Z is not at or after 2026-06-01T12:00:01Z
            """)
    void decidesDateTimeConstraintsAtTheirBoundary(String operator, String limit, String outcome, String message) {
        Policy policy = Policies.parse(permission(constraint("dateTime", operator, "\"" + limit + "\""), ""), PATIENTS);

        PolicyDecision decision = decide(policy, request("ai-lab", "medical-research", "diagnosis"));

        if (outcome.equals("permit")) {
            assertThat(decision).isInstanceOf(PolicyDecision.Permit.class);
        } else {
            assertThat(decision).isEqualTo(deny(ReasonCode.OUTSIDE_VALIDITY_PERIOD, message));
        }
    }

    @ParameterizedTest(name = "role {0} {1} with roles [{2}]: {3}")
    @CsvSource(delimiter = '|', textBlock = """
            eq       | "researcher"               | researcher;data-consumer | permit |
            eq       | "admin"                    | researcher;data-consumer | deny   | roles [data-consumer, researcher] do not include 'admin'
            neq      | "intern"                   | researcher               | permit |
            neq      | "intern"                   | intern;researcher        | deny   | roles [intern, researcher] must not include 'intern'
            isAnyOf  | ["admin", "researcher"]    | researcher               | permit |
            isAnyOf  | ["admin", "auditor"]       | researcher               | deny   | roles [researcher] include none of [admin, auditor]
            isAnyOf  | ["admin"]                  | ''                       | deny   | roles [] include none of [admin]
            isNoneOf | ["intern", "guest"]        | researcher               | permit |
            isNoneOf | ["intern", "guest"]        | guest;researcher         | deny   | roles [guest, researcher] must not include any of [intern, guest]
            """)
    void decidesRoleConstraintsAgainstAllOfTheRequestersRoles(
            String operator, String right, String roles, String outcome, String message) {
        Policy policy = Policies.parse(permission(constraint("role", operator, right), ""), PATIENTS);
        Set<String> held = roles.isEmpty() ? Set.of() : Set.of(roles.split(";"));

        PolicyDecision decision = decide(policy,
                new AccessRequest("ai-lab", held, "medical-research", Optional.of(List.of("diagnosis")), NOW));

        if (outcome.equals("permit")) {
            assertThat(decision).isEqualTo(new PolicyDecision.Permit(List.of("diagnosis"), List.of()));
        } else {
            assertThat(decision).isEqualTo(deny(ReasonCode.ROLE_NOT_PERMITTED, message));
        }
    }

    @ParameterizedTest(name = "{0} {1} {2} for ''{3}''")
    @CsvSource(delimiter = '|', textBlock = """
            purpose      | eq       | "medical-research"     | marketing | PURPOSE_NOT_PERMITTED      | purpose 'marketing' is not 'medical-research'
            purpose      | neq      | "marketing"            | marketing | PURPOSE_NOT_PERMITTED      | purpose 'marketing' must not be 'marketing'
            purpose      | isNoneOf | ["marketing", "ads"]   | ads       | PURPOSE_NOT_PERMITTED      | purpose 'ads' must not be one of [marketing, ads]
            organisation | eq       | "ai-lab"               | ad-tech   | ORGANISATION_NOT_PERMITTED | organisation 'ad-tech' is not 'ai-lab'
            organisation | neq      | "ad-tech"              | ad-tech   | ORGANISATION_NOT_PERMITTED | organisation 'ad-tech' must not be 'ad-tech'
            organisation | isNoneOf | ["ad-tech"]            | ad-tech   | ORGANISATION_NOT_PERMITTED | organisation 'ad-tech' must not be one of [ad-tech]
            """)
    void explainsEachFailingTermOperator(
            String operand, String operator, String right, String value, ReasonCode code, String message) {
        Policy policy = Policies.parse(permission(constraint(operand, operator, right), ""), PATIENTS);
        AccessRequest request = operand.equals("purpose") ? request("ai-lab", value) : request(value, "medical-research");

        assertThat(decide(policy, request)).isEqualTo(deny(code, message));
    }

    @Test
    void deniesWhenAUseProhibitionMatchesEvenThoughAPermissionApplies() {
        Policy policy = Policies.parse("""
                {"@type": "Set", "permission": [{"action": "use"}],
                 "prohibition": [
                   {"action": "use", "constraint": [
                     {"leftOperand": "organisation", "operator": "eq", "rightOperand": "ad-tech"}]},
                   {"action": "read"}]}
                """, PATIENTS);

        assertThat(decide(policy, request("ad-tech", "medical-research"))).isEqualTo(new PolicyDecision.Deny(List.of(
                new DenialReason(ReasonCode.PROHIBITED, "prohibition[0] forbids use of this dataset for this request"),
                new DenialReason(ReasonCode.PROHIBITED, "prohibition[1] forbids read of this dataset"))));
    }

    @Test
    void ignoresAProhibitionWhoseConstraintsDoNotHold() {
        Policy policy = Policies.parse("""
                {"@type": "Set", "permission": [{"action": "use"}],
                 "prohibition": [{"action": "use", "constraint": [
                     {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["marketing"]}]}]}
                """, PATIENTS);

        assertThat(decide(policy, request("ai-lab", "medical-research", "diagnosis")))
                .isEqualTo(new PolicyDecision.Permit(List.of("diagnosis"), List.of()));
    }

    @Test
    void aDistributeProhibitionDoesNotBlockAGrant() {
        assertThat(decide(EXAMPLE_POLICY, request("ai-lab", "medical-research", "diagnosis")))
                .isInstanceOf(PolicyDecision.Permit.class);
    }

    @Test
    void usesTheFirstPermissionThatApplies() {
        Policy policy = Policies.parse("""
                {"@type": "Set", "permission": [
                  {"action": "use",
                   "constraint": [{"leftOperand": "organisation", "operator": "eq", "rightOperand": "hospital"}]},
                  {"action": "use",
                   "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "medical-research"}],
                   "duty": [{"action": "sluice:drop", "target": ["name", "address"]}]},
                  {"action": "use", "duty": [{"action": "sluice:drop", "target": "patient_id"}]}]}
                """, PATIENTS);

        assertThat(decide(policy, request("hospital", "care"))).isEqualTo(new PolicyDecision.Permit(
                List.of("patient_id", "name", "address", "birth_date", "diagnosis"), List.of()));
        assertThat(decide(policy, request("ai-lab", "medical-research"))).isEqualTo(new PolicyDecision.Permit(
                List.of("patient_id", "birth_date", "diagnosis"), List.of(DROP_NAME_ADDRESS)));
        assertThat(decide(policy, request("ai-lab", "statistics"))).isEqualTo(new PolicyDecision.Permit(
                List.of("name", "address", "birth_date", "diagnosis"),
                List.of(new Transform("drop", List.of("patient_id")))));
    }

    @Test
    void deniesWithTheFailuresOfEveryPermissionEachOnce() {
        Policy policy = Policies.parse("""
                {"@type": "Set", "permission": [
                  {"action": "use", "constraint": [
                    {"leftOperand": "purpose", "operator": "eq", "rightOperand": "medical-research"},
                    {"leftOperand": "organisation", "operator": "eq", "rightOperand": "hospital"}]},
                  {"action": "use", "constraint": [
                    {"leftOperand": "purpose", "operator": "eq", "rightOperand": "medical-research"},
                    {"leftOperand": "role", "operator": "eq", "rightOperand": "researcher"}]}]}
                """, PATIENTS);

        assertThat(decide(policy, request("ai-lab", "marketing"))).isEqualTo(new PolicyDecision.Deny(List.of(
                new DenialReason(ReasonCode.PURPOSE_NOT_PERMITTED, "purpose 'marketing' is not 'medical-research'"),
                new DenialReason(ReasonCode.ORGANISATION_NOT_PERMITTED, "organisation 'ai-lab' is not 'hospital'"),
                new DenialReason(ReasonCode.ROLE_NOT_PERMITTED, "roles [data-consumer] do not include 'researcher'"))));
    }

    @Test
    void deniesEverythingWhenThePolicyHasNoPermission() {
        Policy policy = new Policy("{}", Optional.empty(), List.of(), List.of());

        assertThat(decide(policy, request("ai-lab", "medical-research")))
                .isEqualTo(deny(ReasonCode.NO_PERMISSION, "the policy permits nothing"));
    }

    @Test
    void ignoresDropsOfColumnsTheSchemaNoLongerHas() {
        Schema fewer = TestData.schema("patient_id", "name", "diagnosis");

        assertThat(terms(Policies.decide(EXAMPLE_POLICY, fewer, request("ai-lab", "medical-research")))).isEqualTo(
                new PolicyDecision.Permit(List.of("patient_id", "diagnosis"),
                        List.of(new Transform("drop", List.of("name")))));
    }

    @Test
    void refusesARequestedColumnTheSchemaLacks() {
        assertThatThrownBy(() -> decide(EXAMPLE_POLICY, request("ai-lab", "medical-research", "diagnosis", "ssn")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("requested column 'ssn' is not in the dataset; it has columns "
                        + "[patient_id, name, address, birth_date, diagnosis]");
    }

    /** The decision as columns and reported transforms only (duties and limits are tested elsewhere). */
    private static PolicyDecision decide(Policy policy, AccessRequest request) {
        return terms(Policies.decide(policy, PATIENTS, request));
    }

    static PolicyDecision terms(PolicyDecision decision) {
        return decision instanceof PolicyDecision.Permit permit
                ? new PolicyDecision.Permit(permit.columns(), permit.transforms())
                : decision;
    }

    private static PolicyDecision deny(ReasonCode code, String message) {
        return new PolicyDecision.Deny(List.of(new DenialReason(code, message)));
    }
}
