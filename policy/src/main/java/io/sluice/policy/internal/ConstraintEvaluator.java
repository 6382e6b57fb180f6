package io.sluice.policy.internal;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.Constraint;
import io.sluice.policy.DenialReason;
import io.sluice.policy.LeftOperand;
import io.sluice.policy.Operator;
import io.sluice.policy.ReasonCode;
import io.sluice.policy.RightOperand;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Tests one constraint against a request. A failing constraint yields the reason a person will
 * read, naming the request's value and the rule it broke; a holding one yields nothing.
 * Stateless and thread-safe.
 */
final class ConstraintEvaluator {
    private ConstraintEvaluator() {}

    /** Empty when {@code constraint} holds for {@code request}, otherwise why it does not. */
    static Optional<DenialReason> failure(Constraint constraint, AccessRequest request) {
        requireNonNull(constraint, "constraint is null");
        requireNonNull(request, "request is null");
        return switch (constraint) {
            case Constraint.Atomic atomic -> atomic(atomic, request);
        };
    }

    /** Whether every one of {@code constraints} holds for {@code request}. */
    static boolean allHold(List<Constraint> constraints, AccessRequest request) {
        return constraints.stream().allMatch(constraint -> failure(constraint, request).isEmpty());
    }

    private static Optional<DenialReason> atomic(Constraint.Atomic constraint, AccessRequest request) {
        Operator operator = constraint.operator();
        RightOperand right = constraint.rightOperand();
        return switch (constraint.leftOperand()) {
            case PURPOSE -> single(ReasonCode.PURPOSE_NOT_PERMITTED, "purpose", request.purpose(), operator, right);
            case ORGANISATION -> single(
                    ReasonCode.ORGANISATION_NOT_PERMITTED, "organisation", request.organisation(), operator, right);
            case ROLE -> roles(request.roles(), operator, right);
            case DATE_TIME -> time(request.time(), operator, right);
        };
    }

    /** A single-valued operand: purpose, organisation. */
    private static Optional<DenialReason> single(
            ReasonCode code, String name, String value, Operator operator, RightOperand right) {
        List<String> terms = terms(right);
        if (holds(operator, terms.contains(value))) {
            return Optional.empty();
        }
        String subject = name + " '" + value + "'";
        String message = switch (operator) {
            case EQ -> subject + " is not '" + terms.getFirst() + "'";
            case NEQ -> subject + " must not be '" + terms.getFirst() + "'";
            case IS_ANY_OF -> subject + " is not one of " + terms;
            case IS_NONE_OF -> subject + " must not be one of " + terms;
            case LT, LTEQ, GT, GTEQ -> throw unreachable(name, operator);
        };
        return Optional.of(new DenialReason(code, message));
    }

    /** Roles are a set: eq means "has the role", isAnyOf "has at least one of them". */
    private static Optional<DenialReason> roles(Set<String> roles, Operator operator, RightOperand right) {
        List<String> terms = terms(right);
        if (holds(operator, terms.stream().anyMatch(roles::contains))) {
            return Optional.empty();
        }
        String subject = "roles " + sorted(roles);
        String message = switch (operator) {
            case EQ -> subject + " do not include '" + terms.getFirst() + "'";
            case NEQ -> subject + " must not include '" + terms.getFirst() + "'";
            case IS_ANY_OF -> subject + " include none of " + terms;
            case IS_NONE_OF -> subject + " must not include any of " + terms;
            case LT, LTEQ, GT, GTEQ -> throw unreachable(LeftOperand.ROLE.odrlName(), operator);
        };
        return Optional.of(new DenialReason(ReasonCode.ROLE_NOT_PERMITTED, message));
    }

    private static Optional<DenialReason> time(Instant time, Operator operator, RightOperand right) {
        if (!(right instanceof RightOperand.DateTime(Instant limit))) {
            throw new IllegalStateException("dateTime needs an instant, was " + right);
        }
        int order = time.compareTo(limit);
        boolean holds = switch (operator) {
            case LT -> order < 0;
            case LTEQ -> order <= 0;
            case GT -> order > 0;
            case GTEQ -> order >= 0;
            case EQ, NEQ, IS_ANY_OF, IS_NONE_OF -> throw unreachable(LeftOperand.DATE_TIME.odrlName(), operator);
        };
        if (holds) {
            return Optional.empty();
        }
        String relation = switch (operator) {
            case LT -> "before";
            case LTEQ -> "at or before";
            case GT -> "after";
            case GTEQ -> "at or after";
            case EQ, NEQ, IS_ANY_OF, IS_NONE_OF -> throw unreachable(LeftOperand.DATE_TIME.odrlName(), operator);
        };
        return Optional.of(new DenialReason(
                ReasonCode.OUTSIDE_VALIDITY_PERIOD, "request time " + time + " is not " + relation + " " + limit));
    }

    /** eq and isAnyOf hold when a term matches; neq and isNoneOf when none does. */
    private static boolean holds(Operator operator, boolean matches) {
        return switch (operator) {
            case EQ, IS_ANY_OF -> matches;
            case NEQ, IS_NONE_OF -> !matches;
            case LT, LTEQ, GT, GTEQ -> throw new IllegalStateException(operator + " does not compare terms");
        };
    }

    /** The terms of a term-shaped right operand, in the order written. */
    static List<String> terms(RightOperand right) {
        return switch (right) {
            case RightOperand.Term(String value) -> List.of(value);
            case RightOperand.Terms(List<String> values) -> values;
            case RightOperand.DateTime dateTime -> throw new IllegalStateException("expected terms, was " + dateTime);
        };
    }

    private static List<String> sorted(Collection<String> values) {
        return List.copyOf(new TreeSet<>(values));
    }

    /** {@link Constraint.Atomic}'s constructor rules these combinations out. */
    private static IllegalStateException unreachable(String operand, Operator operator) {
        return new IllegalStateException(operator.odrlName() + " does not apply to " + operand);
    }
}
