package io.sluice.policy.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RowFilterParserTest {
    static final Schema SCHEMA = new Schema(List.of(
            field("age", new ArrowType.Int(32, true)),
            field("consent", ArrowType.Bool.INSTANCE),
            field("name", ArrowType.Utf8.INSTANCE),
            field("weight", new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)),
            field("born", new ArrowType.Date(DateUnit.DAY)),
            field("seen", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            field("blood type", ArrowType.Utf8.INSTANCE),
            field("scan", ArrowType.Binary.INSTANCE)));

    @Test
    void parsesTheDesignExample() {
        assertThat(RowFilters.parse("consent = true AND age >= 18", SCHEMA)).isEqualTo(new RowPredicate.And(List.of(
                new RowPredicate.Compare("consent", ComparisonOperator.EQ, new Literal.Bool(true)),
                new RowPredicate.Compare("age", ComparisonOperator.GTEQ, new Literal.Int(18)))));
    }

    @Test
    void parsesEveryFormIntoTheStructuredModel() {
        RowPredicate predicate = RowFilters.parse("""
                NOT (age BETWEEN 18 AND 65) OR "blood type" IN ('A+', 'O''') AND consent
                or name is not null and born < date '2000-01-01' and seen >= TIMESTAMP '2020-01-01 12:30:00'
                or 1.5 < weight or age not in (1, -2) or weight <> -0.5 or name IS NULL
                """, SCHEMA);

        assertThat(predicate).isEqualTo(new RowPredicate.Or(List.of(
                new RowPredicate.Not(new RowPredicate.And(List.of(
                        new RowPredicate.Compare("age", ComparisonOperator.GTEQ, new Literal.Int(18)),
                        new RowPredicate.Compare("age", ComparisonOperator.LTEQ, new Literal.Int(65))))),
                new RowPredicate.And(List.of(
                        new RowPredicate.In("blood type", List.of(new Literal.Text("A+"), new Literal.Text("O'"))),
                        new RowPredicate.Compare("consent", ComparisonOperator.EQ, new Literal.Bool(true)))),
                new RowPredicate.And(List.of(
                        new RowPredicate.Not(new RowPredicate.IsNull("name")),
                        new RowPredicate.Compare("born", ComparisonOperator.LT,
                                new Literal.Date(LocalDate.parse("2000-01-01"))),
                        new RowPredicate.Compare("seen", ComparisonOperator.GTEQ,
                                new Literal.Timestamp(Instant.parse("2020-01-01T12:30:00Z"))))),
                new RowPredicate.Compare("weight", ComparisonOperator.GT, new Literal.Decimal(new BigDecimal("1.5"))),
                new RowPredicate.Not(new RowPredicate.In("age", List.of(new Literal.Int(1), new Literal.Int(-2)))),
                new RowPredicate.Compare("weight", ComparisonOperator.NEQ, new Literal.Decimal(new BigDecimal("-0.5"))),
                new RowPredicate.IsNull("name"))));
        assertThat(predicate.columns()).containsExactly("age", "blood type", "consent", "name", "born", "seen", "weight");
    }

    @Test
    void writesACanonicalExpression() {
        RowPredicate predicate = RowFilters.parse(
                "\"blood type\" = 'O''' and not seen < timestamp '2020-01-01T00:00:00+01:00' or age in (1,2)", SCHEMA);

        assertThat(predicate.sql()).isEqualTo("((\"blood type\" = 'O''' AND NOT (seen < TIMESTAMP '2019-12-31 23:00:00'))"
                + " OR age IN (1, 2))");
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            agee >= 18                    | UNKNOWN_COLUMN     | position 1: unknown column 'agee'; the dataset has columns [age, consent, name, weight, born, seen, blood type, scan]
            age >= 18 AND nmae = 'x'      | UNKNOWN_COLUMN     | position 15: unknown column 'nmae'; the dataset has columns [age, consent, name, weight, born, seen, blood type, scan]
            age >= 'x'                    | INVALID_EXPRESSION | position 8: cannot compare int32 column 'age' with string literal 'x'
            age >= 18.5                   | INVALID_EXPRESSION | position 8: cannot compare int32 column 'age' with decimal literal 18.5
            consent < true                | INVALID_EXPRESSION | position 9: operator < does not apply to bool column 'consent'; use = or !=
            age                           | INVALID_EXPRESSION | position 1: column 'age' is int32, not bool; only a boolean column is a condition on its own: compare it, e.g. age = ...
            born = TIMESTAMP '2020-01-01 00:00:00' | INVALID_EXPRESSION | position 8: cannot compare date32 column 'born' with timestamp literal TIMESTAMP '2020-01-01 00:00:00'
            scan IS NULL                  | INVALID_EXPRESSION | position 1: column 'scan' has type binary, which filters cannot compare
            age >=                        | INVALID_EXPRESSION | position 7: expected a literal, found the end of the expression
            age >= 18 AND                 | INVALID_EXPRESSION | position 14: expected a condition, found the end of the expression
            (age >= 18                    | INVALID_EXPRESSION | position 11: expected ')', found the end of the expression
            age >= 18)                    | INVALID_EXPRESSION | position 10: expected AND, OR or the end of the expression, found ')'
            age = = 1                     | INVALID_EXPRESSION | position 7: expected a literal, found '='
            name = 'open                  | INVALID_EXPRESSION | position 8: unterminated string literal
            age >= 18 # comment           | INVALID_EXPRESSION | position 11: unexpected character '#'
            age IN ()                     | INVALID_EXPRESSION | position 9: expected a literal, found ')'
            age IN (1 2)                  | INVALID_EXPRESSION | position 11: expected ',' or ')', found '2'
            age BETWEEN 1 OR 2            | INVALID_EXPRESSION | position 15: expected AND in BETWEEN, found 'OR'
            age IS 5                      | INVALID_EXPRESSION | position 8: expected NULL, found '5'
            age NOT LIKE 5                | INVALID_EXPRESSION | position 9: expected IN or BETWEEN after NOT, found 'LIKE'
            5 = 5                         | INVALID_EXPRESSION | position 5: expected a column name, found '5'
            age = 99999999999999999999    | INVALID_EXPRESSION | position 7: integer literal 99999999999999999999 is out of range
            born > DATE '2020-13-01'      | INVALID_EXPRESSION | position 13: '2020-13-01' is not a date such as DATE '2020-01-31'
            seen > TIMESTAMP 'noon'       | INVALID_EXPRESSION | position 18: 'noon' is not a timestamp such as TIMESTAMP '2020-01-31 12:00:00'
            age > 1.                      | INVALID_EXPRESSION | position 7: number 1. needs digits after '.'
            `"" = 1`                      | INVALID_EXPRESSION | position 1: empty quoted column name
            `   `                         | INVALID_EXPRESSION | position 1: empty expression; write a condition such as age >= 18
            """)
    void reportsErrorsWithTheirPosition(String expression, PolicyErrorCode code, String message) {
        assertThatThrownBy(() -> RowFilters.parse(expression, SCHEMA))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errorCode()).isEqualTo(code))
                .hasMessage(message);
    }

    @Test
    void readsQuotedFieldStepsWithDoubledQuotesAndNamesAnUnterminatedOne() {
        Schema nested = new Schema(List.of(new Field("enc", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
                new Field("st\"at", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)))));

        RowPredicate predicate = RowFilters.parse("\"enc\".\"st\"\"at\" = 'it''s'", nested);
        assertThat(predicate).isEqualTo(new RowPredicate.Compare("enc.st\"at", ComparisonOperator.EQ,
                new Literal.Text("it's")));
        assertThatThrownBy(() -> RowFilters.parse("enc.\"st = 'x'", nested))
                .isInstanceOf(PolicyException.class)
                .hasMessage("position 5: unterminated quoted column name");
        assertThatThrownBy(() -> RowFilters.parse("enc.\"st\"\"at\" = 'x", nested))
                .isInstanceOf(PolicyException.class)
                .hasMessage("position 16: unterminated string literal");
    }

    @Test
    void refusesNestingDeeperThanItsLimit() {
        String deep = "(".repeat(100) + "age = 1" + ")".repeat(100);

        assertThatThrownBy(() -> RowFilters.parse(deep, SCHEMA))
                .isInstanceOf(PolicyException.class)
                .hasMessage("position 65: expression nests deeper than 64 levels");
    }

    @Test
    void checksHandBuiltPredicates() {
        assertThatThrownBy(() -> RowFilters.check(
                new RowPredicate.Compare("name", ComparisonOperator.EQ, new Literal.Int(1)), SCHEMA))
                .isInstanceOf(PolicyException.class)
                .hasMessage("cannot compare utf8 column 'name' with integer literal 1");
        assertThatThrownBy(() -> RowFilters.check(new RowPredicate.IsNull("x"), SCHEMA))
                .isInstanceOf(PolicyException.class)
                .hasMessageStartingWith("unknown column 'x'");
    }

    private static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }
}
