package io.sluice.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PolicyModelTest {

    @Test
    void refusesAnOperatorTheOperandDoesNotTake() {
        assertThatThrownBy(() -> new Constraint.Atomic(
                        LeftOperand.PURPOSE, Operator.LT, new RightOperand.DateTime(Instant.EPOCH)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("operator lt does not apply to purpose, which takes eq, neq, isAnyOf, isNoneOf");
    }

    @Test
    void refusesARightOperandOfTheWrongShape() {
        assertThatThrownBy(() -> new Constraint.Atomic(
                        LeftOperand.ROLE, Operator.IS_ANY_OF, new RightOperand.Term("researcher")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("operator isAnyOf cannot take right operand Term[value=researcher]");
    }

    @Test
    void refusesAPermissionToDistribute() {
        assertThatThrownBy(() -> new Rule.Permission(Action.DISTRIBUTE, List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a permission's action must be use or read, was distribute");
    }

    @Test
    void refusesEmptyOrBlankValues() {
        assertThatThrownBy(() -> new RightOperand.Terms(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a list of terms must not be empty");
        assertThatThrownBy(() -> new RightOperand.Term(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a term must not be blank");
        assertThatThrownBy(() -> new Duty.Drop(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a drop needs at least one column");
    }

    @Test
    void namesEachDroppedColumnOnce() {
        assertThat(new Duty.Drop(List.of("name", "address", "name")).columns()).containsExactly("name", "address");
    }

    @Test
    void copiesItsLists() {
        List<Rule.Permission> permissions = new ArrayList<>(List.of(new Rule.Permission(Action.USE, List.of(), List.of())));
        Policy policy = new Policy("{}", Optional.empty(), permissions, List.of());

        permissions.clear();

        assertThat(policy.permissions()).hasSize(1);
        assertThatThrownBy(() -> policy.permissions().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
