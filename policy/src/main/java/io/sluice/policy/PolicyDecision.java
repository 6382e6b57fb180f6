package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The outcome of one decision: a permit with what may leave, or a denial with coded reasons. */
public sealed interface PolicyDecision {

    /**
     * @param columns the columns that may be streamed, in output order (requested order, or
     *     schema order when none were requested); never contains a dropped column
     * @param transforms what the broker must apply, for the grant record and the consumer
     */
    record Permit(List<String> columns, List<Transform> transforms) implements PolicyDecision {
        public Permit {
            columns = List.copyOf(requireNonNull(columns, "columns is null"));
            transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
        }
    }

    /** @param reasons never empty */
    record Deny(List<DenialReason> reasons) implements PolicyDecision {
        public Deny {
            reasons = List.copyOf(requireNonNull(reasons, "reasons is null"));
            if (reasons.isEmpty()) {
                throw new IllegalArgumentException("a denial needs at least one reason");
            }
        }
    }
}
