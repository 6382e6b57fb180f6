package io.sluice.policy;

import static io.sluice.policy.TestData.DESIGN_EXAMPLE;
import static io.sluice.policy.TestData.EXAMPLE;
import static io.sluice.policy.TestData.PATIENTS;
import static io.sluice.policy.TestData.RECORDS;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;

class OfferTest {

    @Test
    void offersTheExamplesPurposeOrganisationAndRemainingColumns() {
        PolicyOffer offer = Policies.offer(Policies.parse(EXAMPLE, PATIENTS), PATIENTS);

        assertThat(offer.purposes()).containsExactly("medical-research");
        assertThat(offer.organisations()).containsExactly("ai-lab");
        assertThat(offer.columns()).containsExactly("patient_id", "birth_date", "diagnosis");
        assertThat(offer.transforms()).containsExactly(new Transform("drop", List.of("name", "address")));
        assertThat(offer.prohibitions()).extracting(Rule.Prohibition::action).containsExactly(Action.DISTRIBUTE);
        // The example's "dateTime lt 2027-12-31" is the latest any grant can live; it names no stream limit.
        assertThat(offer.expiresAt()).contains(Instant.parse("2027-12-31T00:00:00Z"));
        assertThat(offer.maxStreams()).isEmpty();
    }

    @Test
    void unitesWhatEveryPermissionAllows() {
        String json = """
                {"@type": "Offer", "permission": [
                  {"action": "use",
                   "constraint": [
                     {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["medical-research", "statistics"]},
                     {"leftOperand": "organisation", "operator": "neq", "rightOperand": "ad-tech"}],
                   "duty": [{"action": "sluice:drop", "target": ["name", "address", "patient_id"]}]},
                  {"action": "read",
                   "constraint": [
                     {"leftOperand": "purpose", "operator": "eq", "rightOperand": "statistics"},
                     {"leftOperand": "purpose", "operator": "isNoneOf", "rightOperand": ["marketing"]},
                     {"leftOperand": "organisation", "operator": "eq", "rightOperand": "hospital"}],
                   "duty": [{"action": "sluice:drop", "target": "name"}]},
                  {"action": "use",
                   "constraint": [{"leftOperand": "organisation", "operator": "isAnyOf", "rightOperand": ["ai-lab"]}],
                   "duty": [{"action": "sluice:drop",
                             "target": ["patient_id", "name", "address", "birth_date", "diagnosis"]}]}]}
                """;

        PolicyOffer offer = Policies.offer(Policies.parse(json, PATIENTS), PATIENTS);

        assertThat(offer.purposes()).containsExactly("medical-research", "statistics");
        assertThat(offer.organisations()).containsExactly("hospital", "ai-lab");
        assertThat(offer.columns()).containsExactly("patient_id", "address", "birth_date", "diagnosis");
        // The third permission lets nothing leave, so its transform is not offered.
        assertThat(offer.transforms()).containsExactly(
                new Transform("drop", List.of("name", "address", "patient_id")),
                new Transform("drop", List.of("name")));
    }

    @Test
    void offersEverythingUnrestrictedWhenNoPermissionNamesPurposeOrOrganisation() {
        PolicyOffer offer = Policies.offer(
                Policies.parse("{\"@type\": \"Set\", \"permission\": [{\"action\": \"use\"}]}", PATIENTS), PATIENTS);

        assertThat(offer.purposes()).isEmpty();
        assertThat(offer.organisations()).isEmpty();
        assertThat(offer.columns()).containsExactly("patient_id", "name", "address", "birth_date", "diagnosis");
        assertThat(offer.transforms()).isEmpty();
        assertThat(offer.maxStreams()).isEmpty();
        assertThat(offer.expiresAt()).isEmpty();
    }

    @Test
    void eachOfferedPermissionSaysWhatAGrantUnderItWouldStream() {
        PolicyOffer offer = Policies.offer(Policies.parse(DESIGN_EXAMPLE, RECORDS), RECORDS);

        OfferedPermission only = offer.permissions().getFirst();
        assertThat(offer.permissions()).hasSize(1);
        assertThat(only.columns()).containsExactly("patient_id", "birth_date", "diagnosis", "age", "consent");
        // The same schema a grant under this permission announces: the pseudonymised id leaves as text.
        PolicyDecision.Permit permit = (PolicyDecision.Permit) Policies.decide(Policies.parse(DESIGN_EXAMPLE, RECORDS),
                RECORDS, TestData.request("ai-lab", "medical-research"));
        assertThat(only.outputSchema()).isEqualTo(Policies.outputSchema(permit, RECORDS));
        assertThat(only.outputSchema().findField("patient_id").getType()).isEqualTo(ArrowType.Utf8.INSTANCE);
        assertThat(only.transforms()).isEqualTo(permit.transforms());
        assertThat(only.maxStreams()).hasValue(20);
        assertThat(only.expiresAt()).contains(Instant.parse("2027-12-31T00:00:00Z"));
        assertThat(only.permission().duties()).hasSize(4);
    }

    @Test
    void quotaAndExpiryAreTheMostAnyOfferedPermissionAllowsAndAbsentWhenOneIsUnbounded() {
        String limited = """
                {"@type": "Offer", "permission": [
                  {"action": "use", "constraint": [
                     {"leftOperand": "purpose", "operator": "eq", "rightOperand": "statistics"},
                     {"leftOperand": "count", "operator": "lteq", "rightOperand": 5},
                     {"leftOperand": "dateTime", "operator": "lt", "rightOperand": "2027-01-01T00:00:00Z"}]},
                  {"action": "use", "constraint": [
                     {"leftOperand": "purpose", "operator": "eq", "rightOperand": "medical-research"},
                     {"leftOperand": "count", "operator": "lt", "rightOperand": 12},
                     {"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2026-07-01T00:00:00Z"},
                     {"leftOperand": "elapsedTime", "operator": "lt", "rightOperand": "P30D"}]}]}
                """;
        PolicyOffer offer = Policies.offer(Policies.parse(limited, PATIENTS), PATIENTS);
        assertThat(offer.maxStreams()).hasValue(11);
        assertThat(offer.expiresAt()).contains(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(offer.permissions().get(1).expiresAt()).contains(Instant.parse("2026-07-01T00:00:00.000000001Z"));

        // The first permission without its limits: a grant under it may stream without end, until no date.
        String oneUnbounded = """
                {"@type": "Offer", "permission": [
                  {"action": "use", "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "statistics"}]},
                  {"action": "use", "constraint": [
                     {"leftOperand": "purpose", "operator": "eq", "rightOperand": "medical-research"},
                     {"leftOperand": "count", "operator": "lt", "rightOperand": 12},
                     {"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2026-07-01T00:00:00Z"}]}]}
                """;
        PolicyOffer open = Policies.offer(Policies.parse(oneUnbounded, PATIENTS), PATIENTS);
        assertThat(open.permissions()).hasSize(2);
        assertThat(open.maxStreams()).isEmpty();
        assertThat(open.expiresAt()).isEmpty();
    }
}
