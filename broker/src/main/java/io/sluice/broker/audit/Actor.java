package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** Who acted, as the verified token said; {@link #anonymous()} when no token could be verified. */
public record Actor(String subject, String organisation, List<String> roles) {
    public Actor {
        requireNonNull(subject, "subject is null");
        requireNonNull(organisation, "organisation is null");
        roles = List.copyOf(requireNonNull(roles, "roles is null"));
    }

    public static Actor anonymous() {
        return new Actor("anonymous", "", List.of());
    }
}
