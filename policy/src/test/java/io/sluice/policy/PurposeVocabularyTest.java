package io.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** The hierarchy as the broker's vocabulary of purposes, and the purposes a policy names. */
class PurposeVocabularyTest {

    @Test
    void theHierarchyKnowsEveryPurposeItNamesAndAPurposeStandingAlone() {
        PurposeHierarchy hierarchy = PurposeHierarchy.of(Map.of("research", List.of("model-training"), "audit", List.of()));
        assertThat(hierarchy.purposes()).containsExactly("audit", "model-training", "research");
        assertThat(hierarchy.knows("audit")).isTrue();
        assertThat(hierarchy.knows("model-training")).isTrue();
        assertThat(hierarchy.knows("modell-training")).isFalse();
        assertThat(hierarchy.isWithin("model-training", "research")).isTrue();
    }

    @Test
    void aHierarchyThatNamesNoPurposeKnowsThemAll() {
        assertThat(PurposeHierarchy.FLAT.purposes()).isEmpty();
        assertThat(PurposeHierarchy.FLAT.knows("anything")).isTrue();
        assertThat(PurposeHierarchy.DEFAULT.knows("public-health")).isTrue();
        assertThat(PurposeHierarchy.DEFAULT.knows("medical-reserch")).isFalse();
    }

    @Test
    void namesThePurposesOfPermissionsAndProhibitionsAtAnyDepth() {
        Policy policy = Policies.parse("""
                {"@type": "Set",
                 "permission": [{"action": "use", "constraint": [
                   {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["statistics", "public-health"]},
                   {"leftOperand": "organisation", "operator": "eq", "rightOperand": "ai-lab"}]}],
                 "prohibition": [{"action": "use", "constraint": [
                   {"or": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "marketing"},
                           {"leftOperand": "role", "operator": "eq", "rightOperand": "intern"}]}]}]}""",
                new Schema(List.of()), PurposeHierarchy.DEFAULT);
        assertThat(Policies.purposesNamed(policy)).containsExactly("marketing", "public-health", "statistics");
    }
}
