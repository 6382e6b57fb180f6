package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/** The value a data owner wrote on the right of a constraint, already typed. */
public sealed interface RightOperand {

    /** One term, e.g. a purpose; never blank. */
    record Term(String value) implements RightOperand {
        public Term {
            requireNonNull(value, "value is null");
            if (value.isBlank()) {
                throw new IllegalArgumentException("a term must not be blank");
            }
        }
    }

    /** A non-empty list of terms, in the order written; none blank. */
    record Terms(List<String> values) implements RightOperand {
        public Terms {
            values = List.copyOf(requireNonNull(values, "values is null"));
            if (values.isEmpty()) {
                throw new IllegalArgumentException("a list of terms must not be empty");
            }
            if (values.stream().anyMatch(String::isBlank)) {
                throw new IllegalArgumentException("a term must not be blank, was " + values);
            }
        }
    }

    /** An instant, written in RFC 3339, e.g. {@code 2027-12-31T00:00:00Z}. */
    record DateTime(Instant value) implements RightOperand {
        public DateTime {
            requireNonNull(value, "value is null");
        }
    }

    /**
     * A non-negative length of time, written as an ISO-8601 duration of days, hours, minutes and
     * seconds, e.g. {@code P30D} or {@code PT12H} (years and months have no fixed length and are
     * refused).
     */
    record Duration(java.time.Duration value) implements RightOperand {
        public Duration {
            requireNonNull(value, "value is null");
            if (value.isNegative()) {
                throw new IllegalArgumentException("a duration must not be negative, was " + value);
            }
        }
    }

    /** A non-negative whole number, e.g. the streams a grant allows. */
    record Count(long value) implements RightOperand {
        public Count {
            if (value < 0) {
                throw new IllegalArgumentException("a count must be >= 0, was " + value);
            }
        }
    }
}
