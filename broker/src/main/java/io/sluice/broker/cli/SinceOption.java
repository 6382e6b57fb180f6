package io.sluice.broker.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value of {@code --since}: a moment (an RFC 3339 time, or a date, meaning its start in UTC)
 * or a time back from now ({@code 7d}, {@code 12h}, {@code 30m}, or ISO 8601 {@code P7D}, {@code PT12H}).
 */
final class SinceOption {
    private static final Pattern SHORT = Pattern.compile("(\\d+)([dhm])");

    private SinceOption() {}

    static Instant parse(String value, Instant now) {
        String text = value.strip();
        Matcher shortForm = SHORT.matcher(text.toLowerCase(Locale.ROOT));
        try {
            if (shortForm.matches()) {
                long amount = Long.parseLong(shortForm.group(1));
                return now.minus(switch (shortForm.group(2)) {
                    case "d" -> Duration.ofDays(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofMinutes(amount);
                });
            }
            if (text.startsWith("P") || text.startsWith("p")) {
                return now.minus(Duration.parse(text));
            }
            if (text.length() == 10) {
                return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
            }
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new CliException("--since must be a time (2026-11-26T10:00:00Z), a date (2026-11-26) or a time back"
                    + " from now (7d, 12h, 30m, P7D), was '" + value + "'");
        }
    }
}
