package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;

/** How {@link Duty.Generalise} coarsens a column's values; the column keeps its type. */
public sealed interface Generalisation {

    /** The parameter as reported in a {@link Transform}, e.g. {@code to=year}. */
    String parameterName();

    /** The parameter value as reported, e.g. {@code year}. */
    String parameterValue();

    /** The calendar units a date or timestamp is truncated to. */
    enum CalendarUnit {
        YEAR("year"),
        MONTH("month");

        private final String odrlName;

        CalendarUnit(String odrlName) {
            this.odrlName = odrlName;
        }

        public String odrlName() {
            return odrlName;
        }
    }

    /**
     * {@code "to": "year"|"month"} on a date or timestamp column: the first instant of the year or
     * month (in the column's time zone, UTC when it has none).
     */
    record Truncate(CalendarUnit unit) implements Generalisation {
        public Truncate {
            requireNonNull(unit, "unit is null");
        }

        @Override
        public String parameterName() {
            return "to";
        }

        @Override
        public String parameterValue() {
            return unit.odrlName();
        }
    }

    /**
     * {@code "width": N} on a numeric column: the value becomes {@code floor(v / N) * N}, the
     * bucket's lower bound. Integer columns take a whole width; a bucket bound below the type's
     * minimum is the minimum. Held without trailing zeros ({@code 10}, {@code 2.5}).
     */
    record Bucket(BigDecimal width) implements Generalisation {
        public Bucket {
            requireNonNull(width, "width is null");
            if (width.signum() <= 0) {
                throw new IllegalArgumentException("a bucket width must be > 0, was " + width);
            }
            width = width.stripTrailingZeros();
            if (width.scale() < 0) {
                width = width.setScale(0);
            }
        }

        @Override
        public String parameterName() {
            return "width";
        }

        @Override
        public String parameterValue() {
            return width.toPlainString();
        }
    }

    /** {@code "prefix": n} on a utf8 column: the first n characters (code points). */
    record Prefix(int length) implements Generalisation {
        public Prefix {
            if (length < 0) {
                throw new IllegalArgumentException("a prefix length must be >= 0, was " + length);
            }
        }

        @Override
        public String parameterName() {
            return "prefix";
        }

        @Override
        public String parameterValue() {
            return Integer.toString(length);
        }
    }
}
