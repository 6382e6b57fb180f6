package io.sluice.policy.internal.filter;

import static io.sluice.policy.PolicyErrorCode.INVALID_EXPRESSION;
import static io.sluice.policy.PolicyErrorCode.UNKNOWN_COLUMN;
import static java.util.Objects.requireNonNull;

import io.sluice.policy.FieldPath;
import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.filter.ComparisonOperator;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowPredicate;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A hand-written recursive-descent parser for row-filter expressions that type-checks against the
 * dataset's schema as it goes. Grammar (keywords case-insensitive):
 *
 * <pre>
 * expression := or EOF
 * or         := and ("OR" and)*
 * and        := not ("AND" not)*
 * not        := "NOT" not | primary
 * primary    := "(" or ")" | condition
 * condition  := column comparison literal
 *             | column ["NOT"] "IN" "(" literal ("," literal)* ")"
 *             | column ["NOT"] "BETWEEN" literal "AND" literal
 *             | column "IS" ["NOT"] "NULL"
 *             | column                                  -- a boolean column: column = TRUE
 *             | literal comparison column
 * comparison := "=" | "!=" | "&lt;&gt;" | "&lt;" | "&lt;=" | "&gt;" | "&gt;="
 * column     := name ("." name)*                        -- a path into structs: encounter.status
 * name       := identifier | '"' any text, "" for a quote '"'
 * literal    := ["-"] digits ["." digits] | "'" text, '' for a quote "'" | TRUE | FALSE
 *             | DATE 'yyyy-mm-dd' | TIMESTAMP 'yyyy-mm-dd hh:mm[:ss[.fraction]][offset]'
 * </pre>
 *
 * Every error is a {@link PolicyException} ({@link PolicyErrorCode#INVALID_EXPRESSION}, or
 * {@link PolicyErrorCode#UNKNOWN_COLUMN}) whose message starts with the 1-based position of the
 * offending token in the expression, e.g. {@code "position 1: unknown column 'agee'; ..."}. One
 * instance per expression; not thread-safe.
 */
public final class RowFilterParser {
    /** Deeper nesting is refused so that a hostile expression cannot exhaust the stack. */
    public static final int MAX_DEPTH = 64;

    private static final Set<String> KEYWORDS = Set.of(
            "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE", "DATE", "TIMESTAMP");
    private static final int MAX_QUOTED = 60;

    private enum Kind { IDENTIFIER, QUOTED_IDENTIFIER, KEYWORD, STRING, NUMBER, COMPARISON, MINUS, LPAREN, RPAREN,
        COMMA, END }

    private record Token(Kind kind, String text, String value, int position) {}

    private final String expression;
    private final Schema schema;
    private final Map<String, Field> fields = new HashMap<>();
    private final List<Token> tokens;
    private int next;

    private RowFilterParser(String expression, Schema schema) {
        this.expression = expression;
        this.schema = schema;
        for (Field field : schema.getFields()) {
            fields.putIfAbsent(field.getName(), field);
        }
        this.tokens = tokenize();
    }

    /** Parses and type-checks {@code expression} against {@code schema}. */
    public static RowPredicate parse(String expression, Schema schema) {
        requireNonNull(expression, "expression is null");
        requireNonNull(schema, "schema is null");
        RowFilterParser parser = new RowFilterParser(expression, schema);
        if (parser.peek().kind() == Kind.END) {
            throw error(1, "empty expression; write a condition such as age >= 18");
        }
        RowPredicate predicate = parser.or(0);
        Token end = parser.peek();
        if (end.kind() != Kind.END) {
            throw error(end.position(), "expected AND, OR or the end of the expression, found " + describe(end));
        }
        return predicate;
    }

    // ---- grammar ---------------------------------------------------------------------------------

    private RowPredicate or(int depth) {
        List<RowPredicate> operands = new ArrayList<>();
        operands.add(and(depth));
        while (isKeyword(peek(), "OR")) {
            next++;
            operands.add(and(depth));
        }
        return operands.size() == 1 ? operands.getFirst() : new RowPredicate.Or(operands);
    }

    private RowPredicate and(int depth) {
        List<RowPredicate> operands = new ArrayList<>();
        operands.add(not(depth));
        while (isKeyword(peek(), "AND")) {
            next++;
            operands.add(not(depth));
        }
        return operands.size() == 1 ? operands.getFirst() : new RowPredicate.And(operands);
    }

    private RowPredicate not(int depth) {
        Token token = peek();
        if (depth >= MAX_DEPTH) {
            throw error(token.position(), "expression nests deeper than " + MAX_DEPTH + " levels");
        }
        if (isKeyword(token, "NOT")) {
            next++;
            return new RowPredicate.Not(not(depth + 1));
        }
        return primary(depth);
    }

    private RowPredicate primary(int depth) {
        Token token = peek();
        if (token.kind() == Kind.LPAREN) {
            next++;
            RowPredicate inner = or(depth + 1);
            expect(Kind.RPAREN, "')'");
            return inner;
        }
        if (isColumn(token)) {
            next++;
            return condition(token);
        }
        if (startsLiteral(token)) {
            LiteralAt literal = literal();
            Token operator = peek();
            if (operator.kind() != Kind.COMPARISON) {
                throw error(operator.position(), "expected a comparison such as = or < after "
                        + literal.value().sql() + ", found " + describe(operator));
            }
            next++;
            Token column = peek();
            if (!isColumn(column)) {
                throw error(column.position(), "expected a column name, found " + describe(column));
            }
            next++;
            Field field = field(column);
            ComparisonOperator flipped = comparison(operator).flip();
            check(field, column, flipped, operator, literal);
            return new RowPredicate.Compare(field.getName(), flipped, literal.value());
        }
        throw error(token.position(), "expected a condition, found " + describe(token));
    }

    private RowPredicate condition(Token columnToken) {
        Field field = field(columnToken);
        String column = field.getName();
        Token token = peek();
        if (token.kind() == Kind.COMPARISON) {
            next++;
            LiteralAt literal = literal();
            ComparisonOperator operator = comparison(token);
            check(field, columnToken, operator, token, literal);
            return new RowPredicate.Compare(column, operator, literal.value());
        }
        if (isKeyword(token, "IS")) {
            next++;
            boolean negated = false;
            if (isKeyword(peek(), "NOT")) {
                next++;
                negated = true;
            }
            Token nullToken = peek();
            if (!isKeyword(nullToken, "NULL")) {
                throw error(nullToken.position(), "expected NULL, found " + describe(nullToken));
            }
            next++;
            supported(field, columnToken);
            RowPredicate isNull = new RowPredicate.IsNull(column);
            return negated ? new RowPredicate.Not(isNull) : isNull;
        }
        boolean negated = false;
        if (isKeyword(token, "NOT")) {
            next++;
            negated = true;
            token = peek();
            if (!isKeyword(token, "IN") && !isKeyword(token, "BETWEEN")) {
                throw error(token.position(), "expected IN or BETWEEN after NOT, found " + describe(token));
            }
        }
        RowPredicate predicate;
        if (isKeyword(token, "IN")) {
            next++;
            expect(Kind.LPAREN, "'('");
            List<Literal> values = new ArrayList<>();
            do {
                LiteralAt literal = literal();
                check(field, columnToken, ComparisonOperator.EQ, token, literal);
                values.add(literal.value());
            } while (accept(Kind.COMMA));
            expect(Kind.RPAREN, "',' or ')'");
            predicate = new RowPredicate.In(column, values);
        } else if (isKeyword(token, "BETWEEN")) {
            next++;
            LiteralAt low = literal();
            check(field, columnToken, ComparisonOperator.GTEQ, token, low);
            Token and = peek();
            if (!isKeyword(and, "AND")) {
                throw error(and.position(), "expected AND in BETWEEN, found " + describe(and));
            }
            next++;
            LiteralAt high = literal();
            check(field, columnToken, ComparisonOperator.LTEQ, token, high);
            predicate = new RowPredicate.And(List.of(
                    new RowPredicate.Compare(column, ComparisonOperator.GTEQ, low.value()),
                    new RowPredicate.Compare(column, ComparisonOperator.LTEQ, high.value())));
        } else {
            ColumnType type = ColumnType.of(field.getType());
            if (type != ColumnType.BOOLEAN) {
                throw error(columnToken.position(), "column " + quote(column) + " is "
                        + ColumnType.describe(field.getType()) + ", not bool; only a boolean column is a condition "
                        + "on its own: compare it, e.g. " + column + " = ...");
            }
            return new RowPredicate.Compare(column, ComparisonOperator.EQ, new Literal.Bool(true));
        }
        return negated ? new RowPredicate.Not(predicate) : predicate;
    }

    private record LiteralAt(Literal value, int position) {}

    private LiteralAt literal() {
        Token token = peek();
        int position = token.position();
        switch (token.kind()) {
            case MINUS -> {
                next++;
                Token number = peek();
                if (number.kind() != Kind.NUMBER) {
                    throw error(number.position(), "expected a number after '-', found " + describe(number));
                }
                next++;
                return new LiteralAt(number("-" + number.text(), position), position);
            }
            case NUMBER -> {
                next++;
                return new LiteralAt(number(token.text(), position), position);
            }
            case STRING -> {
                next++;
                return new LiteralAt(new Literal.Text(token.value()), position);
            }
            case KEYWORD -> {
                String word = token.value();
                if (word.equals("TRUE") || word.equals("FALSE")) {
                    next++;
                    return new LiteralAt(new Literal.Bool(word.equals("TRUE")), position);
                }
                if (word.equals("DATE") || word.equals("TIMESTAMP")) {
                    next++;
                    Token text = peek();
                    if (text.kind() != Kind.STRING) {
                        throw error(text.position(), "expected a quoted " + word.toLowerCase(Locale.ROOT)
                                + " after " + word + ", found " + describe(text));
                    }
                    next++;
                    return new LiteralAt(word.equals("DATE") ? date(text) : timestamp(text), position);
                }
            }
            default -> { }
        }
        throw error(position, "expected a literal, found " + describe(token));
    }

    private static Literal number(String text, int position) {
        if (text.indexOf('.') >= 0) {
            return new Literal.Decimal(new BigDecimal(text));
        }
        try {
            return new Literal.Int(Long.parseLong(text));
        } catch (NumberFormatException e) {
            throw error(position, "integer literal " + shorten(text) + " is out of range");
        }
    }

    private static Literal date(Token text) {
        try {
            return new Literal.Date(LocalDate.parse(text.value()));
        } catch (DateTimeParseException e) {
            throw error(text.position(), quote(text.value()) + " is not a date such as DATE '2020-01-31'");
        }
    }

    private static Literal timestamp(Token text) {
        String iso = text.value().replaceFirst(" ", "T");
        try {
            return new Literal.Timestamp(OffsetDateTime.parse(iso).toInstant());
        } catch (DateTimeParseException e) {
            try {
                return new Literal.Timestamp(LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC));
            } catch (DateTimeParseException e2) {
                throw error(text.position(), quote(text.value())
                        + " is not a timestamp such as TIMESTAMP '2020-01-31 12:00:00'");
            }
        }
    }

    // ---- type checks -----------------------------------------------------------------------------

    private Field field(Token token) {
        Field field = fields.get(token.value());
        if (field != null) {
            return field;
        }
        if (token.value().indexOf('.') < 0) {
            throw new PolicyException(UNKNOWN_COLUMN, "position " + token.position() + ": unknown column "
                    + quote(token.value()) + "; the dataset has columns "
                    + schema.getFields().stream().map(Field::getName).toList());
        }
        FieldPath path;
        try {
            path = FieldPath.resolve(schema, token.value());
        } catch (PolicyException e) {
            throw new PolicyException(UNKNOWN_COLUMN, "position " + token.position() + ": " + e.getMessage());
        }
        if (path.throughList()) {
            throw error(token.position(), "field " + quote(token.value()) + " lies inside a list or a map; a row"
                    + " filter reads one value per row, so it may reach into structs only");
        }
        // The field as the filter will see it: named by its whole path.
        return new Field(token.value(), path.field().getFieldType(), path.field().getChildren());
    }

    private static ColumnType supported(Field field, Token columnToken) {
        ColumnType type = ColumnType.of(field.getType());
        if (type == ColumnType.UNSUPPORTED) {
            throw error(columnToken.position(), "column " + quote(field.getName()) + " has type "
                    + ColumnType.describe(field.getType()) + ", which filters cannot compare");
        }
        return type;
    }

    private static void check(
            Field field, Token columnToken, ComparisonOperator operator, Token operatorToken, LiteralAt literal) {
        ColumnType type = supported(field, columnToken);
        if (!type.accepts(operator)) {
            throw error(operatorToken.position(), "operator " + operator.symbol() + " does not apply to bool column "
                    + quote(field.getName()) + "; use = or !=");
        }
        if (!type.accepts(literal.value())) {
            throw error(literal.position(), "cannot compare " + ColumnType.describe(field.getType()) + " column "
                    + quote(field.getName()) + " with " + ColumnType.describe(literal.value()));
        }
    }

    // ---- tokens ----------------------------------------------------------------------------------

    private Token peek() {
        return tokens.get(next);
    }

    private boolean accept(Kind kind) {
        if (peek().kind() == kind) {
            next++;
            return true;
        }
        return false;
    }

    private void expect(Kind kind, String what) {
        Token token = peek();
        if (token.kind() != kind) {
            throw error(token.position(), "expected " + what + ", found " + describe(token));
        }
        next++;
    }

    private static boolean isKeyword(Token token, String word) {
        return token.kind() == Kind.KEYWORD && token.value().equals(word);
    }

    private static boolean isColumn(Token token) {
        return token.kind() == Kind.IDENTIFIER || token.kind() == Kind.QUOTED_IDENTIFIER;
    }

    private static boolean startsLiteral(Token token) {
        return switch (token.kind()) {
            case NUMBER, MINUS, STRING -> true;
            case KEYWORD -> Set.of("TRUE", "FALSE", "DATE", "TIMESTAMP").contains(token.value());
            default -> false;
        };
    }

    private static ComparisonOperator comparison(Token token) {
        return switch (token.text()) {
            case "=" -> ComparisonOperator.EQ;
            case "!=", "<>" -> ComparisonOperator.NEQ;
            case "<" -> ComparisonOperator.LT;
            case "<=" -> ComparisonOperator.LTEQ;
            case ">" -> ComparisonOperator.GT;
            case ">=" -> ComparisonOperator.GTEQ;
            default -> throw new IllegalStateException("not a comparison: " + token.text());
        };
    }

    private List<Token> tokenize() {
        List<Token> result = new ArrayList<>();
        int i = 0;
        int length = expression.length();
        while (i < length) {
            char c = expression.charAt(i);
            int position = i + 1;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < length && (Character.isLetterOrDigit(expression.charAt(i)) || expression.charAt(i) == '_')) {
                    i++;
                }
                String word = expression.substring(start, i);
                String upper = word.toUpperCase(Locale.ROOT);
                if (KEYWORDS.contains(upper)) {
                    result.add(new Token(Kind.KEYWORD, word, upper, position));
                } else {
                    StringBuilder path = new StringBuilder(word);
                    i = pathSteps(i, path);
                    result.add(new Token(Kind.IDENTIFIER, expression.substring(start, i), path.toString(), position));
                }
            } else if (c >= '0' && c <= '9') {
                int start = i;
                while (i < length && Character.isDigit(expression.charAt(i))) {
                    i++;
                }
                if (i < length && expression.charAt(i) == '.') {
                    i++;
                    int fraction = i;
                    while (i < length && Character.isDigit(expression.charAt(i))) {
                        i++;
                    }
                    if (i == fraction) {
                        throw error(position, "number " + expression.substring(start, i) + " needs digits after '.'");
                    }
                }
                if (i < length && (Character.isLetter(expression.charAt(i)) || expression.charAt(i) == '_')) {
                    throw error(i + 1, "unexpected character " + quote(String.valueOf(expression.charAt(i)))
                            + " after number " + expression.substring(start, i));
                }
                String number = expression.substring(start, i);
                result.add(new Token(Kind.NUMBER, number, number, position));
            } else if (c == '\'' || c == '"') {
                StringBuilder value = new StringBuilder();
                i = readQuoted(i + 1, c, position, value);
                if (c == '"' && value.isEmpty()) {
                    throw error(position, "empty quoted column name");
                }
                if (c == '"') {
                    i = pathSteps(i, value);
                }
                result.add(new Token(c == '\'' ? Kind.STRING : Kind.QUOTED_IDENTIFIER,
                        expression.substring(position - 1, i), value.toString(), position));
            } else if (c == '=' ) {
                result.add(new Token(Kind.COMPARISON, "=", "=", position));
                i++;
            } else if (c == '<' || c == '>' || c == '!') {
                String two = i + 1 < length ? expression.substring(i, i + 2) : "";
                if (two.equals("<=") || two.equals(">=") || two.equals("!=") || two.equals("<>")) {
                    result.add(new Token(Kind.COMPARISON, two, two, position));
                    i += 2;
                } else if (c == '!') {
                    throw error(position, "unexpected character '!'; write != for not equal, or NOT");
                } else {
                    result.add(new Token(Kind.COMPARISON, String.valueOf(c), String.valueOf(c), position));
                    i++;
                }
            } else if (c == '-') {
                result.add(new Token(Kind.MINUS, "-", "-", position));
                i++;
            } else if (c == '(') {
                result.add(new Token(Kind.LPAREN, "(", "(", position));
                i++;
            } else if (c == ')') {
                result.add(new Token(Kind.RPAREN, ")", ")", position));
                i++;
            } else if (c == ',') {
                result.add(new Token(Kind.COMMA, ",", ",", position));
                i++;
            } else {
                throw error(position, "unexpected character " + quote(new String(Character.toChars(expression.codePointAt(i)))));
            }
        }
        result.add(new Token(Kind.END, "", "", length + 1));
        return result;
    }

    /**
     * Reads the {@code .step} parts of a field path after its first name, each a bare name or a
     * double-quoted one, into {@code path}; returns the index after them.
     */
    private int pathSteps(int i, StringBuilder path) {
        int length = expression.length();
        while (i + 1 < length && expression.charAt(i) == '.') {
            char c = expression.charAt(i + 1);
            if (Character.isLetter(c) || c == '_') {
                int start = ++i;
                while (i < length && (Character.isLetterOrDigit(expression.charAt(i)) || expression.charAt(i) == '_')) {
                    i++;
                }
                path.append('.').append(expression, start, i);
            } else if (c == '"') {
                StringBuilder step = new StringBuilder();
                i = readQuoted(i + 2, '"', i + 2, step);
                path.append('.').append(step);
            } else {
                break;
            }
        }
        return i;
    }

    /**
     * Reads a quoted string literal ({@code '}) or column name ({@code "}) from index {@code i},
     * just after the opening quote, into {@code value}; a doubled quote stands for one. Returns the
     * index after the closing quote.
     *
     * @param position the opening quote's position, for the message if it is never closed
     */
    private int readQuoted(int i, char quote, int position, StringBuilder value) {
        int length = expression.length();
        while (true) {
            if (i >= length) {
                throw error(position, quote == '\'' ? "unterminated string literal" : "unterminated quoted column name");
            }
            char c = expression.charAt(i);
            if (c == quote) {
                if (i + 1 < length && expression.charAt(i + 1) == quote) {
                    value.append(quote);
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            value.append(c);
            i++;
        }
    }

    private static String describe(Token token) {
        return switch (token.kind()) {
            case END -> "the end of the expression";
            case STRING, QUOTED_IDENTIFIER -> shorten(token.text());
            default -> quote(token.text());
        };
    }

    private static PolicyException error(int position, String message) {
        return new PolicyException(INVALID_EXPRESSION, "position " + position + ": " + message);
    }

    private static String quote(String text) {
        return "'" + shorten(text) + "'";
    }

    private static String shorten(String text) {
        return text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "..." : text;
    }
}
