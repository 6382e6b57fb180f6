package io.sluice.broker.service;

import io.sluice.connectors.Literal;
import io.sluice.connectors.Predicate;
import io.sluice.policy.filter.ComparisonOperator;
import io.sluice.policy.filter.RowPredicate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Translates a policy's row filter into the connectors' predicate model, term by term — a
 * structured value, never text — so a connector can skip data that cannot match. Whatever does
 * not translate is left out, which only makes the pushed-down predicate weaker: the enforcement
 * pipeline still filters every row. A comparison of a field inside a struct
 * ({@code encounter.status}) is never handed over: connectors scan top-level columns only.
 */
final class PushdownPredicates {
    private PushdownPredicates() {}

    /**
     * @param columns the dataset's top-level columns: a term on any other name (a nested field's
     *     path) does not translate
     */
    static Optional<Predicate> translate(RowPredicate predicate, Set<String> columns) {
        return switch (predicate) {
            case RowPredicate.Compare compare when !columns.contains(compare.column()) -> Optional.empty();
            case RowPredicate.In in when !columns.contains(in.column()) -> Optional.empty();
            case RowPredicate.IsNull isNull when !columns.contains(isNull.column()) -> Optional.empty();
            case RowPredicate.Compare compare -> literal(compare.value())
                    .map(value -> Predicate.compare(compare.column(), operator(compare.operator()), value));
            case RowPredicate.In in -> {
                List<Literal> values = new ArrayList<>();
                for (var value : in.values()) {
                    Optional<Literal> literal = literal(value);
                    if (literal.isEmpty()) {
                        yield Optional.empty();
                    }
                    values.add(literal.get());
                }
                yield Optional.of(Predicate.in(in.column(), values));
            }
            case RowPredicate.IsNull isNull -> Optional.of(Predicate.isNull(isNull.column()));
            // An AND of what translates still holds for every row the whole AND holds for.
            case RowPredicate.And and -> {
                List<Predicate> terms = and.operands().stream().map(operand -> translate(operand, columns))
                        .flatMap(Optional::stream).toList();
                yield terms.isEmpty() ? Optional.empty()
                        : Optional.of(terms.size() == 1 ? terms.getFirst() : Predicate.and(terms.toArray(Predicate[]::new)));
            }
            // An OR or a NOT is only as strong as all of its parts: any untranslatable part drops it.
            case RowPredicate.Or or -> {
                List<Optional<Predicate>> terms = or.operands().stream().map(operand -> translate(operand, columns)).toList();
                yield terms.stream().allMatch(Optional::isPresent)
                        ? Optional.of(Predicate.or(terms.stream().map(Optional::get).toArray(Predicate[]::new)))
                        : Optional.empty();
            }
            case RowPredicate.Not not -> translateExactly(not.operand(), columns).map(Predicate::not);
        };
    }

    /** Only a translation that loses nothing may be negated. */
    private static Optional<Predicate> translateExactly(RowPredicate predicate, Set<String> columns) {
        boolean exact = switch (predicate) {
            case RowPredicate.And and -> and.operands().stream().allMatch(o -> translateExactly(o, columns).isPresent());
            case RowPredicate.Or or -> or.operands().stream().allMatch(o -> translateExactly(o, columns).isPresent());
            case RowPredicate.Not not -> translateExactly(not.operand(), columns).isPresent();
            default -> true;
        };
        return exact ? translate(predicate, columns) : Optional.empty();
    }

    private static Predicate.Operator operator(ComparisonOperator operator) {
        return switch (operator) {
            case EQ -> Predicate.Operator.EQ;
            case NEQ -> Predicate.Operator.NE;
            case LT -> Predicate.Operator.LT;
            case LTEQ -> Predicate.Operator.LE;
            case GT -> Predicate.Operator.GT;
            case GTEQ -> Predicate.Operator.GE;
        };
    }

    private static Optional<Literal> literal(io.sluice.policy.filter.Literal literal) {
        return switch (literal) {
            case io.sluice.policy.filter.Literal.Int value -> Optional.of(Literal.of(value.value()));
            case io.sluice.policy.filter.Literal.Decimal value -> Optional.of(Literal.of(value.value()));
            case io.sluice.policy.filter.Literal.Text value -> Optional.of(Literal.of(value.value()));
            case io.sluice.policy.filter.Literal.Bool value -> Optional.of(Literal.of(value.value()));
            case io.sluice.policy.filter.Literal.Date value -> Optional.of(Literal.of(value.value()));
            case io.sluice.policy.filter.Literal.Timestamp value -> Optional.of(Literal.of(value.value()));
        };
    }
}
