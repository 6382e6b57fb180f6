package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the catalog shows a would-be consumer about a policy: never data, never secrets.
 *
 * @param purposes purposes some permission allows (empty when no permission restricts purpose)
 * @param organisations organisations some permission allows (empty when unrestricted)
 * @param columns the columns that can leave under some permission, in schema order
 * @param transforms the transforms applied to what leaves
 * @param permissions each permission that lets something leave, in document order, with what it delivers
 * @param prohibitions the policy's prohibitions, in document order
 */
public record PolicyOffer(List<String> purposes, List<String> organisations, List<String> columns,
        List<Transform> transforms, List<OfferedPermission> permissions, List<Rule.Prohibition> prohibitions) {
    public PolicyOffer {
        purposes = List.copyOf(requireNonNull(purposes, "purposes is null"));
        organisations = List.copyOf(requireNonNull(organisations, "organisations is null"));
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
        permissions = List.copyOf(requireNonNull(permissions, "permissions is null"));
        prohibitions = List.copyOf(requireNonNull(prohibitions, "prohibitions is null"));
    }

    /**
     * The most streams one grant could be allowed: the largest limit among the offered permissions,
     * or empty when one of them has no limit (or none is offered).
     */
    public OptionalLong maxStreams() {
        if (permissions.isEmpty() || permissions.stream().anyMatch(p -> p.maxStreams().isEmpty())) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(permissions.stream().mapToLong(p -> p.maxStreams().getAsLong()).max().orElseThrow());
    }

    /**
     * The last instant any grant could still be issued or used: the latest expiry among the offered
     * permissions, or empty when one of them has none (or none is offered).
     */
    public Optional<Instant> expiresAt() {
        if (permissions.isEmpty() || permissions.stream().anyMatch(p -> p.expiresAt().isEmpty())) {
            return Optional.empty();
        }
        return permissions.stream().map(p -> p.expiresAt().orElseThrow()).max(Instant::compareTo);
    }
}
