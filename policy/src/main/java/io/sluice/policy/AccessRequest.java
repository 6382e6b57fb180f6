package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the engine may look at when deciding one grant request.
 *
 * @param organisation the requester's organisation (token claim)
 * @param roles the requester's realm roles
 * @param purpose the declared purpose
 * @param columns the columns asked for, in order; empty = every column the policy allows
 * @param time when the request is decided
 */
public record AccessRequest(
        String organisation, Set<String> roles, String purpose, Optional<List<String>> columns, Instant time) {
    public AccessRequest {
        requireNonNull(organisation, "organisation is null");
        roles = Set.copyOf(requireNonNull(roles, "roles is null"));
        requireNonNull(purpose, "purpose is null");
        columns = requireNonNull(columns, "columns is null").map(List::copyOf);
        requireNonNull(time, "time is null");
    }
}
