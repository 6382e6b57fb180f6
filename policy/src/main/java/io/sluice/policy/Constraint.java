package io.sluice.policy;

import static java.util.Objects.requireNonNull;

/**
 * A condition on the request under which a {@link Rule} applies. Sealed so that every evaluation
 * is an exhaustive {@code switch}: adding ODRL logical constraints ({@code and}, {@code or},
 * {@code xone}) later as a new permitted record makes the compiler point at every place that has
 * to learn them.
 */
public sealed interface Constraint {

    /**
     * Compares one fact about the request with a value the owner wrote, e.g.
     * {@code purpose isAnyOf [medical-research]}. The constructor admits only the combinations
     * Sluice can evaluate, so evaluation never meets a nonsensical one.
     *
     * @param leftOperand the fact about the request
     * @param operator how it is compared; one of {@link LeftOperand#operators()}
     * @param rightOperand the owner's value; of the shape {@link Operator#accepts} requires
     */
    record Atomic(LeftOperand leftOperand, Operator operator, RightOperand rightOperand) implements Constraint {
        public Atomic {
            requireNonNull(leftOperand, "leftOperand is null");
            requireNonNull(operator, "operator is null");
            requireNonNull(rightOperand, "rightOperand is null");
            if (!leftOperand.operators().contains(operator)) {
                throw new IllegalArgumentException("operator " + operator.odrlName() + " does not apply to "
                        + leftOperand.odrlName() + ", which takes " + leftOperand.operatorNames());
            }
            if (!operator.accepts(rightOperand)) {
                throw new IllegalArgumentException(
                        "operator " + operator.odrlName() + " cannot take right operand " + rightOperand);
            }
        }
    }
}
