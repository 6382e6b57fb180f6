package io.sluice.policy;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The facts about a request a constraint may test. Each one says which operators make sense for it
 * and which kind of value it is compared with, so that a policy comparing, say, a purpose with
 * {@code lt} is refused when registered rather than failing at decision time.
 */
public enum LeftOperand {
    /**
     * The purpose the requester declared. Purposes form a {@link PurposeHierarchy}: {@code eq} and
     * {@code isAnyOf} also match narrower purposes, {@code neq} and {@code isNoneOf} exclude them.
     */
    PURPOSE("purpose", Kind.TERMS, EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF)),
    /** The requester's organisation (token claim). */
    ORGANISATION("organisation", Kind.TERMS,
            EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF)),
    /**
     * The requester's roles. A requester has several, so {@code eq r} means "has role r",
     * {@code isAnyOf [..]} "has at least one of them" and {@code isAllOf [..]} "has all of them".
     */
    ROLE("role", Kind.TERMS,
            EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF, Operator.IS_ALL_OF)),
    /** The time the request is decided (the broker's clock). */
    DATE_TIME("dateTime", Kind.INSTANT, EnumSet.of(Operator.LT, Operator.LTEQ, Operator.GT, Operator.GTEQ)),
    /**
     * The time since the grant was issued, compared with an ISO-8601 duration such as {@code P30D};
     * zero while the grant itself is being decided.
     */
    ELAPSED_TIME("elapsedTime", Kind.DURATION, EnumSet.of(Operator.LT, Operator.LTEQ, Operator.GT, Operator.GTEQ)),
    /**
     * The number of the stream being opened under the grant: 1 for the first stream (and while the
     * grant is decided), n + 1 when n streams were opened before. {@code count lteq 20} allows 20.
     */
    COUNT("count", Kind.COUNT,
            EnumSet.of(Operator.EQ, Operator.NEQ, Operator.LT, Operator.LTEQ, Operator.GT, Operator.GTEQ)),
    /** The node id of the training node's certificate; absent = every constraint on it fails. */
    NODE_ID("nodeId", Kind.TERMS, EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF)),
    /** The region of the training node's certificate; absent = every constraint on it fails. */
    NODE_REGION("nodeRegion", Kind.TERMS,
            EnumSet.of(Operator.EQ, Operator.NEQ, Operator.IS_ANY_OF, Operator.IS_NONE_OF));

    /** The kind of value a left operand is compared with. */
    public enum Kind {
        /** Strings: {@link RightOperand.Term} or {@link RightOperand.Terms}. */
        TERMS,
        /** {@link RightOperand.DateTime}. */
        INSTANT,
        /** {@link RightOperand.Duration}. */
        DURATION,
        /** {@link RightOperand.Count}. */
        COUNT;

        /** Whether {@code rightOperand} is a value of this kind. */
        public boolean accepts(RightOperand rightOperand) {
            return switch (rightOperand) {
                case RightOperand.Term t -> this == TERMS;
                case RightOperand.Terms t -> this == TERMS;
                case RightOperand.DateTime t -> this == INSTANT;
                case RightOperand.Duration d -> this == DURATION;
                case RightOperand.Count c -> this == COUNT;
            };
        }
    }

    private final String odrlName;
    private final Kind kind;
    private final Set<Operator> operators;

    LeftOperand(String odrlName, Kind kind, EnumSet<Operator> operators) {
        this.odrlName = odrlName;
        this.kind = kind;
        this.operators = Collections.unmodifiableSet(operators);
    }

    /** The term as written in a policy, e.g. {@code "dateTime"}. */
    public String odrlName() {
        return odrlName;
    }

    /** The kind of value this operand is compared with. */
    public Kind kind() {
        return kind;
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
