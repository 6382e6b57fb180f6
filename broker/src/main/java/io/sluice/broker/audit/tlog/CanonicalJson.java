package io.sluice.broker.audit.tlog;

import java.math.BigDecimal;
import java.util.AbstractMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The RFC 8785 JSON Canonicalization Scheme (JCS): one byte sequence for one JSON value, so that
 * audit records hash and sign the same everywhere.
 *
 * <ul>
 *   <li>Objects ({@link Map} with {@link String} keys, any map order): members sorted by the
 *       UTF-16 code units of their names (§3.2.3), no whitespace anywhere.
 *   <li>Strings: escaped as §3.2.2.2 says — {@code \b \t \n \f \r \" \\}, and a backslash
 *       with {@code u00xx} (lower-case hex) for the other controls below U+0020; everything
 *       else, including '/', DEL and non-ASCII, is written as raw UTF-8. A lone surrogate is not
 *       Unicode text (I-JSON) and is rejected.
 *   <li>Numbers: the ECMAScript {@code Number.prototype.toString} form of the IEEE 754 double
 *       (§3.2.2.3), e.g. {@code 1e+21}, {@code 1e-7}, {@code 0.000001}, {@code 4.5}; {@code -0}
 *       is written {@code 0}; NaN and infinities are rejected. {@link Float} values are widened
 *       exactly to double. Integers ({@link Long}, {@link Integer}, {@link Short},
 *       {@link Byte}) must lie within ±(2^53 − 1), the range in which a JSON number is an exact
 *       integer for every reader (RFC 7493 §2.2); larger ones are rejected: encode them as
 *       strings.
 *   <li>{@link List} in order; {@link Boolean}; Java {@code null} as {@code null}.
 * </ul>
 *
 * Any other type, a non-string or null map key, or nesting deeper than {@value #MAX_DEPTH}
 * throws {@link IllegalArgumentException} naming the type or the rule. Thread-safe.
 */
public final class CanonicalJson {
    /** Deepest nesting of arrays and objects accepted (guards against cyclic structures). */
    public static final int MAX_DEPTH = 500;

    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CanonicalJson() {}

    /** The canonical UTF-8 bytes of {@code value}. */
    public static byte[] encode(Object value) {
        StringBuilder out = new StringBuilder(256);
        write(value, out, 0);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(Object value, StringBuilder out, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> writeString(s, out);
            case Boolean b -> out.append(b ? "true" : "false");
            case Long l -> writeInteger(l, out);
            case Integer i -> out.append(i.intValue());
            case Short s -> out.append(s.shortValue());
            case Byte b -> out.append(b.byteValue());
            case Double d -> out.append(formatDouble(d));
            case Float f -> out.append(formatDouble(f.doubleValue()));
            case Map<?, ?> map -> writeObject(map, out, checkDepth(depth));
            case List<?> list -> writeArray(list, out, checkDepth(depth));
            default -> throw new IllegalArgumentException(
                    "cannot encode a " + value.getClass().getName() + " as canonical JSON"
                            + " (use Map, List, String, Long, Integer, Short, Byte, Double, Float, Boolean or null)");
        }
    }

    private static int checkDepth(int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("JSON nesting must be at most " + MAX_DEPTH + " levels (a cycle?)");
        }
        return depth + 1;
    }

    private static void writeObject(Map<?, ?> map, StringBuilder out, int depth) {
        List<Map.Entry<String, ?>> members = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String key)) {
                throw new IllegalArgumentException("JSON object keys must be strings, was "
                        + (entry.getKey() == null ? "null" : "a " + entry.getKey().getClass().getName()));
            }
            members.add(new AbstractMap.SimpleImmutableEntry<>(key, entry.getValue()));
        }
        // String.compareTo compares UTF-16 code units, exactly the order of RFC 8785 §3.2.3.
        members.sort((a, b) -> a.getKey().compareTo(b.getKey()));
        out.append('{');
        for (int i = 0; i < members.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Map.Entry<String, ?> member = members.get(i);
            writeString(member.getKey(), out);
            out.append(':');
            write(member.getValue(), out, depth);
        }
        out.append('}');
    }

    private static void writeArray(List<?> list, StringBuilder out, int depth) {
        out.append('[');
        boolean first = true;
        for (Object element : list) {
            if (!first) {
                out.append(',');
            }
            first = false;
            write(element, out, depth);
        }
        out.append(']');
    }

    private static void writeInteger(long value, StringBuilder out) {
        if (value > MAX_SAFE_INTEGER || value < -MAX_SAFE_INTEGER) {
            throw new IllegalArgumentException("integer " + value
                    + " is outside the exact JSON range ±(2^53 - 1); encode it as a string");
        }
        out.append(value);
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else if (Character.isHighSurrogate(c)
                            && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        throw new IllegalArgumentException(String.format(
                                "JSON strings must be Unicode text: lone surrogate U+%04X at index %d", (int) c, i));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * ECMAScript {@code Number::toString(x)} for a finite double (ECMA-262 §6.1.6.1.20, the
     * algorithm RFC 8785 §3.2.2.3 adopts): the shortest digits {@code s} (k of them) with
     * exponent {@code n} such that {@code s × 10^(n−k)} rounds to {@code x}, laid out in plain
     * notation for {@code -6 < n <= 21} and in exponent notation otherwise.
     */
    static String formatDouble(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            throw new IllegalArgumentException("JSON numbers must be finite, was " + x);
        }
        if (x == 0) {
            return "0"; // also -0
        }
        if (x < 0) {
            return "-" + formatDouble(-x);
        }
        // Double.toString (JDK 19+) yields the shortest decimal that rounds to x, closest to x,
        // except that it never goes below two digits: handled below.
        BigDecimal shortest = new BigDecimal(Double.toString(x)).stripTrailingZeros();
        String digits = shortest.unscaledValue().toString();
        int n = digits.length() - shortest.scale();
        if (digits.length() == 2) {
            String one = oneDigit(x, digits, n);
            if (one != null) {
                digits = one.substring(0, 1);
                n = Integer.parseInt(one.substring(1));
            }
        }
        return layout(digits, n);
    }

    /**
     * When Double.toString printed two digits {@code d1 d2}, a one-digit decimal may still round
     * to {@code x} (e.g. 5e-324, which Java prints 4.9E-324). Returns that digit followed by its
     * exponent {@code n}, or {@code null}. Of two candidates, the closer to {@code x} wins; a tie
     * goes to the even digit.
     */
    private static String oneDigit(double x, String digits, int n) {
        int low = digits.charAt(0) - '0';
        String below = roundTrips(x, low, n) ? low + "" + n : null;
        String above = low == 9
                ? (roundTrips(x, 1, n + 1) ? "1" + (n + 1) : null)
                : (roundTrips(x, low + 1, n) ? (low + 1) + "" + n : null);
        if (below == null || above == null) {
            return below != null ? below : above;
        }
        BigDecimal exact = new BigDecimal(x);
        BigDecimal belowValue = BigDecimal.valueOf(low).scaleByPowerOfTen(n - 1);
        BigDecimal aboveValue = BigDecimal.valueOf(low + 1).scaleByPowerOfTen(n - 1);
        int cmp = exact.subtract(belowValue).compareTo(aboveValue.subtract(exact));
        if (cmp != 0) {
            return cmp < 0 ? below : above;
        }
        return low % 2 == 0 ? below : above;
    }

    private static boolean roundTrips(double x, int digit, int n) {
        return digit != 0 && Double.parseDouble(digit + "e" + (n - 1)) == x;
    }

    private static String layout(String digits, int n) {
        int k = digits.length();
        StringBuilder out = new StringBuilder(k + 8);
        if (k <= n && n <= 21) {
            out.append(digits).repeat('0', n - k);
        } else if (0 < n && n <= 21) {
            out.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            out.append("0.").repeat('0', -n).append(digits);
        } else {
            int e = n - 1;
            out.append(digits.charAt(0));
            if (k > 1) {
                out.append('.').append(digits, 1, k);
            }
            out.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
        }
        return out.toString();
    }
}
