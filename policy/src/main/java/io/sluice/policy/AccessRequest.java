package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the engine may look at when deciding a request: when a grant is requested, and again
 * when a stream is opened under it (then with {@link #grantIssuedAt()} and {@link #streamsOpened()}
 * filled in, and the grant's columns).
 *
 * @param organisation the requester's organisation (token claim)
 * @param roles the requester's realm roles
 * @param purpose the declared purpose
 * @param columns the columns asked for, in order; empty = every column the policy allows
 * @param time when the request is decided (the broker's clock)
 * @param project the project the grant is for; empty = the organisation (see {@link #effectiveProject()}).
 *     Pseudonyms are keyed per project.
 * @param grantIssuedAt when the grant was issued; empty while the grant itself is decided (elapsed
 *     time is then zero)
 * @param streamsOpened how many streams were opened under the grant before this one; 0 while the
 *     grant is decided
 * @param node the training node's certificate attributes, when it presented one
 */
public record AccessRequest(
        String organisation,
        Set<String> roles,
        String purpose,
        Optional<List<String>> columns,
        Instant time,
        Optional<String> project,
        Optional<Instant> grantIssuedAt,
        long streamsOpened,
        Optional<NodeIdentity> node) {
    public AccessRequest {
        requireNonNull(organisation, "organisation is null");
        roles = Set.copyOf(requireNonNull(roles, "roles is null"));
        requireNonNull(purpose, "purpose is null");
        columns = requireNonNull(columns, "columns is null").map(List::copyOf);
        requireNonNull(time, "time is null");
        requireNonNull(project, "project is null");
        if (project.isPresent() && project.get().isBlank()) {
            throw new IllegalArgumentException("a project must not be blank");
        }
        requireNonNull(grantIssuedAt, "grantIssuedAt is null");
        if (streamsOpened < 0) {
            throw new IllegalArgumentException("streamsOpened must be >= 0, was " + streamsOpened);
        }
        requireNonNull(node, "node is null");
    }

    /** A grant request: no project named, no grant yet, no stream opened, no node certificate. */
    public AccessRequest(
            String organisation, Set<String> roles, String purpose, Optional<List<String>> columns, Instant time) {
        this(organisation, roles, purpose, columns, time, Optional.empty(), Optional.empty(), 0, Optional.empty());
    }

    /** The project pseudonyms are keyed for: {@link #project()}, or else the organisation. */
    public String effectiveProject() {
        return project.orElse(organisation);
    }

    /** This request for {@code project}. */
    public AccessRequest withProject(String project) {
        return new AccessRequest(organisation, roles, purpose, columns, time, Optional.of(project), grantIssuedAt,
                streamsOpened, node);
    }

    /** This request for exactly {@code columns}, in that order. */
    public AccessRequest withColumns(List<String> columns) {
        return new AccessRequest(organisation, roles, purpose, Optional.of(columns), time, project, grantIssuedAt,
                streamsOpened, node);
    }

    /** This request made at {@code time}. */
    public AccessRequest at(Instant time) {
        return new AccessRequest(organisation, roles, purpose, columns, time, project, grantIssuedAt,
                streamsOpened, node);
    }

    /** This request as the opening of a stream under a grant issued at {@code issuedAt}. */
    public AccessRequest underGrant(Instant issuedAt, long streamsOpened) {
        return new AccessRequest(organisation, roles, purpose, columns, time, project, Optional.of(issuedAt),
                streamsOpened, node);
    }

    /** This request from a node that presented {@code node}'s certificate. */
    public AccessRequest fromNode(NodeIdentity node) {
        return new AccessRequest(organisation, roles, purpose, columns, time, project, grantIssuedAt,
                streamsOpened, Optional.of(node));
    }
}
