package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A condition on the request under which a {@link Rule} applies. Sealed so that every evaluation
 * is an exhaustive {@code switch}: a new kind of constraint makes the compiler point at every place
 * that has to learn it.
 */
public sealed interface Constraint {

    /**
     * Compares one fact about the request with a value the owner wrote, e.g.
     * {@code purpose isAnyOf [medical-research]}. The constructor admits only the combinations
     * Sluice can evaluate, so evaluation never meets a nonsensical one.
     *
     * @param leftOperand the fact about the request
     * @param operator how it is compared; one of {@link LeftOperand#operators()}
     * @param rightOperand the owner's value; of the shape {@link Operator#accepts} requires and of
     *     the {@link LeftOperand#kind()} the operand is compared with
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
            if (!leftOperand.kind().accepts(rightOperand)) {
                throw new IllegalArgumentException(leftOperand.odrlName() + " cannot be compared with " + rightOperand);
            }
        }
    }

    /**
     * An ODRL logical constraint: {@code {"and": [c1, c2]}}, {@code {"or": [...]}},
     * {@code {"xone": [...]}}. Operands may themselves be logical.
     *
     * @param operator how the operands combine
     * @param constraints two or more operands, in the order written
     */
    record Logical(LogicalOperator operator, List<Constraint> constraints) implements Constraint {
        public Logical {
            requireNonNull(operator, "operator is null");
            constraints = List.copyOf(requireNonNull(constraints, "constraints is null"));
            if (constraints.size() < 2) {
                throw new IllegalArgumentException("a logical constraint needs at least two operands, was "
                        + constraints.size());
            }
        }
    }
}
