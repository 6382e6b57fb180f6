package io.sluice.policy;

/**
 * How a constraint compares its left operand with the owner's value. Which operators a left operand
 * takes, and which shape of right operand it needs, is {@link LeftOperand}'s to say; this enum says
 * only which shapes an operator can take at all.
 */
public enum Operator {
    /** Equal to the value; for a multi-valued operand (roles): contains it. */
    EQ("eq"),
    /** Not equal to the value; for roles: does not contain it. */
    NEQ("neq"),
    /** One of the terms; for roles: has at least one of them. */
    IS_ANY_OF("isAnyOf"),
    /** None of the terms; for roles: has none of them. */
    IS_NONE_OF("isNoneOf"),
    /** For roles: has every one of the terms. */
    IS_ALL_OF("isAllOf"),
    /** Strictly less than (before, shorter than). */
    LT("lt"),
    /** Less than or equal to (at or before, at most). */
    LTEQ("lteq"),
    /** Strictly greater than (after, longer than). */
    GT("gt"),
    /** Greater than or equal to (at or after, at least). */
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
            case EQ, NEQ -> rightOperand instanceof RightOperand.Term || rightOperand instanceof RightOperand.Count;
            case IS_ANY_OF, IS_NONE_OF, IS_ALL_OF -> rightOperand instanceof RightOperand.Terms;
            case LT, LTEQ, GT, GTEQ -> rightOperand instanceof RightOperand.DateTime
                    || rightOperand instanceof RightOperand.Duration
                    || rightOperand instanceof RightOperand.Count;
        };
    }
}
