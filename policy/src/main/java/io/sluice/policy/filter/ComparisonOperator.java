package io.sluice.policy.filter;

/** A comparison in a row filter, as written: {@code = != < <= > >=} ({@code <>} reads as {@code !=}). */
public enum ComparisonOperator {
    EQ("="),
    NEQ("!="),
    LT("<"),
    LTEQ("<="),
    GT(">"),
    GTEQ(">=");

    private final String symbol;

    ComparisonOperator(String symbol) {
        this.symbol = symbol;
    }

    /** As written in an expression, e.g. {@code "<="}. */
    public String symbol() {
        return symbol;
    }

    /** The operator with its operands swapped: {@code 5 < x} is {@code x > 5}. */
    public ComparisonOperator flip() {
        return switch (this) {
            case EQ, NEQ -> this;
            case LT -> GT;
            case LTEQ -> GTEQ;
            case GT -> LT;
            case GTEQ -> LTEQ;
        };
    }

    /** Whether a comparison result ({@code compare(value, literal)}: negative, 0, positive) satisfies it. */
    public boolean test(int comparison) {
        return switch (this) {
            case EQ -> comparison == 0;
            case NEQ -> comparison != 0;
            case LT -> comparison < 0;
            case LTEQ -> comparison <= 0;
            case GT -> comparison > 0;
            case GTEQ -> comparison >= 0;
        };
    }

    /** Whether it orders values (all but {@code =} and {@code !=}). */
    public boolean ordering() {
        return this != EQ && this != NEQ;
    }
}
