package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What the catalog shows a would-be consumer about a policy: never data, never secrets.
 *
 * @param purposes purposes some permission allows (empty when no permission restricts purpose)
 * @param organisations organisations some permission allows (empty when unrestricted)
 * @param columns the columns that can leave under some permission, in schema order
 * @param transforms the transforms applied to what leaves
 */
public record PolicyOffer(List<String> purposes, List<String> organisations, List<String> columns,
        List<Transform> transforms) {
    public PolicyOffer {
        purposes = List.copyOf(requireNonNull(purposes, "purposes is null"));
        organisations = List.copyOf(requireNonNull(organisations, "organisations is null"));
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        transforms = List.copyOf(requireNonNull(transforms, "transforms is null"));
    }
}
