package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One ODRL rule of a {@link Policy}. Permissions and prohibitions are separate types because they
 * may carry different things (only a permission has duties; later, only a prohibition a remedy)
 * and are evaluated differently: a permission must apply for a grant, a prohibition must not.
 */
public sealed interface Rule {

    /** What the rule is about. */
    Action action();

    /** All must hold for the rule to apply; empty means the rule always applies. */
    List<Constraint> constraints();

    /**
     * Allows {@link #action()} when every constraint holds, on condition that the duties are
     * carried out on what leaves.
     *
     * @param action {@link Action#USE} or {@link Action#READ}: Sluice grants nothing else
     * @param constraints all must hold for the permission to apply
     * @param duties what the broker must do to the data before it leaves, in document order
     */
    record Permission(Action action, List<Constraint> constraints, List<Duty> duties) implements Rule {
        public Permission {
            requireNonNull(action, "action is null");
            if (!action.grantable()) {
                throw new IllegalArgumentException(
                        "a permission's action must be use or read, was " + action.odrlName());
            }
            constraints = List.copyOf(requireNonNull(constraints, "constraints is null"));
            duties = List.copyOf(requireNonNull(duties, "duties is null"));
        }
    }

    /**
     * Forbids {@link #action()} when every constraint holds, whatever the permissions say.
     *
     * @param action any action; one about {@link Action#DISTRIBUTE} never blocks a grant
     * @param constraints all must hold for the prohibition to apply
     */
    record Prohibition(Action action, List<Constraint> constraints) implements Rule {
        public Prohibition {
            requireNonNull(action, "action is null");
            constraints = List.copyOf(requireNonNull(constraints, "constraints is null"));
        }
    }
}
