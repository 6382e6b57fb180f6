package io.sluice.policy;

/** How an ODRL logical constraint combines its operands ({@link Constraint.Logical}). */
public enum LogicalOperator {
    /** Every operand holds. */
    AND("and"),
    /** At least one operand holds. */
    OR("or"),
    /** Exactly one operand holds. */
    XONE("xone");

    private final String odrlName;

    LogicalOperator(String odrlName) {
        this.odrlName = odrlName;
    }

    /** The key as written in a policy, e.g. {@code "xone"}. */
    public String odrlName() {
        return odrlName;
    }
}
