package io.sluice.policy;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The facts about a grant request a constraint may test. Each one says which operators make sense
 * for it, so that a policy comparing, say, a purpose with {@code lt} is refused when registered
 * rather than failing at decision time.
 */
public enum LeftOperand {
    /** The purpose the requester declared. */
    PURPOSE("purpose", EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF)),
    /** The requester's organisation (token claim). */
    ORGANISATION("organisation", EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF)),
    /**
     * The requester's roles. A requester has several, so {@code eq r} means "has role r" and
     * {@code isAnyOf [..]} means "has at least one of them".
     */
    ROLE("role", EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF)),
    /** The time the request is decided. */
    DATE_TIME("dateTime", EnumSet.of(Operator.LT, Operator.LTEQ, Operator.GT, Operator.GTEQ));

    private final String odrlName;
    private final Set<Operator> operators;

    LeftOperand(String odrlName, EnumSet<Operator> operators) {
        this.odrlName = odrlName;
        this.operators = Collections.unmodifiableSet(operators);
    }

    /** The term as written in a policy, e.g. {@code "dateTime"}. */
    public String odrlName() {
        return odrlName;
    }

    /** The operators this operand may be compared with, in declaration order. */
    public Set<Operator> operators() {
        return operators;
    }

    /** {@link #operators()} as written in a policy, for messages: {@code "eq, neq, isAnyOf, isNoneOf"}. */
    public String operatorNames() {
        return operators.stream().map(Operator::odrlName).collect(Collectors.joining(", "));
    }
}
