package io.sluice.policy.filter;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A typed constant in a row-filter expression or a mask. Immutable; {@link #sql()} writes it back
 * in the expression language, so that {@code parse(literal.sql())} gives the literal again.
 */
public sealed interface Literal {

    /** The literal as written in the row-filter language, e.g. {@code DATE '2020-01-31'}. */
    String sql();

    /** An integer, e.g. {@code 18} or {@code -3}. */
    record Int(long value) implements Literal {
        @Override
        public String sql() {
            return Long.toString(value);
        }
    }

    /**
     * A decimal number written with a point, e.g. {@code 36.6}; compared as a double with
     * floating-point columns. Held with at least one decimal place, as written ({@code 5} becomes
     * {@code 5.0}), so that {@link #sql()} parses back to an equal literal.
     */
    record Decimal(BigDecimal value) implements Literal {
        public Decimal {
            requireNonNull(value, "value is null");
            if (value.scale() < 1) {
                value = value.setScale(1);
            }
        }

        @Override
        public String sql() {
            return value.toPlainString();
        }
    }

    /** A string, e.g. {@code 'O''Brien'}; compared by UTF-8 bytes (i.e. by code point). */
    record Text(String value) implements Literal {
        public Text {
            requireNonNull(value, "value is null");
        }

        @Override
        public String sql() {
            return "'" + value.replace("'", "''") + "'";
        }
    }

    /** {@code TRUE} or {@code FALSE}. */
    record Bool(boolean value) implements Literal {
        @Override
        public String sql() {
            return value ? "TRUE" : "FALSE";
        }
    }

    /** {@code DATE '2020-01-31'}; against a timestamp column it means midnight UTC of that day. */
    record Date(LocalDate value) implements Literal {
        public Date {
            requireNonNull(value, "value is null");
        }

        @Override
        public String sql() {
            return "DATE '" + value + "'";
        }
    }

    /**
     * {@code TIMESTAMP '2020-01-31 12:00:00'} (an offset such as {@code Z} or {@code +01:00} may
     * follow); held as a UTC instant. Against a column without a time zone the column's values are
     * read as UTC too, which is what Arrow stores.
     */
    record Timestamp(Instant value) implements Literal {
        public Timestamp {
            requireNonNull(value, "value is null");
        }

        @Override
        public String sql() {
            return "TIMESTAMP '"
                    + LocalDateTime.ofInstant(value, ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
                            .replace('T', ' ')
                    + "'";
        }
    }
}
