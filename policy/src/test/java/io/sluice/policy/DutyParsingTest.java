package io.sluice.policy;

import static io.sluice.policy.TestData.RECORDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.filter.Literal;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Duties and logical constraints as the parser reads and validates them against typed columns. */
class DutyParsingTest {

    @Test
    void parsesEveryDuty() {
        Policy policy = Policies.parse(TestData.permission("", """
                {"action": "sluice:pseudonymise", "target": ["patient_id", "name"]},
                {"action": "sluice:generalise", "target": "birth_date", "to": "month"},
                {"action": "sluice:generalise", "target": "age", "width": 10},
                {"action": "sluice:generalise", "target": "address", "prefix": 3},
                {"action": "sluice:mask", "target": "diagnosis", "with": null},
                {"action": "sluice:rowFilter", "expression": "consent"}"""), RECORDS);

        assertThat(policy.permissions().getFirst().duties()).containsExactly(
                new Duty.Pseudonymise(List.of("patient_id", "name")),
                new Duty.Generalise(List.of("birth_date"), new Generalisation.Truncate(Generalisation.CalendarUnit.MONTH)),
                new Duty.Generalise(List.of("age"), new Generalisation.Bucket(BigDecimal.TEN)),
                new Duty.Generalise(List.of("address"), new Generalisation.Prefix(3)),
                new Duty.Mask(List.of("diagnosis"), Optional.empty()),
                new Duty.RowFilter("consent", io.sluice.policy.filter.RowFilters.parse("consent = TRUE", RECORDS)));
    }

    @Test
    void parsesMaskConstantsByColumnType() {
        Policy policy = Policies.parse(TestData.permission("", """
                {"action": "sluice:mask", "target": ["name", "address"], "with": "redacted"},
                {"action": "sluice:mask", "target": "age", "with": -1},
                {"action": "sluice:mask", "target": "birth_date", "with": "2000-01-01"},
                {"action": "sluice:mask", "target": "consent", "with": false}"""), RECORDS);

        assertThat(policy.permissions().getFirst().duties()).containsExactly(
                new Duty.Mask(List.of("name", "address"), Optional.of(new Literal.Text("redacted"))),
                new Duty.Mask(List.of("age"), Optional.of(new Literal.Int(-1))),
                new Duty.Mask(List.of("birth_date"), Optional.of(new Literal.Date(LocalDate.parse("2000-01-01")))),
                new Duty.Mask(List.of("consent"), Optional.of(new Literal.Bool(false))));
    }

    @Test
    void reportsTransformsWithTheirParametersAndOffersThem() {
        Policy policy = Policies.parse(TestData.permission("", """
                {"action": "sluice:generalise", "target": "age", "width": 5},
                {"action": "sluice:mask", "target": "name", "with": "x"},
                {"action": "sluice:pseudonymise", "target": "address"}"""), RECORDS);
        AccessRequest request = DecisionTableTest.BASE.withColumns(List.of("age", "name"));

        PolicyDecision.Permit permit = (PolicyDecision.Permit) Policies.decide(policy, RECORDS, request);

        assertThat(permit.transforms()).containsExactly(
                new Transform("generalise", List.of("age"), Map.of("width", "5")),
                new Transform("mask", List.of("name"), Map.of("with", "'x'")));
        assertThat(Policies.offer(policy, RECORDS).transforms()).containsExactly(
                new Transform("generalise", List.of("age"), Map.of("width", "5")),
                new Transform("mask", List.of("name"), Map.of("with", "'x'")),
                new Transform("pseudonymise", List.of("address"), Map.of("output", "hmac-sha256-hex")));
    }

