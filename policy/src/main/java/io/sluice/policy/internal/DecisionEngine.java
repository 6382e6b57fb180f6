package io.sluice.policy.internal;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.AccessRequest;
import io.sluice.policy.Constraint;
import io.sluice.policy.DenialReason;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.ReasonCode;
import io.sluice.policy.Rule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Decides one grant request (always a request to use the data) against a policy:
 *
 * <ol>
 *   <li>a use/read prohibition whose constraints all hold denies ({@code PROHIBITED});
 *   <li>otherwise the first permission whose constraints all hold decides; if none does, the
 *       denial lists every failing constraint of every permission, each reason once;
 *   <li>the permitted columns are the requested ones (or all, in schema order) minus what that
 *       permission drops; asking for a dropped column, or being left with none, denies
 *       ({@code COLUMN_NOT_PERMITTED}).
 * </ol>
 *
 * Stateless and thread-safe.
 */
public final class DecisionEngine {
    private DecisionEngine() {}

    /** See {@link io.sluice.policy.Policies#decide}. */
    public static PolicyDecision decide(Policy policy, Schema schema, AccessRequest request) {
        requireNonNull(policy, "policy is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(request, "request is null");
        List<String> schemaColumns = schema.getFields().stream().map(Field::getName).toList();
        List<String> requested = requestedColumns(request, schemaColumns);

        List<DenialReason> prohibited = prohibitions(policy.prohibitions(), request);
        if (!prohibited.isEmpty()) {
            return new PolicyDecision.Deny(prohibited);
        }
        if (policy.permissions().isEmpty()) {
            return deny(ReasonCode.NO_PERMISSION, "the policy permits nothing");
        }
        Set<DenialReason> failures = new LinkedHashSet<>();
        for (int i = 0; i < policy.permissions().size(); i++) {
            Rule.Permission permission = policy.permissions().get(i);
            List<DenialReason> failed = failures(permission.constraints(), request);
            if (failed.isEmpty()) {
                return permit(permission, "permission[" + i + "]", schemaColumns, requested);
            }
            failures.addAll(failed);
        }
        return new PolicyDecision.Deny(List.copyOf(failures));
    }

    /** The requested columns, each once, in request order; empty when the request names none. */
    private static List<String> requestedColumns(AccessRequest request, List<String> schemaColumns) {
        List<String> requested = request.columns().orElse(List.of());
        for (String column : requested) {
            if (!schemaColumns.contains(column)) {
                throw new IllegalArgumentException("requested column '" + column
                        + "' is not in the dataset; it has columns " + schemaColumns);
            }
        }
        return List.copyOf(new LinkedHashSet<>(requested));
    }

    private static List<DenialReason> prohibitions(List<Rule.Prohibition> prohibitions, AccessRequest request) {
        List<DenialReason> reasons = new ArrayList<>();
        for (int i = 0; i < prohibitions.size(); i++) {
            Rule.Prohibition prohibition = prohibitions.get(i);
            if (prohibition.action().grantable() && ConstraintEvaluator.allHold(prohibition.constraints(), request)) {
                reasons.add(new DenialReason(ReasonCode.PROHIBITED,
                        "prohibition[" + i + "] forbids " + prohibition.action().odrlName() + " of this dataset"
                                + (prohibition.constraints().isEmpty() ? "" : " for this request")));
            }
        }
        return reasons;
    }

    private static List<DenialReason> failures(List<Constraint> constraints, AccessRequest request) {
        List<DenialReason> reasons = new ArrayList<>();
        for (Constraint constraint : constraints) {
            ConstraintEvaluator.failure(constraint, request).ifPresent(reasons::add);
        }
        return reasons;
    }

    private static PolicyDecision permit(
            Rule.Permission permission, String where, List<String> schemaColumns, List<String> requested) {
        PermissionEffect effect = PermissionEffect.of(permission, schemaColumns);
        List<DenialReason> refused = requested.stream()
                .filter(effect.dropped()::contains)
                .map(column -> new DenialReason(ReasonCode.COLUMN_NOT_PERMITTED,
                        "column '" + column + "' may not leave: " + where + " drops it"))
                .toList();
        if (!refused.isEmpty()) {
            return new PolicyDecision.Deny(refused);
        }
        List<String> columns = requested.isEmpty() ? effect.remaining() : requested;
        if (columns.isEmpty()) {
            return deny(ReasonCode.COLUMN_NOT_PERMITTED, where + " drops every column; nothing may leave");
        }
        return new PolicyDecision.Permit(columns, effect.transform().stream().toList());
    }

    private static PolicyDecision deny(ReasonCode code, String message) {
        return new PolicyDecision.Deny(List.of(new DenialReason(code, message)));
    }
}
