package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.filter.RowPredicate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** The outcome of one decision: a permit with what may leave, or a denial with coded reasons. */
public sealed interface PolicyDecision {

    /**
     * @param columns the columns that may be streamed, in output order (requested order, or
     *     schema order when none were requested); never contains a dropped column
     * @param transforms what the broker applies, as reported to the consumer and in the grant
     *     record: one {@code drop} for all dropped columns, then the other duties in document order,
     *     each limited to the leaving columns (a row filter always)
     * @param duties the deciding permission's duties, the executable form of {@code transforms}:
     *     what {@link io.sluice.policy.enforce.EnforcementPipeline} compiles
     * @param maxStreams the most streams the deciding permission's top-level {@code count}
     *     constraints allow, if any (a hint for the grant response; every stream is decided anew)
     * @param expiresAt the first instant at which the deciding permission's top-level
     *     {@code dateTime} or {@code elapsedTime} upper bounds stop holding, if any
     */
    record Permit(List<String> columns, List<Transform> transforms, List<Duty> duties, OptionalLong maxStreams,
            Optional<Instant> expiresAt) implements PolicyDecision {
        public Permit {
            columns = List.copyOf(requireNonNull(columns, "columns is null"));
            transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
            duties = List.copyOf(requireNonNull(duties, "duties is null"));
            requireNonNull(maxStreams, "maxStreams is null");
            requireNonNull(expiresAt, "expiresAt is null");
        }

        /** A permit without duties or limits: columns and reported transforms only. */
        public Permit(List<String> columns, List<Transform> transforms) {
            this(columns, transforms, List.of(), OptionalLong.empty(), Optional.empty());
        }

        /**
         * The row filters of {@link #duties()} as one predicate (their conjunction), if any: what the
         * broker may hand a connector for pushdown. The pipeline applies it again regardless, so a
         * connector that ignores it, or pushes it down only in part, is still correct.
         */
        public Optional<RowPredicate> rowPredicate() {
            List<RowPredicate> filters = duties.stream()
                    .filter(duty -> duty instanceof Duty.RowFilter)
                    .map(duty -> ((Duty.RowFilter) duty).predicate())
                    .toList();
            return switch (filters.size()) {
                case 0 -> Optional.empty();
                case 1 -> Optional.of(filters.getFirst());
                default -> Optional.of(new RowPredicate.And(filters));
            };
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