    @Test
    void parsesLogicalConstraintsNested() {
        Policy policy = Policies.parse(TestData.permission("""
                {"or": [
                  {"leftOperand": "purpose", "operator": "eq", "rightOperand": "medical-research"},
                  {"xone": [
                    {"leftOperand": "nodeRegion", "operator": "eq", "rightOperand": "eu"},
                    {"leftOperand": "elapsedTime", "operator": "lt", "rightOperand": "PT12H"}]}]}""", ""), RECORDS);

        assertThat(policy.permissions().getFirst().constraints()).containsExactly(new Constraint.Logical(
                LogicalOperator.OR, List.of(
                        new Constraint.Atomic(LeftOperand.PURPOSE, Operator.EQ, new RightOperand.Term("medical-research")),
                        new Constraint.Logical(LogicalOperator.XONE, List.of(
                                new Constraint.Atomic(LeftOperand.NODE_REGION, Operator.EQ, new RightOperand.Term("eu")),
                                new Constraint.Atomic(LeftOperand.ELAPSED_TIME, Operator.LT,
                                        new RightOperand.Duration(java.time.Duration.ofHours(12))))))));
        assertThat(Policies.offer(policy, RECORDS).purposes()).containsExactly("medical-research");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsDutiesAndConstraintsThatDoNotFit(String name, String json, PolicyErrorCode code, String message) {
        assertThatThrownBy(() -> Policies.parse(json, RECORDS))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errorCode()).isEqualTo(code))
                .hasMessage(message);
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                duty("pseudonymise a date", "{\"action\": \"sluice:pseudonymise\", \"target\": [\"name\", \"birth_date\"]}",
                        PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE, "permission[0].duty[0].target[1]: sluice:pseudonymise "
                                + "takes integer, utf8 or binary columns; column 'birth_date' is date32"),
                duty("generalise a string to a year", "{\"action\": \"sluice:generalise\", \"target\": \"name\", \"to\": \"year\"}",
                        PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE, "permission[0].duty[0].target: sluice:generalise to year "
                                + "takes date or timestamp columns; column 'name' is utf8"),
                duty("generalise to a week", "{\"action\": \"sluice:generalise\", \"target\": \"birth_date\", \"to\": \"week\"}",
                        PolicyErrorCode.UNKNOWN_TERM, "permission[0].duty[0].to: unknown unit 'week'; Sluice takes year, month"),
                duty("generalise by a fractional width", "{\"action\": \"sluice:generalise\", \"target\": \"age\", \"width\": 2.5}",
                        PolicyErrorCode.INVALID_LITERAL, "permission[0].duty[0].width: int32 column 'age' needs a whole width, "
                                + "was 2.5"),
                duty("generalise by a zero width", "{\"action\": \"sluice:generalise\", \"target\": \"age\", \"width\": 0}",
                        PolicyErrorCode.MALFORMED_POLICY, "permission[0].duty[0].width: must be a number > 0, was the number 0"),
                duty("generalise two ways", "{\"action\": \"sluice:generalise\", \"target\": \"age\", \"width\": 5, \"prefix\": 1}",
                        PolicyErrorCode.MALFORMED_POLICY, "permission[0].duty[0]: a sluice:generalise duty takes exactly one "
                                + "of 'to' (year, month), 'width' (a number) or 'prefix' (a length), was width, prefix"),
                duty("mask without with", "{\"action\": \"sluice:mask\", \"target\": \"age\"}",
                        PolicyErrorCode.MALFORMED_POLICY,
                        "permission[0].duty[0]: missing 'with' (null, or a value of the column's type)"),
                duty("mask an int with a string", "{\"action\": \"sluice:mask\", \"target\": \"age\", \"with\": \"x\"}",
                        PolicyErrorCode.INVALID_LITERAL, "permission[0].duty[0].with: int32 column 'age' takes a whole "
                                + "number in its range, was the string 'x'"),
                duty("mask an int out of range", "{\"action\": \"sluice:mask\", \"target\": \"age\", \"with\": 3000000000}",
                        PolicyErrorCode.INVALID_LITERAL, "permission[0].duty[0].with: int32 column 'age' takes a whole "
                                + "number in its range, was the number 3000000000"),
                duty("a column changed twice", "{\"action\": \"sluice:pseudonymise\", \"target\": \"name\"}, "
                                + "{\"action\": \"sluice:drop\", \"target\": \"name\"}",
                        PolicyErrorCode.CONFLICTING_DUTIES, "permission[0].duty[1]: column 'name' is already changed by "
                                + "duty[0] (sluice:pseudonymise); a column takes at most one of sluice:drop, "
                                + "sluice:pseudonymise, sluice:generalise, sluice:mask"),
                duty("a row filter that does not type-check",
                        "{\"action\": \"sluice:rowFilter\", \"expression\": \"consent = true AND age >= 'adult'\"}",
                        PolicyErrorCode.INVALID_EXPRESSION, "permission[0].duty[0].expression: position 27: cannot "
                                + "compare int32 column 'age' with string literal 'adult'"),
                duty("a row filter naming an unknown column",
                        "{\"action\": \"sluice:rowFilter\", \"expression\": \"agee >= 18\"}",
                        PolicyErrorCode.UNKNOWN_COLUMN, "permission[0].duty[0].expression: position 1: unknown column "
                                + "'agee'; the dataset has columns [patient_id, name, address, birth_date, diagnosis, age, "
                                + "consent]"),
                duty("a row filter with a target", "{\"action\": \"sluice:rowFilter\", \"expression\": \"consent\", "
                                + "\"target\": \"age\"}",
                        PolicyErrorCode.UNKNOWN_TERM, "permission[0].duty[0].target: unknown term 'target'; a "
                                + "sluice:rowFilter duty takes action, expression"),
                constraint("count as a string", "{\"leftOperand\": \"count\", \"operator\": \"lteq\", \"rightOperand\": \"20\"}",
                        PolicyErrorCode.INVALID_RIGHT_OPERAND, "permission[0].constraint[0].rightOperand: operator lteq "
                                + "takes a whole number >= 0, was the string '20'"),
                constraint("count isAnyOf", "{\"leftOperand\": \"count\", \"operator\": \"isAnyOf\", \"rightOperand\": [1]}",
                        PolicyErrorCode.UNKNOWN_OPERATOR, "permission[0].constraint[0].operator: operator 'isAnyOf' does "
                                + "not apply to count; count takes eq, neq, lt, lteq, gt, gteq"),
                constraint("elapsedTime in months",
                        "{\"leftOperand\": \"elapsedTime\", \"operator\": \"lt\", \"rightOperand\": \"P1M\"}",
                        PolicyErrorCode.INVALID_RIGHT_OPERAND, "permission[0].constraint[0].rightOperand: 'P1M' is not an "
                                + "ISO-8601 duration in days, hours, minutes or seconds such as P30D or PT12H"),
                constraint("isAllOf on organisation",
                        "{\"leftOperand\": \"organisation\", \"operator\": \"isAllOf\", \"rightOperand\": [\"a\"]}",
                        PolicyErrorCode.UNKNOWN_OPERATOR, "permission[0].constraint[0].operator: operator 'isAllOf' does "
                                + "not apply to organisation; organisation takes eq, neq, isAnyOf, isNoneOf"),
                constraint("a logical constraint of one",
                        "{\"and\": [{\"leftOperand\": \"role\", \"operator\": \"eq\", \"rightOperand\": \"x\"}]}",
                        PolicyErrorCode.MALFORMED_POLICY, "permission[0].constraint[0].and: must be an array of at least "
                                + "two constraints, was an array"),
                constraint("a logical constraint with another key",
                        "{\"or\": [], \"leftOperand\": \"role\"}",
                        PolicyErrorCode.UNKNOWN_TERM, "permission[0].constraint[0].leftOperand: unknown term "
                                + "'leftOperand'; a logical constraint takes only its operator 'or' with an array of "
                                + "constraints"),
                constraint("andSequence", "{\"andSequence\": []}",
                        PolicyErrorCode.UNKNOWN_TERM, "permission[0].constraint[0].andSequence: unknown term "
                                + "'andSequence'; a constraint takes leftOperand, operator, rightOperand"));
    }

    private static Arguments duty(String name, String duties, PolicyErrorCode code, String message) {
        return Arguments.of(name, TestData.permission("", duties), code, message);
    }

    private static Arguments constraint(String name, String constraint, PolicyErrorCode code, String message) {
        return Arguments.of(name, TestData.permission(constraint, ""), code, message);
    }
}
