package io.sluice.broker;

/** Policies the broker's tests register when the policy itself is not what they test. */
public final class TestPolicies {
    /** Any organisation, for scientific research (and the purposes under it) only. */
    public static final String SCIENTIFIC_RESEARCH = """
            {"@type": "Set", "permission": [{"action": "use", "constraint": [
              {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["scientific-research"]}]}]}""";

    private TestPolicies() {}
}
