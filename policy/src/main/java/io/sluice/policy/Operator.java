package io.sluice.policy;

/**
 * How a constraint compares its left operand with the owner's value. Each operator takes one shape
 * of right operand: a single term, a list of terms, or an instant.
 */
public enum Operator {
    /** Equal to the term; for a multi-valued operand (roles): contains it. */
    EQ("eq"),
    /** Not equal to the term; for roles: does not contain it. */
    NEQ("neq"),
    /** One of the terms; for roles: has at least one of them. */
    IS_ANY_OF("isAnyOf"),
    /** None of the terms; for roles: has none of them. */
    IS_NONE_OF("isNoneOf"),
    /** Strictly before the instant. */
    LT("lt"),
    /** Before or at the instant. */
    LTEQ("lteq"),
    /** Strictly after the instant. */
    GT("gt"),
    /** At or after the instant. */
    GTEQ("gteq");

    private final String odrlName;

    Operator(String odrlName) {
        this.odrlName = odrlName;
    }

    /** The term as written in a policy, e.g. {@code "isAnyOf"}. */
    public String odrlName() {
        return odrlName;
    }

    /** Whether this operator can compare with {@code rightOperand}'s shape. */
    public boolean accepts(RightOperand rightOperand) {
        return switch (this) {
            case EQ, NEQ -> rightOperand instanceof RightOperand.Term;
            case IS_ANY_OF, IS_NONE_OF -> rightOperand instanceof RightOperand.Terms;
            case LT, LTEQ, GT, GTEQ -> rightOperand instanceof RightOperand.DateTime;
        };
    }
}
