package io.sluice.policy.internal;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.Constraint;
import io.sluice.policy.DenialReason;
import io.sluice.policy.LogicalOperator;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PurposeHierarchy;
import io.sluice.policy.ReasonCode;
import io.sluice.policy.Rule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Decides one request (always a request to use the data) against a policy. The combining rules:
 *
 * <ol>
 *   <li>a use/read prohibition whose constraints all hold denies ({@code PROHIBITED}), whatever
 *       the permissions say; every matching prohibition is a reason;
 *   <li>a policy without permissions denies ({@code NO_PERMISSION});
 *   <li>a permission applies when every one of its constraints holds (logical constraints by their
 *       own rule: {@code and} all, {@code or} at least one, {@code xone} exactly one);
 *   <li>the first permission, in document order, that applies <em>and</em> lets every requested
 *       column leave (or, when none were requested, lets at least one column leave) decides, with
 *       its duties;
 *   <li>when none does, the denial lists, each once and in document order, why each permission
 *       failed: its failing constraints, or the requested columns it drops.
 * </ol>
 *
 * So a request is permitted exactly when some single permission could serve it, which is what the
 * offer ({@link OfferBuilder}) promises column by column. Stateless, deterministic, thread-safe.
 */
public final class DecisionEngine {
    private DecisionEngine() {}

