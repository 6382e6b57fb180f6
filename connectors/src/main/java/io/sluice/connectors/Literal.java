package io.sluice.connectors;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;

/**
 * A typed constant of a {@link Predicate}. Connectors never parse strings into literals: the
 * caller (the broker, translating a policy expression) builds them with the factories below.
 *
 * <p>Which column types a literal may be compared with:
 * <table>
 *   <caption>Literal kinds and the Arrow column types they compare with</caption>
 *   <tr><th>literal</th><th>column types</th></tr>
 *   <tr><td>{@link Int64}</td><td>integers of any width, decimals, floating point</td></tr>
 *   <tr><td>{@link Float64}</td><td>floating point, integers, decimals</td></tr>
 *   <tr><td>{@link Decimal}</td><td>decimals, integers, floating point</td></tr>
 *   <tr><td>{@link Bool}</td><td>booleans</td></tr>
 *   <tr><td>{@link Utf8}</td><td>strings</td></tr>
 *   <tr><td>{@link Date}</td><td>dates; timestamps (as midnight UTC of that day)</td></tr>
 *   <tr><td>{@link Timestamp}</td><td>timestamps (with or without a zone: an instant is
 *       compared with the stored value as UTC), dates</td></tr>
 *   <tr><td>{@link LocalTimestamp}</td><td>timestamps without a zone</td></tr>
 * </table>
 *
 * <p>Values are immutable records; equality is by value.
 */
public sealed interface Literal {

    /** A signed 64-bit integer. */
    record Int64(long value) implements Literal {}

    /** A 64-bit IEEE float; never NaN (a NaN comparison matches nothing). */
    record Float64(double value) implements Literal {
        public Float64 {
            if (Double.isNaN(value)) {
                throw new IllegalArgumentException("a Float64 literal must not be NaN");
            }
        }
    }

    /** An exact decimal number. */
    record Decimal(BigDecimal value) implements Literal {
        public Decimal {
            requireNonNull(value, "value is null");
        }
    }

    /** true or false. */
    record Bool(boolean value) implements Literal {}

    /** A string, compared by its UTF-8 bytes (unsigned lexicographic order, as Parquet does). */
    record Utf8(String value) implements Literal {
        public Utf8 {
            requireNonNull(value, "value is null");
        }
    }

    /** A calendar date. */
    record Date(LocalDate value) implements Literal {
        public Date {
            requireNonNull(value, "value is null");
        }
    }

    /** An instant on the UTC time line. */
    record Timestamp(Instant value) implements Literal {
        public Timestamp {
            requireNonNull(value, "value is null");
        }
    }

    /** A wall-clock date and time without a zone, for timestamp columns without a zone. */
    record LocalTimestamp(LocalDateTime value) implements Literal {
        public LocalTimestamp {
            requireNonNull(value, "value is null");
        }
    }

    static Literal of(long value) {
        return new Int64(value);
    }

    static Literal of(double value) {
        return new Float64(value);
    }

    static Literal of(BigDecimal value) {
        return new Decimal(value);
    }

    static Literal of(boolean value) {
        return new Bool(value);
    }

    static Literal of(String value) {
        return new Utf8(value);
    }

    static Literal of(LocalDate value) {
        return new Date(value);
    }

    static Literal of(Instant value) {
        return new Timestamp(value);
    }

    static Literal of(LocalDateTime value) {
        return new LocalTimestamp(value);
    }

    /** A short name of the literal's kind for messages, e.g. {@code int64}. */
    default String kind() {
        return switch (this) {
            case Int64 _ -> "int64";
            case Float64 _ -> "float64";
            case Decimal _ -> "decimal";
            case Bool _ -> "bool";
            case Utf8 _ -> "utf8";
            case Date _ -> "date";
            case Timestamp _ -> "timestamp";
            case LocalTimestamp _ -> "local timestamp";
        };
    }
}
