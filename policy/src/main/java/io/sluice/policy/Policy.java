package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A usage policy a data owner attached to a dataset, parsed and checked so that deciding a request
 * can never meet a term it does not understand. Obtain one from {@link Policies#parse}; the
 * constructor is public so that tests and tools can build policies without JSON.
 *
 * <p>Immutable and thread-safe. The {@link #source()} text is kept so that the broker can store
 * and audit exactly what the owner wrote, while the rules are what decisions are made from.
 *
 * @param source the JSON text the policy was parsed from, exactly as given
 * @param uid the policy's ODRL {@code uid}, when the document names one
 * @param permissions what may be done and under which constraints and duties; a request is granted
 *     only through one of these (an empty list grants nothing)
 * @param prohibitions what must not be done; a matching prohibition wins over every permission
 * @param purposes how purposes nest, from the broker's configuration, for {@code purpose}
 *     constraints
 */
public record Policy(String source, Optional<String> uid, List<Rule.Permission> permissions,
        List<Rule.Prohibition> prohibitions, PurposeHierarchy purposes) {
    public Policy {
        requireNonNull(source, "source is null");
        requireNonNull(uid, "uid is null");
        permissions = List.copyOf(requireNonNull(permissions, "permissions is null"));
        prohibitions = List.copyOf(requireNonNull(prohibitions, "prohibitions is null"));
        requireNonNull(purposes, "purposes is null");
    }

    /** A policy read with {@link PurposeHierarchy#DEFAULT}. */
    public Policy(
            String source, Optional<String> uid, List<Rule.Permission> permissions, List<Rule.Prohibition> prohibitions) {
        this(source, uid, permissions, prohibitions, PurposeHierarchy.DEFAULT);
    }
}
