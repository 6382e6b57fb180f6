package io.sluice.policy.internal;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Constraint;
import io.sluice.policy.OfferedPermission;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PolicyException;
import io.sluice.policy.PolicyOffer;
import io.sluice.policy.Rule;
import io.sluice.policy.Transform;
import io.sluice.policy.enforce.EnforcementPipeline;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Summarises a policy for the catalog: which purposes and organisations its permissions name
 * positively ({@code eq}, {@code isAnyOf}, at any depth of logical constraints), which columns can
 * leave under at least one permission, and what is done to them; and, per permission, what a grant
 * under it would deliver (columns, output schema, stream limit, expiry). A request for any set of offered
 * columns that one permission lets leave is permitted when that permission's constraints hold
 * ({@link DecisionEngine}). Stateless and thread-safe.
 */
public final class OfferBuilder {
    private OfferBuilder() {}

    /** See {@link io.sluice.policy.Policies#offer}. */
    public static PolicyOffer offer(Policy policy, Schema schema) {
        requireNonNull(policy, "policy is null");
        requireNonNull(schema, "schema is null");
        List<String> schemaColumns = schema.getFields().stream().map(Field::getName).toList();
        Set<String> purposes = new LinkedHashSet<>();
        Set<String> organisations = new LinkedHashSet<>();
        Set<String> leaving = new LinkedHashSet<>();
        Set<Transform> transforms = new LinkedHashSet<>();
        List<OfferedPermission> offered = new ArrayList<>();
        for (Rule.Permission permission : policy.permissions()) {
            named(permission.constraints(), purposes, organisations);
            PermissionEffect effect = PermissionEffect.of(permission, schemaColumns);
            if (!effect.remaining().isEmpty()) {
                List<Transform> its = effect.transforms(permission, effect.remaining());
                Optional<OfferedPermission> offer = offered(permission, effect.remaining(), its, schema);
                if (offer.isPresent()) {
                    leaving.addAll(effect.remaining());
                    transforms.addAll(its);
                    offered.add(offer.get());
                }
            }
        }
        List<String> columns = schemaColumns.stream().filter(leaving::contains).toList();
        return new PolicyOffer(List.copyOf(purposes), List.copyOf(organisations), columns, List.copyOf(transforms),
                offered, policy.prohibitions());
    }

    /**
     * What a grant under {@code permission} that names no columns would carry: the decision engine's
     * permit for it; empty when such a grant would be refused at grant time (a column of a type no
     * stream carries), so the catalog offers only what can be granted.
     */
    private static Optional<OfferedPermission> offered(
            Rule.Permission permission, List<String> columns, List<Transform> transforms, Schema schema) {
        PolicyDecision.Permit permit = new PolicyDecision.Permit(columns, transforms, permission.duties(),
                DecisionEngine.maxStreams(permission.constraints()),
                DecisionEngine.expiresAt(permission.constraints(), Optional.empty()));
        Schema output;
        try {
            output = EnforcementPipeline.outputSchema(permit, schema);
        } catch (PolicyException e) {
            return Optional.empty();
        }
        return Optional.of(new OfferedPermission(permission, columns, transforms, output, permit.maxStreams(),
                permit.expiresAt()));
    }

    private static void named(Collection<Constraint> constraints, Set<String> purposes, Set<String> organisations) {
        for (Constraint constraint : constraints) {
            switch (constraint) {
                case Constraint.Atomic atomic -> {
                    switch (atomic.leftOperand()) {
                        case PURPOSE -> purposes.addAll(allowedTerms(atomic));
                        case ORGANISATION -> organisations.addAll(allowedTerms(atomic));
                        case ROLE, DATE_TIME, ELAPSED_TIME, COUNT, NODE_ID, NODE_REGION -> { }
                    }
                }
                case Constraint.Logical logical -> named(logical.constraints(), purposes, organisations);
            }
        }
    }

    /** The terms a constraint allows by name; exclusions ({@code neq}, {@code isNoneOf}) name none. */
    private static List<String> allowedTerms(Constraint.Atomic constraint) {
        return switch (constraint.operator()) {
            case EQ, IS_ANY_OF -> ConstraintEvaluator.terms(constraint.rightOperand());
            case NEQ, IS_NONE_OF, IS_ALL_OF, LT, LTEQ, GT, GTEQ -> List.of();
        };
    }
}
