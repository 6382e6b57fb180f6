package io.sluice.policy.internal;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.Constraint;
import io.sluice.policy.DenialReason;
import io.sluice.policy.LeftOperand;
import io.sluice.policy.NodeIdentity;
import io.sluice.policy.Operator;
import io.sluice.policy.PurposeHierarchy;
import io.sluice.policy.ReasonCode;
import io.sluice.policy.RightOperand;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Tests constraints against a request. {@link #holds} answers without allocating (the decision's
 * fast path); {@link #failures} explains a constraint that does not hold, naming the request's
 * value and the rule it broke. Stateless and thread-safe.
 */
final class ConstraintEvaluator {
    private ConstraintEvaluator() {}

    /** Whether every one of {@code constraints} holds. */
    static boolean allHold(List<Constraint> constraints, AccessRequest request, PurposeHierarchy purposes) {
        for (int i = 0; i < constraints.size(); i++) {
            if (!holds(constraints.get(i), request, purposes)) {
                return false;
            }
        }
        return true;
    }

    static boolean holds(Constraint constraint, AccessRequest request, PurposeHierarchy purposes) {
        return switch (constraint) {
            case Constraint.Atomic atomic -> holds(atomic, request, purposes);
            case Constraint.Logical logical -> {
                int holding = 0;
                for (Constraint operand : logical.constraints()) {
                    if (holds(operand, request, purposes)) {
                        holding++;
                    }
                }
                yield switch (logical.operator()) {
                    case AND -> holding == logical.constraints().size();
                    case OR -> holding > 0;
                    case XONE -> holding == 1;
                };
            }
        };
    }

    /** Why {@code constraint} does not hold; empty when it does. */
    static List<DenialReason> failures(Constraint constraint, AccessRequest request, PurposeHierarchy purposes) {
        if (holds(constraint, request, purposes)) {
            return List.of();
        }
        return switch (constraint) {
            case Constraint.Atomic atomic -> List.of(explain(atomic, request));
            case Constraint.Logical logical -> switch (logical.operator()) {
                case AND -> {
                    List<DenialReason> reasons = new ArrayList<>();
                    for (Constraint operand : logical.constraints()) {
                        reasons.addAll(failures(operand, request, purposes));
                    }
                    yield reasons;
                }
                case OR, XONE -> List.of(explainAlternatives(logical, request, purposes));
            };
        };
    }

    private static DenialReason explainAlternatives(
            Constraint.Logical logical, AccessRequest request, PurposeHierarchy purposes) {
        String name = logical.operator().odrlName();
        List<Integer> holding = new ArrayList<>();
        List<String> why = new ArrayList<>();
        for (int i = 0; i < logical.constraints().size(); i++) {
            Constraint operand = logical.constraints().get(i);
            List<DenialReason> failed = failures(operand, request, purposes);
            if (failed.isEmpty()) {
                holding.add(i);
            } else {
                why.add(failed.stream().map(DenialReason::message).collect(Collectors.joining(" and ")));
            }
        }
        String message = holding.isEmpty()
                ? name + ": none of its " + logical.constraints().size() + " constraints holds (" + String.join("; ", why)
                        + ")"
                : name + ": exactly one constraint must hold, but constraints " + holding + " all do";
        return new DenialReason(ReasonCode.LOGICAL_CONSTRAINT_NOT_MET, message);
    }

    private static boolean holds(Constraint.Atomic constraint, AccessRequest request, PurposeHierarchy purposes) {
        Operator operator = constraint.operator();
        RightOperand right = constraint.rightOperand();
        return switch (constraint.leftOperand()) {
            case PURPOSE -> positive(operator) == withinAny(request.purpose(), right, purposes);
            case ORGANISATION -> positive(operator) == containsTerm(right, request.organisation());
            case ROLE -> roles(request.roles(), operator, right);
            case DATE_TIME -> compare(operator, request.time().compareTo(instant(right)));
            case ELAPSED_TIME -> compare(operator, elapsed(request).compareTo(duration(right)));
            case COUNT -> compare(operator, Long.compare(streamNumber(request), count(right)));
            case NODE_ID -> request.node().isPresent()
                    && positive(operator) == containsTerm(right, request.node().get().nodeId());
            case NODE_REGION -> request.node().flatMap(NodeIdentity::region).isPresent()
                    && positive(operator) == containsTerm(right, request.node().get().region().get());
        };
    }

    private static DenialReason explain(Constraint.Atomic constraint, AccessRequest request) {
        Operator operator = constraint.operator();
        RightOperand right = constraint.rightOperand();
        LeftOperand left = constraint.leftOperand();
        return switch (left) {
            case PURPOSE -> new DenialReason(ReasonCode.PURPOSE_NOT_PERMITTED,
                    single("purpose", request.purpose(), operator, right));
            case ORGANISATION -> new DenialReason(ReasonCode.ORGANISATION_NOT_PERMITTED,
                    single("organisation", request.organisation(), operator, right));
            case ROLE -> new DenialReason(ReasonCode.ROLE_NOT_PERMITTED, roleMessage(request.roles(), operator, right));
            case DATE_TIME -> new DenialReason(ReasonCode.OUTSIDE_VALIDITY_PERIOD,
                    "request time " + request.time() + " is not " + timeRelation(operator) + " " + instant(right));
            case ELAPSED_TIME -> new DenialReason(ReasonCode.GRANT_EXPIRED, "elapsed time " + elapsed(request)
                    + (request.grantIssuedAt().isPresent()
                            ? " since the grant was issued at " + request.grantIssuedAt().get()
                            : " (the grant is being issued)")
                    + " is not " + relation(operator) + " " + duration(right));
            case COUNT -> new DenialReason(ReasonCode.STREAM_QUOTA_EXCEEDED,
                    "stream " + streamNumber(request) + " of this grant is not " + relation(operator) + " " + count(right));
            case NODE_ID -> new DenialReason(ReasonCode.NODE_NOT_PERMITTED, request.node().isEmpty()
                    ? absent(constraint, "no node certificate was presented")
                    : single("nodeId", request.node().get().nodeId(), operator, right));
            case NODE_REGION -> new DenialReason(ReasonCode.NODE_NOT_PERMITTED, request.node().isEmpty()
                    ? absent(constraint, "no node certificate was presented")
                    : request.node().get().region().isEmpty()
                            ? absent(constraint, "the node certificate names no region")
                            : single("nodeRegion", request.node().get().region().get(), operator, right));
        };
    }

    private static String absent(Constraint.Atomic constraint, String why) {
        return constraint.leftOperand().odrlName() + " is absent (" + why + "), so "
                + constraint.leftOperand().odrlName() + " " + constraint.operator().odrlName() + " "
                + show(constraint.rightOperand()) + " is not met";
    }

    /** A single-valued operand: purpose, organisation, nodeId, nodeRegion. */
    private static String single(String name, String value, Operator operator, RightOperand right) {
        List<String> terms = terms(right);
        String subject = name + " '" + value + "'";
        return switch (operator) {
            case EQ -> subject + " is not '" + terms.getFirst() + "'";
            case NEQ -> subject + " must not be '" + terms.getFirst() + "'";
            case IS_ANY_OF -> subject + " is not one of " + terms;
            case IS_NONE_OF -> subject + " must not be one of " + terms;
            case IS_ALL_OF, LT, LTEQ, GT, GTEQ -> throw unreachable(name, operator);
        };
    }

    private static String roleMessage(Set<String> roles, Operator operator, RightOperand right) {
        List<String> terms = terms(right);
        String subject = "roles " + sorted(roles);
        return switch (operator) {
            case EQ -> subject + " do not include '" + terms.getFirst() + "'";
            case NEQ -> subject + " must not include '" + terms.getFirst() + "'";
            case IS_ANY_OF -> subject + " include none of " + terms;
            case IS_NONE_OF -> subject + " must not include any of " + terms;
            case IS_ALL_OF -> subject + " do not include all of " + terms;
            case LT, LTEQ, GT, GTEQ -> throw unreachable(LeftOperand.ROLE.odrlName(), operator);
        };
    }

    /** Roles are a set: eq means "has the role", isAnyOf "has one of them", isAllOf "has all of them". */
    private static boolean roles(Set<String> roles, Operator operator, RightOperand right) {
        return switch (operator) {
            case EQ, IS_ANY_OF -> anyRole(roles, right);
            case NEQ, IS_NONE_OF -> !anyRole(roles, right);
            case IS_ALL_OF -> {
                for (String term : terms(right)) {
                    if (!roles.contains(term)) {
                        yield false;
                    }
                }
                yield true;
            }
            case LT, LTEQ, GT, GTEQ -> throw unreachable(LeftOperand.ROLE.odrlName(), operator);
        };
    }

    private static boolean anyRole(Set<String> roles, RightOperand right) {
        return switch (right) {
            case RightOperand.Term(String value) -> roles.contains(value);
            case RightOperand.Terms(List<String> values) -> {
                for (int i = 0; i < values.size(); i++) {
                    if (roles.contains(values.get(i))) {
                        yield true;
                    }
                }
                yield false;
            }
            default -> throw new IllegalStateException("expected terms, was " + right);
        };
    }

    private static boolean withinAny(String purpose, RightOperand right, PurposeHierarchy purposes) {
        return switch (right) {
            case RightOperand.Term(String value) -> purposes.isWithin(purpose, value);
            case RightOperand.Terms(List<String> values) -> {
                for (int i = 0; i < values.size(); i++) {
                    if (purposes.isWithin(purpose, values.get(i))) {
                        yield true;
                    }
                }
                yield false;
            }
            default -> throw new IllegalStateException("expected terms, was " + right);
        };
    }

    private static boolean containsTerm(RightOperand right, String value) {
        return switch (right) {
            case RightOperand.Term(String term) -> term.equals(value);
            case RightOperand.Terms(List<String> values) -> values.contains(value);
            default -> throw new IllegalStateException("expected terms, was " + right);
        };
    }

    /** eq and isAnyOf hold when a term matches; neq and isNoneOf when none does. */
    private static boolean positive(Operator operator) {
        return switch (operator) {
            case EQ, IS_ANY_OF -> true;
            case NEQ, IS_NONE_OF -> false;
            case IS_ALL_OF, LT, LTEQ, GT, GTEQ -> throw new IllegalStateException(operator + " does not match terms");
        };
    }

    private static boolean compare(Operator operator, int order) {
        return switch (operator) {
            case EQ -> order == 0;
            case NEQ -> order != 0;
            case LT -> order < 0;
            case LTEQ -> order <= 0;
            case GT -> order > 0;
            case GTEQ -> order >= 0;
            case IS_ANY_OF, IS_NONE_OF, IS_ALL_OF -> throw new IllegalStateException(operator + " does not order");
        };
    }

    /** The number of the stream being opened: 1 for the first (and while the grant is decided). */
    static long streamNumber(AccessRequest request) {
        return request.streamsOpened() + 1;
    }

    /** Time since the grant was issued; zero while it is being issued, never negative. */
    static Duration elapsed(AccessRequest request) {
        if (request.grantIssuedAt().isEmpty()) {
            return Duration.ZERO;
        }
        Duration elapsed = Duration.between(request.grantIssuedAt().get(), request.time());
        return elapsed.isNegative() ? Duration.ZERO : elapsed;
    }

    static Instant instant(RightOperand right) {
        if (right instanceof RightOperand.DateTime(Instant value)) {
            return value;
        }
        throw new IllegalStateException("expected an instant, was " + right);
    }

    static Duration duration(RightOperand right) {
        if (right instanceof RightOperand.Duration(Duration value)) {
            return value;
        }
        throw new IllegalStateException("expected a duration, was " + right);
    }

    static long count(RightOperand right) {
        if (right instanceof RightOperand.Count(long value)) {
            return value;
        }
        throw new IllegalStateException("expected a count, was " + right);
    }

    private static String timeRelation(Operator operator) {
        return switch (operator) {
            case LT -> "before";
            case LTEQ -> "at or before";
            case GT -> "after";
            case GTEQ -> "at or after";
            case EQ, NEQ, IS_ANY_OF, IS_NONE_OF, IS_ALL_OF -> throw unreachable(LeftOperand.DATE_TIME.odrlName(), operator);
        };
    }

    private static String relation(Operator operator) {
        return switch (operator) {
            case EQ -> "exactly";
            case NEQ -> "other than";
            case LT -> "less than";
            case LTEQ -> "at most";
            case GT -> "more than";
            case GTEQ -> "at least";
            case IS_ANY_OF, IS_NONE_OF, IS_ALL_OF -> throw new IllegalStateException(operator + " does not order");
        };
    }

    /** The terms of a term-shaped right operand, in the order written. */
    static List<String> terms(RightOperand right) {
        return switch (right) {
            case RightOperand.Term(String value) -> List.of(value);
            case RightOperand.Terms(List<String> values) -> values;
            default -> throw new IllegalStateException("expected terms, was " + right);
        };
    }

    private static String show(RightOperand right) {
        return switch (right) {
            case RightOperand.Term(String value) -> "'" + value + "'";
            case RightOperand.Terms(List<String> values) -> values.toString();
            case RightOperand.DateTime(Instant value) -> value.toString();
            case RightOperand.Duration(Duration value) -> value.toString();
            case RightOperand.Count(long value) -> Long.toString(value);
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
