package io.sluice.broker.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.policy.filter.RowFilters;
import io.sluice.policy.filter.RowPredicate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Which parts of a row filter reach the connector: top-level columns only, never a nested field. */
class PushdownPredicatesTest {
    private static final Schema SCHEMA = new Schema(List.of(
            new Field("age", FieldType.nullable(new ArrowType.Int(32, true)), null),
            new Field("encounter", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                    new Field("status", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)))));
    private static final Set<String> COLUMNS = Set.of("age", "encounter");

    private static Optional<Predicate> pushed(String expression) {
        RowPredicate predicate = RowFilters.parse(expression, SCHEMA);
        return PushdownPredicates.translate(predicate, COLUMNS);
    }

    @Test
    void pushesAComparisonOfATopLevelColumn() {
        assertThat(pushed("age >= 18")).contains(Predicate.compare("age", Predicate.Operator.GE, Literal.of(18L)));
    }

    @Test
    void neverPushesAComparisonOfANestedField() {
        assertThat(pushed("encounter.status = 'finished'")).isEmpty();
        assertThat(pushed("encounter.status IS NULL")).isEmpty();
        assertThat(pushed("encounter.status IN ('a', 'b')")).isEmpty();
    }

    @Test
    void keepsTheTopLevelHalfOfAnAndAndDropsAnOrOrNotThatNeedsANestedField() {
        assertThat(pushed("age >= 18 AND encounter.status = 'finished'"))
                .contains(Predicate.compare("age", Predicate.Operator.GE, Literal.of(18L)));
        assertThat(pushed("age >= 18 OR encounter.status = 'finished'")).isEmpty();
        assertThat(pushed("NOT (age >= 18 AND encounter.status = 'finished')")).isEmpty();
    }
}