    /** See {@link io.sluice.policy.Policies#decide}. */
    public static PolicyDecision decide(Policy policy, Schema schema, AccessRequest request) {
        requireNonNull(policy, "policy is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(request, "request is null");
        List<String> schemaColumns = columns(schema);
        List<String> requested = requestedColumns(request, schemaColumns);
        PurposeHierarchy purposes = policy.purposes();

        List<DenialReason> prohibited = prohibitions(policy.prohibitions(), request, purposes);
        if (!prohibited.isEmpty()) {
            return new PolicyDecision.Deny(prohibited);
        }
        if (policy.permissions().isEmpty()) {
            return deny(ReasonCode.NO_PERMISSION, "the policy permits nothing");
        }
        // Fast path: no reason is built unless every permission fails.
        for (Rule.Permission permission : policy.permissions()) {
            if (ConstraintEvaluator.allHold(permission.constraints(), request, purposes)) {
                PermissionEffect effect = PermissionEffect.of(permission, schemaColumns);
                if (serves(effect, requested)) {
                    return permit(permission, effect, requested, request);
                }
            }
        }
        Set<DenialReason> failures = new LinkedHashSet<>();
        for (int i = 0; i < policy.permissions().size(); i++) {
            Rule.Permission permission = policy.permissions().get(i);
            String where = "permission[" + i + "]";
            for (Constraint constraint : permission.constraints()) {
                failures.addAll(ConstraintEvaluator.failures(constraint, request, purposes));
            }
            if (ConstraintEvaluator.allHold(permission.constraints(), request, purposes)) {
                PermissionEffect effect = PermissionEffect.of(permission, schemaColumns);
                for (String column : requested) {
                    if (effect.dropped().contains(column)) {
                        failures.add(new DenialReason(ReasonCode.COLUMN_NOT_PERMITTED,
                                "column '" + column + "' may not leave: " + where + " drops it"));
                    }
                }
                if (requested.isEmpty() && effect.remaining().isEmpty()) {
                    failures.add(new DenialReason(ReasonCode.COLUMN_NOT_PERMITTED,
                            where + " drops every column; nothing may leave"));
                }
            }
        }
        return new PolicyDecision.Deny(List.copyOf(failures));
    }

    private static List<String> columns(Schema schema) {
        List<Field> fields = schema.getFields();
        List<String> columns = new ArrayList<>(fields.size());
        for (Field field : fields) {
            columns.add(field.getName());
        }
        return columns;
    }

    /** The requested columns, each once, in request order; empty when the request names none. */
    private static List<String> requestedColumns(AccessRequest request, List<String> schemaColumns) {
        if (request.columns().isEmpty()) {
            return List.of();
        }
        List<String> requested = request.columns().get();
        for (String column : requested) {
            if (!schemaColumns.contains(column)) {
                throw new IllegalArgumentException("requested column '" + column
                        + "' is not in the dataset; it has columns " + schemaColumns);
            }
        }
        return List.copyOf(new LinkedHashSet<>(requested));
    }

    private static boolean serves(PermissionEffect effect, List<String> requested) {
        if (requested.isEmpty()) {
            return !effect.remaining().isEmpty();
        }
        for (String column : requested) {
            if (effect.dropped().contains(column)) {
                return false;
            }
        }
        return true;
    }

    private static List<DenialReason> prohibitions(
            List<Rule.Prohibition> prohibitions, AccessRequest request, PurposeHierarchy purposes) {
        List<DenialReason> reasons = List.of();
        for (int i = 0; i < prohibitions.size(); i++) {
            Rule.Prohibition prohibition = prohibitions.get(i);
            if (prohibition.action().grantable()
                    && ConstraintEvaluator.allHold(prohibition.constraints(), request, purposes)) {
                if (reasons.isEmpty()) {
                    reasons = new ArrayList<>();
                }
                reasons.add(new DenialReason(ReasonCode.PROHIBITED,
                        "prohibition[" + i + "] forbids " + prohibition.action().odrlName() + " of this dataset"
                                + (prohibition.constraints().isEmpty() ? "" : " for this request")));
            }
        }
        return reasons;
    }

    private static PolicyDecision permit(
            Rule.Permission permission, PermissionEffect effect, List<String> requested, AccessRequest request) {
        List<String> columns = requested.isEmpty() ? effect.remaining() : requested;
        return new PolicyDecision.Permit(columns, effect.transforms(permission, columns), permission.duties(),
                maxStreams(permission.constraints()),
                expiresAt(permission.constraints(), Optional.of(request.grantIssuedAt().orElse(request.time()))));
    }

    /** The tightest stream limit among the top-level (and {@code and}-nested) count constraints. */
    static OptionalLong maxStreams(List<Constraint> constraints) {
        long max = Long.MAX_VALUE;
        boolean limited = false;
        for (Constraint.Atomic atomic : conjuncts(constraints)) {
            switch (atomic.leftOperand()) {
                case COUNT -> {
                    long value = ConstraintEvaluator.count(atomic.rightOperand());
                    long limit = switch (atomic.operator()) {
                        case EQ, LTEQ -> value;
                        case LT -> value - 1;
                        default -> Long.MAX_VALUE;
                    };
                    if (limit != Long.MAX_VALUE) {
                        limited = true;
                        max = Math.min(max, Math.max(0, limit));
                    }
                }
                default -> { }
            }
        }
        return limited ? OptionalLong.of(max) : OptionalLong.empty();
    }

    /**
     * The earliest instant at which an upper time bound among the conjuncts stops holding.
     *
     * @param issued when the grant was (or is being) issued, for {@code elapsedTime} bounds; empty
     *     counts only {@code dateTime} bounds, as the catalog does before any grant exists
     */
    static Optional<Instant> expiresAt(List<Constraint> constraints, Optional<Instant> issued) {
        Instant earliest = null;
        for (Constraint.Atomic atomic : conjuncts(constraints)) {
            Instant bound = switch (atomic.leftOperand()) {
                case DATE_TIME -> switch (atomic.operator()) {
                    case LT -> ConstraintEvaluator.instant(atomic.rightOperand());
                    case LTEQ -> ConstraintEvaluator.instant(atomic.rightOperand()).plusNanos(1);
                    default -> null;
                };
                case ELAPSED_TIME -> issued.isEmpty() ? null : switch (atomic.operator()) {
                    case LT -> issued.get().plus(ConstraintEvaluator.duration(atomic.rightOperand()));
                    case LTEQ -> issued.get().plus(ConstraintEvaluator.duration(atomic.rightOperand())).plusNanos(1);
                    default -> null;
                };
                default -> null;
            };
            if (bound != null && (earliest == null || bound.isBefore(earliest))) {
                earliest = bound;
            }
        }
        return Optional.ofNullable(earliest);
    }

    /** The atomic constraints that must all hold: top level and inside {@code and}. */
    private static List<Constraint.Atomic> conjuncts(List<Constraint> constraints) {
        List<Constraint.Atomic> atomics = new ArrayList<>();
        for (Constraint constraint : constraints) {
            switch (constraint) {
                case Constraint.Atomic atomic -> atomics.add(atomic);
                case Constraint.Logical logical -> {
                    if (logical.operator() == LogicalOperator.AND) {
                        atomics.addAll(conjuncts(logical.constraints()));
                    }
                }
            }
        }
        return atomics;
    }

    private static PolicyDecision deny(ReasonCode code, String message) {
        return new PolicyDecision.Deny(List.of(new DenialReason(code, message)));
    }
}
