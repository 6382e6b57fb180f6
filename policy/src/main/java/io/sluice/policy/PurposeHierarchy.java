package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How declared purposes nest, from the broker's configuration: {@code model-training} under
 * {@code scientific-research} means a permission for scientific research also covers model
 * training, and a prohibition of scientific research also forbids it. A purpose not named here is a
 * purpose of its own with nothing above or below it. A tree: each purpose has at most one parent,
 * and no purpose is its own ancestor.
 *
 * <p>The hierarchy is also the broker's vocabulary of purposes ({@link #purposes()}): a policy that
 * names a purpose outside it names one no requester can be expected to ask for (a misspelling), and
 * the broker refuses it. A hierarchy that names no purpose at all ({@link #FLAT}) is no vocabulary.
 *
 * <p>Immutable and thread-safe.
 *
 * @param parents each narrower purpose mapped to the purpose directly above it
 * @param purposes every purpose the hierarchy names: those in {@code parents} and any that stand
 *     alone (a parent with no children)
 */
public record PurposeHierarchy(Map<String, String> parents, Set<String> purposes) {

    /** No nesting and no vocabulary: every purpose stands alone. */
    public static final PurposeHierarchy FLAT = new PurposeHierarchy(Map.of());

    /**
     * The hierarchy used when the broker configures none:
     *
     * <pre>
     * scientific-research
     *   medical-research
     *     clinical-research
     *     public-health
     *   model-training
     *   statistics
     * commercial
     *   marketing
     *   product-development
     * </pre>
     */
    public static final PurposeHierarchy DEFAULT = of(Map.of(
            "scientific-research", List.of("medical-research", "model-training", "statistics"),
            "medical-research", List.of("clinical-research", "public-health"),
            "commercial", List.of("marketing", "product-development")));

    public PurposeHierarchy {
        requireNonNull(parents, "parents is null");
        requireNonNull(purposes, "purposes is null");
        parents = Map.copyOf(parents);
        Set<String> named = new TreeSet<>(purposes);
        named.addAll(parents.keySet());
        named.addAll(parents.values());
        if (named.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("a purpose must not be blank, was " + named);
        }
        purposes = java.util.Collections.unmodifiableSet(named);
        for (Map.Entry<String, String> entry : parents.entrySet()) {
            if (entry.getKey().isBlank() || entry.getValue().isBlank()) {
                throw new IllegalArgumentException("a purpose must not be blank, was " + entry);
            }
        }
        for (String purpose : parents.keySet()) {
            Set<String> seen = new HashSet<>();
            for (String at = purpose; at != null; at = parents.get(at)) {
                if (!seen.add(at)) {
                    throw new IllegalArgumentException("purpose '" + purpose + "' is its own ancestor");
                }
            }
        }
    }

    /**
     * Builds a hierarchy from each purpose's narrower purposes, e.g.
     * {@code {"scientific-research": ["model-training"]}}.
     *
     * @throws IllegalArgumentException if a purpose is named under two parents, or the nesting
     *     has a cycle
     */
    public static PurposeHierarchy of(Map<String, List<String>> children) {
        requireNonNull(children, "children is null");
        Map<String, String> parents = new LinkedHashMap<>();
        children.forEach((parent, narrower) -> {
            for (String child : narrower) {
                String previous = parents.put(child, parent);
                if (previous != null && !previous.equals(parent)) {
                    throw new IllegalArgumentException("purpose '" + child + "' is under both '" + previous
                            + "' and '" + parent + "'; a purpose has at most one parent");
                }
            }
        });
        return new PurposeHierarchy(parents, children.keySet());
    }

    /** A hierarchy of these nestings whose vocabulary is the purposes they name. */
    public PurposeHierarchy(Map<String, String> parents) {
        this(parents, Set.of());
    }

    /** Whether this hierarchy names {@code purpose}; always true when it names none (no vocabulary). */
    public boolean knows(String purpose) {
        requireNonNull(purpose, "purpose is null");
        return purposes.isEmpty() || purposes.contains(purpose);
    }

    /** The purpose directly above {@code purpose}, if any. */
    public Optional<String> parent(String purpose) {
        return Optional.ofNullable(parents.get(requireNonNull(purpose, "purpose is null")));
    }

    /** {@code purpose} and every purpose above it, nearest first. */
    public List<String> lineage(String purpose) {
        List<String> lineage = new ArrayList<>();
        for (String at = requireNonNull(purpose, "purpose is null"); at != null; at = parents.get(at)) {
            lineage.add(at);
        }
        return lineage;
    }

    /** Whether {@code purpose} is {@code broader} or lies (at any depth) under it. */
    public boolean isWithin(String purpose, String broader) {
        requireNonNull(broader, "broader is null");
        for (String at = requireNonNull(purpose, "purpose is null"); at != null; at = parents.get(at)) {
            if (at.equals(broader)) {
                return true;
            }
        }
        return false;
    }
}
