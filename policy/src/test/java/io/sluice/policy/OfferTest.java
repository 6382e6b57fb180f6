package io.sluice.policy;

import static io.sluice.policy.TestData.EXAMPLE;
import static io.sluice.policy.TestData.PATIENTS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OfferTest {

    @Test
    void offersTheExamplesPurposeOrganisationAndRemainingColumns() {
        PolicyOffer offer = Policies.offer(Policies.parse(EXAMPLE, PATIENTS), PATIENTS);

        assertThat(offer).isEqualTo(new PolicyOffer(
                List.of("medical-research"),
                List.of("ai-lab"),
                List.of("patient_id", "birth_date", "diagnosis"),
                List.of(new Transform("drop", List.of("name", "address")))));
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

        assertThat(offer).isEqualTo(new PolicyOffer(
                List.of(), List.of(), List.of("patient_id", "name", "address", "birth_date", "diagnosis"), List.of()));
    }
}
