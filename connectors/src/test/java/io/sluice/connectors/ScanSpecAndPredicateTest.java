package io.sluice.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class ScanSpecAndPredicateTest {

    @Test
    void ofMeansAllRowsNoPredicateOneShard() {
        ScanSpec spec = ScanSpec.of(List.of("a", "b"));

        assertThat(spec).isEqualTo(new ScanSpec(List.of("a", "b"), ScanSpec.DEFAULT_BATCH_ROWS, Optional.empty(), 0, 1));
        assertThat(new ScanSpec(List.of("a"), 10)).isEqualTo(new ScanSpec(List.of("a"), 10, Optional.empty(), 0, 1));
    }

    @Test
    void withersChangeOneThingEach() {
        Predicate predicate = Predicate.eq("a", Literal.of(1L));
        ScanSpec spec = ScanSpec.of(List.of("a")).withShard(2, 3).withPredicate(predicate).withBatchRows(99);

        assertThat(spec).isEqualTo(new ScanSpec(List.of("a"), 99, Optional.of(predicate), 2, 3));
    }

    @Test
    void refusesShardsOutsideTheirRangeStatingTheRule() {
        assertThatThrownBy(() -> ScanSpec.of(List.of("a")).withShard(3, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shard must be >= 0 and < shards (3), was 3");
        assertThatThrownBy(() -> ScanSpec.of(List.of("a")).withShard(0, 0))
                .hasMessage("shards must be >= 1, was 0");
        assertThatThrownBy(() -> ScanSpec.of(List.of("a", "a"))).hasMessage("columns must not repeat, were [a, a]");
    }

    @Test
    void pushesNotDownToTheLeaves() {
        Predicate predicate = Predicate.not(Predicate.or(
                Predicate.lt("age", Literal.of(18L)),
                Predicate.in("ward", List.of(Literal.of("a"), Literal.of("b"))),
                Predicate.not(Predicate.isNull("consent"))));

        assertThat(predicate.withoutNot()).isEqualTo(Predicate.and(
                Predicate.ge("age", Literal.of(18L)),
                Predicate.and(Predicate.ne("ward", Literal.of("a")), Predicate.ne("ward", Literal.of("b"))),
                Predicate.isNull("consent")));
        assertThat(predicate.describe()).isEqualTo("NOT (age < 18 OR ward IN ('a', 'b') OR NOT consent IS NULL)");
        assertThat(predicate.columns()).containsExactly("age", "ward", "consent");
    }

    @Test
    void checksColumnsAndLiteralTypesAgainstASchema() {
        Schema schema = new Schema(List.of(
                new Field("age", FieldType.nullable(new ArrowType.Int(32, true)), null),
                new Field("born", FieldType.nullable(new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.DAY)), null)));

        Predicate.and(Predicate.ge("age", Literal.of(1.5)), Predicate.lt("born", Literal.of(LocalDate.EPOCH)))
                .checkAgainst(schema, "t.parquet");
        assertThatThrownBy(() -> Predicate.eq("born", Literal.of(true)).checkAgainst(schema, "t.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_PREDICATE))
                .hasMessage("the predicate compares column 'born' of type Date(DAY) with a bool literal");
        assertThatThrownBy(() -> Predicate.isNull("name").checkAgainst(schema, "t.parquet"))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNKNOWN_COLUMN))
                .hasMessage("the predicate names unknown column 'name' of t.parquet; available columns: [age, born]");
    }

    @Test
    void errorCodesKeepTheirNumbersAndCategories() {
        assertThat(ConnectorErrorCode.SOURCE_CHANGED.code()).isEqualTo(2009);
        assertThat(ConnectorErrorCode.HOST_NOT_ALLOWED.category()).isEqualTo(ConnectorErrorCode.Category.USER);
        assertThat(ConnectorErrorCode.MEMORY_BOUND_EXCEEDED.category()).isEqualTo(ConnectorErrorCode.Category.RESOURCES);
        assertThat(ConnectorErrorCode.CORRUPT_SOURCE.code()).isEqualTo(2005);
    }

    @Test
    void discoversEverySourceType() {
        Connectors connectors = Connectors.discover();
        for (String type : List.of("parquet", "csv", "jdbc")) {
            assertThat(connectors.factory(type).name()).isEqualTo(type);
        }
    }
}
