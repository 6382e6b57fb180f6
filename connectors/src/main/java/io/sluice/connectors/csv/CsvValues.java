package io.sluice.connectors.csv;

/**
 * Parsers of CSV field bytes into typed values, without creating strings: the hot path of the CSV
 * source. Each {@code parse*} method checks the whole field and returns false when it is not a
 * value of its type; the parsed value is left in a field of this object (so that parsing does not
 * allocate). Leading and trailing spaces and tabs are ignored for every type but strings.
 *
 * <p>Not thread-safe: one instance per reader.
 */
final class CsvValues {
    private static final double[] POWERS_OF_TEN = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    };
    private static final int[] DAYS_BEFORE_MONTH = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

    long longValue;
    double doubleValue;
    boolean booleanValue;
    int dayValue;
    long microsValue;
    /** Whether the last parsed timestamp carried a zone (Z or an offset). */
    boolean zoned;

    private int start;
    private int end;

    private boolean trim(byte[] bytes, int from, int to) {
        while (from < to && (bytes[from] == ' ' || bytes[from] == '\t')) {
            from++;
        }
        while (to > from && (bytes[to - 1] == ' ' || bytes[to - 1] == '\t')) {
            to--;
        }
        start = from;
        end = to;
        return from < to;
    }

    /** A decimal integer with an optional sign, in the range of a long. */
    boolean parseLong(byte[] bytes, int from, int to) {
        if (!trim(bytes, from, to)) {
            return false;
        }
        int i = start;
        boolean negative = false;
        if (bytes[i] == '-' || bytes[i] == '+') {
            negative = bytes[i] == '-';
            i++;
            if (i == end) {
                return false;
            }
        }
        long value = 0;
        // Accumulate negatively so that Long.MIN_VALUE parses.
        for (; i < end; i++) {
            int digit = bytes[i] - '0';
            if (digit < 0 || digit > 9) {
                return false;
            }
            if (value < Long.MIN_VALUE / 10) {
                return false;
            }
            value = value * 10 - digit;
            if (value > 0) {
                return false;
            }
        }
        if (!negative) {
            if (value == Long.MIN_VALUE) {
                return false;
            }
            value = -value;
        }
        longValue = value;
        return true;
    }

    /**
     * A decimal floating-point number ({@code 1}, {@code -2.5}, {@code .5}, {@code 1e-3}) or
     * {@code NaN}, {@code inf}, {@code infinity} with an optional sign, ignoring case. Short numbers
     * are computed exactly (Clinger's fast path); the rest go through {@link Double#parseDouble}.
     */
    boolean parseDouble(byte[] bytes, int from, int to) {
        if (!trim(bytes, from, to)) {
            return false;
        }
        int i = start;
        boolean negative = false;
        if (bytes[i] == '-' || bytes[i] == '+') {
            negative = bytes[i] == '-';
            i++;
            if (i == end) {
                return false;
            }
        }
        if (isLetter(bytes[i])) {
            return special(bytes, i, negative);
        }
        long mantissa = 0;
        int digits = 0;
        int exponent = 0;
        boolean anyDigit = false;
        for (; i < end && isDigit(bytes[i]); i++) {
            anyDigit = true;
            if (mantissa == 0 && bytes[i] == '0') {
                continue;
            }
            if (digits < 19) {
                mantissa = mantissa * 10 + (bytes[i] - '0');
            } else {
                exponent++;
            }
            digits++;
        }
        if (i < end && bytes[i] == '.') {
            i++;
            for (; i < end && isDigit(bytes[i]); i++) {
                anyDigit = true;
                if (mantissa == 0 && bytes[i] == '0') {
                    exponent--;
                    continue;
                }
                if (digits < 19) {
                    mantissa = mantissa * 10 + (bytes[i] - '0');
                    exponent--;
                }
                digits++;
            }
        }
        if (!anyDigit) {
            return false;
        }
        if (i < end && (bytes[i] == 'e' || bytes[i] == 'E')) {
            i++;
            boolean negativeExponent = false;
            if (i < end && (bytes[i] == '-' || bytes[i] == '+')) {
                negativeExponent = bytes[i] == '-';
                i++;
            }
            if (i == end) {
                return false;
            }
            int explicit = 0;
            for (; i < end; i++) {
                if (!isDigit(bytes[i])) {
                    return false;
                }
                if (explicit < 100_000) {
                    explicit = explicit * 10 + (bytes[i] - '0');
                }
            }
            exponent += negativeExponent ? -explicit : explicit;
        }
        if (i != end) {
            return false;
        }
        double value;
        if (mantissa == 0) {
            value = 0.0;
        } else if (digits <= 15 && exponent >= -22 && exponent <= 22) {
            value = exponent >= 0 ? mantissa * POWERS_OF_TEN[exponent] : mantissa / POWERS_OF_TEN[-exponent];
        } else {
            value = Double.parseDouble(new String(bytes, start, end - start, java.nio.charset.StandardCharsets.ISO_8859_1));
            doubleValue = value;
            return true;
        }
        doubleValue = negative ? -value : value;
        return true;
    }

    private boolean special(byte[] bytes, int i, boolean negative) {
        int length = end - i;
        if (equalsIgnoreCase(bytes, i, length, "nan")) {
            doubleValue = Double.NaN;
            return true;
        }
        if (equalsIgnoreCase(bytes, i, length, "inf") || equalsIgnoreCase(bytes, i, length, "infinity")) {
            doubleValue = negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            return true;
        }
        return false;
    }

    /** {@code true} or {@code false}, ignoring case. */
    boolean parseBoolean(byte[] bytes, int from, int to) {
        if (!trim(bytes, from, to)) {
            return false;
        }
        int length = end - start;
        if (equalsIgnoreCase(bytes, start, length, "true")) {
            booleanValue = true;
            return true;
        }
        if (equalsIgnoreCase(bytes, start, length, "false")) {
            booleanValue = false;
            return true;
        }
        return false;
    }

    /** An ISO date {@code yyyy-MM-dd}, as days since 1970-01-01. */
    boolean parseDate(byte[] bytes, int from, int to) {
        if (!trim(bytes, from, to) || end - start != 10) {
            return false;
        }
        return date(bytes, start);
    }

    /**
     * An ISO date and time {@code yyyy-MM-dd[T| ]HH:mm[:ss[.fraction]][Z|±HH[:MM]]}, or a bare date
     * (midnight), as microseconds since the epoch; a zone offset is applied (the value is then UTC)
     * and noted in {@link #zoned}. Fractions beyond microseconds are truncated.
     */
    boolean parseTimestamp(byte[] bytes, int from, int to) {
        if (!trim(bytes, from, to) || end - start < 10 || !date(bytes, start)) {
            return false;
        }
        long seconds = dayValue * 86_400L;
        long micros = 0;
        zoned = false;
        int i = start + 10;
        if (i < end) {
            if (bytes[i] != 'T' && bytes[i] != ' ' && bytes[i] != 't') {
                return false;
            }
            i++;
            if (end - i < 5 || !isDigit(bytes[i]) || !isDigit(bytes[i + 1]) || bytes[i + 2] != ':'
                    || !isDigit(bytes[i + 3]) || !isDigit(bytes[i + 4])) {
                return false;
            }
            int hour = two(bytes, i);
            int minute = two(bytes, i + 3);
            int second = 0;
            i += 5;
            if (i < end && bytes[i] == ':') {
                if (end - i < 3 || !isDigit(bytes[i + 1]) || !isDigit(bytes[i + 2])) {
                    return false;
                }
                second = two(bytes, i + 1);
                i += 3;
                if (i < end && (bytes[i] == '.' || bytes[i] == ',')) {
                    i++;
                    int fractionDigits = 0;
                    long fraction = 0;
                    for (; i < end && isDigit(bytes[i]); i++) {
                        if (fractionDigits < 6) {
                            fraction = fraction * 10 + (bytes[i] - '0');
                        }
                        fractionDigits++;
                    }
                    if (fractionDigits == 0 || fractionDigits > 9) {
                        return false;
                    }
                    for (int d = Math.min(fractionDigits, 6); d < 6; d++) {
                        fraction *= 10;
                    }
                    micros = fraction;
                }
            }
            if (hour > 23 || minute > 59 || second > 59) {
                return false;
            }
            seconds += hour * 3600L + minute * 60L + second;
            if (i < end) {
                if (bytes[i] == 'Z' || bytes[i] == 'z') {
                    if (i + 1 != end) {
                        return false;
                    }
                    zoned = true;
                } else if (bytes[i] == '+' || bytes[i] == '-') {
                    int sign = bytes[i] == '-' ? -1 : 1;
                    i++;
                    int rest = end - i;
                    int offsetHours;
                    int offsetMinutes = 0;
                    if (rest == 2 && isDigit(bytes[i]) && isDigit(bytes[i + 1])) {
                        offsetHours = two(bytes, i);
                    } else if (rest == 4 && allDigits(bytes, i, 4)) {
                        offsetHours = two(bytes, i);
                        offsetMinutes = two(bytes, i + 2);
                    } else if (rest == 5 && isDigit(bytes[i]) && isDigit(bytes[i + 1]) && bytes[i + 2] == ':'
                            && isDigit(bytes[i + 3]) && isDigit(bytes[i + 4])) {
                        offsetHours = two(bytes, i);
                        offsetMinutes = two(bytes, i + 3);
                    } else {
                        return false;
                    }
                    if (offsetHours > 18 || offsetMinutes > 59) {
                        return false;
                    }
                    seconds -= sign * (offsetHours * 3600L + offsetMinutes * 60L);
                    zoned = true;
                } else {
                    return false;
                }
            }
        }
        microsValue = seconds * 1_000_000L + micros;
        return true;
    }

    private boolean date(byte[] bytes, int at) {
        if (!allDigits(bytes, at, 4) || bytes[at + 4] != '-' || !isDigit(bytes[at + 5]) || !isDigit(bytes[at + 6])
                || bytes[at + 7] != '-' || !isDigit(bytes[at + 8]) || !isDigit(bytes[at + 9])) {
            return false;
        }
        int year = two(bytes, at) * 100 + two(bytes, at + 2);
        int month = two(bytes, at + 5);
        int day = two(bytes, at + 8);
        if (month < 1 || month > 12 || day < 1 || day > monthLength(year, month)) {
            return false;
        }
        dayValue = epochDay(year, month, day);
        return true;
    }

    private static int monthLength(int year, int month) {
        return switch (month) {
            case 2 -> leap(year) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    private static boolean leap(int year) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (year 0 to 9999). */
    static int epochDay(int year, int month, int day) {
        long y = year;
        long days = 365 * y + Math.floorDiv(y + 3, 4) - Math.floorDiv(y + 99, 100) + Math.floorDiv(y + 399, 400);
        days += DAYS_BEFORE_MONTH[month - 1] + day - 1;
        if (month > 2 && leap(year)) {
            days++;
        }
        return (int) (days - 719_528L); // days from 0000-01-01 to 1970-01-01
    }

    private static int two(byte[] bytes, int at) {
        return (bytes[at] - '0') * 10 + (bytes[at + 1] - '0');
    }

    private static boolean allDigits(byte[] bytes, int at, int count) {
        for (int i = at; i < at + count; i++) {
            if (!isDigit(bytes[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean isLetter(byte b) {
        return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
    }

    private static boolean equalsIgnoreCase(byte[] bytes, int at, int length, String word) {
        if (length != word.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if ((bytes[at + i] | 0x20) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
