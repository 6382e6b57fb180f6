package io.sluice.broker.auth;

import static java.util.Objects.requireNonNull;

import io.sluice.broker.audit.Actor;
import java.util.List;
import java.util.Set;

/** Who a verified bearer token says the caller is. */
public record Identity(String subject, String organisation, Set<String> roles) {

    public static final String DATA_OWNER = "data-owner";
    public static final String DATA_CONSUMER = "data-consumer";
    public static final String COMPLIANCE_OFFICER = "compliance-officer";
    public static final String ADMIN = "admin";

    /** The realm roles Sluice knows. */
    public static final Set<String> KNOWN_ROLES = Set.of(DATA_OWNER, DATA_CONSUMER, COMPLIANCE_OFFICER, ADMIN);

    public Identity {
        requireNonNull(subject, "subject is null");
        requireNonNull(organisation, "organisation is null");
        roles = Set.copyOf(requireNonNull(roles, "roles is null"));
    }

    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    public Actor actor() {
        return new Actor(subject, organisation, List.copyOf(new java.util.TreeSet<>(roles)));
    }
}
