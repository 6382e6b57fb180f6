package io.sluice.policy.enforce;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * A small, independent reference for the enforcement pipeline, working on plain Java values (the
 * canonical forms of {@link NestedValues}) one value at a time: which duty applies to which type,
 * what each duty does to a value, the output field, and a row filter's three-valued outcome. It
 * shares no code with the pipeline: pseudonyms come from the JDK's HmacSHA256, calendar
 * truncation from java.time, buckets from BigInteger.
 */
final class ReferenceEnforcement {
    private ReferenceEnforcement() {}

    /**
     * A duty as the test wrote it.
     *
     * @param action drop, pseudonymise, generalise or mask
     * @param steps the fields from the column down to the named one (list elements and map
     *     entries included)
     * @param text the path as written in the policy
     * @param parameter {@code to}: year|month, {@code width}: BigDecimal, {@code prefix}: Integer,
     *     {@code with}: the constant (Long, BigDecimal, String, Boolean, a date or date-time
     *     string) or null
     */
    record TestDuty(String action, List<Field> steps, String text, String parameterName, Object parameter) {}

    // ---- which duty applies where ----------------------------------------------------------------

    static boolean applies(TestDuty duty) {
        ArrowType type = valueField(duty.steps().getLast()).getType();
        boolean mapKey = isMapEntry(duty.steps(), 0);
        boolean mapValue = isMapEntry(duty.steps(), 1);
        boolean signedOrSmall = type instanceof ArrowType.Int i && (i.getIsSigned() || i.getBitWidth() < 64);
        boolean floating = type instanceof ArrowType.FloatingPoint f && f.getPrecision() != FloatingPointPrecision.HALF;
        return switch (duty.action()) {
            case "drop" -> !mapKey && !mapValue;
            case "pseudonymise" -> signedOrSmall || type instanceof ArrowType.Utf8 || type instanceof ArrowType.Binary
                    || type instanceof ArrowType.FixedSizeBinary;
            case "generalise" -> !mapKey && switch (duty.parameterName()) {
                case "to" -> type instanceof ArrowType.Date || type instanceof ArrowType.Timestamp;
                case "width" -> signedOrSmall || floating;
                default -> type instanceof ArrowType.Utf8;
            };
            case "mask" -> !mapKey && (duty.parameter() == null || signedOrSmall || floating
                    || type instanceof ArrowType.Utf8 || type instanceof ArrowType.Bool || type instanceof ArrowType.Date
                    || type instanceof ArrowType.Timestamp);
            default -> throw new IllegalArgumentException(duty.action());
        };
    }

    private static boolean isMapEntry(List<Field> steps, int which) {
        int n = steps.size();
        return n >= 3 && steps.get(n - 3).getType() instanceof ArrowType.Map
                && steps.get(n - 2).getChildren().get(which) == steps.get(n - 1);
    }

    static boolean isList(ArrowType type) {
        return type instanceof ArrowType.List || type instanceof ArrowType.LargeList
                || type instanceof ArrowType.FixedSizeList;
    }

    private static Field valueField(Field field) {
        while (isList(field.getType())) {
            field = field.getChildren().getFirst();
        }
        return field;
    }

    // ---- the output field --------------------------------------------------------------------------

    /** {@code column} (already changed by earlier duties) as {@code duty} leaves it; null when dropped. */
    static Field outputField(Field column, TestDuty duty) {
        return outputField(column, duty, 0);
    }

    private static Field outputField(Field field, TestDuty duty, int depth) {
        List<Field> steps = duty.steps();
        if (depth == steps.size() - 1) {
            return duty.action().equals("drop") ? null : transformedField(field, duty);
        }
        String next = steps.get(depth + 1).getName();
        List<Field> children = new ArrayList<>();
        for (Field child : field.getChildren()) {
            Field changed = child.getName().equals(next) ? outputField(child, duty, depth + 1) : child;
            if (changed != null) {
                children.add(changed);
            }
        }
        return new Field(field.getName(), field.getFieldType(), children);
    }

    private static Field transformedField(Field field, TestDuty duty) {
        if (isList(field.getType()) && !masksWithNull(duty)) {
            return new Field(field.getName(), field.getFieldType(),
                    List.of(transformedField(field.getChildren().getFirst(), duty)));
        }
        return switch (duty.action()) {
            case "pseudonymise" -> new Field(field.getName(), new FieldType(field.isNullable(), ArrowType.Utf8.INSTANCE,
                    null), null);
            case "mask" -> duty.parameter() == null
                    ? new Field(field.getName(), new FieldType(true, field.getType(), null), field.getChildren())
                    : field;
            default -> field;
        };
    }

    // ---- the values --------------------------------------------------------------------------------

    /** A column's canonical value after {@code duty}. */
    static Object apply(Object value, TestDuty duty, byte[] key) {
        return apply(value, duty, 0, key);
    }

    private static Object apply(Object value, TestDuty duty, int depth, byte[] key) {
        List<Field> steps = duty.steps();
        Field field = steps.get(depth);
        if (depth == steps.size() - 1) {
            return transformValues(field, value, duty, key);
        }
        if (value == null) {
            return null;
        }
        if (field.getType() instanceof ArrowType.Struct) {
            @SuppressWarnings("unchecked")
            Map<String, Object> struct = new LinkedHashMap<>((Map<String, Object>) value);
            String next = steps.get(depth + 1).getName();
            if (depth + 1 == steps.size() - 1 && duty.action().equals("drop")) {
                struct.remove(next);
            } else {
                struct.put(next, apply(struct.get(next), duty, depth + 1, key));
            }
            return struct;
        }
        // A list or a map: the next step is its element (or entry), for every element.
        List<Object> elements = new ArrayList<>();
        for (Object element : (List<?>) value) {
            elements.add(apply(element, duty, depth + 1, key));
        }
        return elements;
    }

    private static Object transformValues(Field field, Object value, TestDuty duty, byte[] key) {
        // A mask with null nulls a list value whole, lengths and all; any other duty changes its elements.
        if (isList(field.getType()) && !masksWithNull(duty)) {
            if (value == null) {
                return null;
            }
            List<Object> elements = new ArrayList<>();
            for (Object element : (List<?>) value) {
                elements.add(transformValues(field.getChildren().getFirst(), element, duty, key));
            }
            return elements;
        }
        if (duty.action().equals("mask")) {
            return duty.parameter() == null ? null : constant(field.getType(), duty.parameter());
        }
        if (value == null) {
            return null;
        }
        ArrowType type = field.getType();
        return switch (duty.action()) {
            case "pseudonymise" -> switch (type) {
                case ArrowType.Int i -> hmac(key, (byte) 1, ByteBuffer.allocate(8).putLong((Long) value).array());
                case ArrowType.Utf8 u -> hmac(key, (byte) 2, ((String) value).getBytes(StandardCharsets.UTF_8));
                default -> hmac(key, (byte) 3, NestedValues.bytes(value));
            };
            case "generalise" -> switch (duty.parameterName()) {
                case "to" -> truncate(type, (Long) value, duty.parameter().equals("year"));
                case "width" -> bucket(type, value, (BigDecimal) duty.parameter());
                default -> ((String) value).codePoints().limit((Integer) duty.parameter())
                        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            };
            default -> throw new IllegalArgumentException(duty.action());
        };
    }

    private static boolean masksWithNull(TestDuty duty) {
        return duty.action().equals("mask") && duty.parameter() == null;
    }

    private static String hmac(byte[] key, byte tag, byte[] bytes) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(tag);
            return HexFormat.of().formatHex(mac.doFinal(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long truncate(ArrowType type, long value, boolean toYear) {
        if (type instanceof ArrowType.Date date) {
            long day = date.getUnit() == DateUnit.DAY ? value : Math.floorDiv(value, 86_400_000L);
            long first = firstDay(LocalDate.ofEpochDay(day), toYear).toEpochDay();
            return date.getUnit() == DateUnit.DAY ? first : first * 86_400_000L;
        }
        ArrowType.Timestamp timestamp = (ArrowType.Timestamp) type;
        long perSecond = perSecond(timestamp.getUnit());
        ZoneId zone = timestamp.getTimezone() == null ? ZoneOffset.UTC : ZoneId.of(timestamp.getTimezone());
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(value, perSecond),
                Math.floorMod(value, perSecond) * (1_000_000_000L / perSecond));
        LocalDate first = firstDay(instant.atZone(zone).toLocalDate(), toYear);
        return first.atStartOfDay(zone).toEpochSecond() * perSecond;
    }

    private static LocalDate firstDay(LocalDate date, boolean toYear) {
        return date.with(toYear ? TemporalAdjusters.firstDayOfYear() : TemporalAdjusters.firstDayOfMonth());
    }

    static long perSecond(TimeUnit unit) {
        return switch (unit) {
            case SECOND -> 1;
            case MILLISECOND -> 1_000;
            case MICROSECOND -> 1_000_000;
            case NANOSECOND -> 1_000_000_000;
        };
    }

    private static Object bucket(ArrowType type, Object value, BigDecimal width) {
        if (type instanceof ArrowType.Int integer) {
            BigInteger w = width.toBigIntegerExact();
            BigInteger v = BigInteger.valueOf((Long) value);
            BigInteger[] qr = v.divideAndRemainder(w);
            BigInteger q = qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
            BigInteger bound = q.multiply(w);
            BigInteger min = integer.getIsSigned() ? BigInteger.ONE.shiftLeft(integer.getBitWidth() - 1).negate()
                    : BigInteger.ZERO;
            return bound.max(min).longValueExact();
        }
        double v = (Double) value;
        double w = width.doubleValue();
        double bound = Math.floor(v / w) * w;
        return ((ArrowType.FloatingPoint) type).getPrecision() == FloatingPointPrecision.SINGLE
                ? (double) (float) bound : bound;
    }

    /** A mask's constant in the canonical form of {@code type}. */
    private static Object constant(ArrowType type, Object with) {
        return switch (type) {
            case ArrowType.Int i -> with;
            case ArrowType.FloatingPoint f -> f.getPrecision() == FloatingPointPrecision.SINGLE
                    ? (double) ((BigDecimal) with).floatValue() : ((BigDecimal) with).doubleValue();
            case ArrowType.Date d -> {
                long day = LocalDate.parse((String) with).toEpochDay();
                yield d.getUnit() == DateUnit.DAY ? day : day * 86_400_000L;
            }
            case ArrowType.Timestamp t -> Instant.parse((String) with).getEpochSecond() * perSecond(t.getUnit());
            default -> with;
        };
    }

    // ---- row filters -------------------------------------------------------------------------------

    /** A row filter as the test wrote it, evaluated on canonical values with SQL's three values. */
    sealed interface Condition {
        /** TRUE, FALSE or null (unknown). */
        Boolean test(Map<String, Object> row);

        String sql();
    }

    record Compare(List<String> path, String operator, ArrowType type, Object literal, String literalSql)
            implements Condition {
        @Override
        public Boolean test(Map<String, Object> row) {
            Object value = valueAt(row, path);
            if (value == null) {
                return null;
            }
            int c = compare(type, value, literal);
            return switch (operator) {
                case "=" -> c == 0;
                case "!=" -> c != 0;
                case "<" -> c < 0;
                case "<=" -> c <= 0;
                case ">" -> c > 0;
                default -> c >= 0;
            };
        }

        @Override
        public String sql() {
            return String.join(".", path) + " " + operator + " " + literalSql;
        }
    }

    record IsNull(List<String> path) implements Condition {
        @Override
        public Boolean test(Map<String, Object> row) {
            return valueAt(row, path) == null;
        }

        @Override
        public String sql() {
            return String.join(".", path) + " IS NULL";
        }
    }

    record Not(Condition operand) implements Condition {
        @Override
        public Boolean test(Map<String, Object> row) {
            Boolean value = operand.test(row);
            return value == null ? null : !value;
        }

        @Override
        public String sql() {
            return "NOT (" + operand.sql() + ")";
        }
    }

    record Both(Condition left, Condition right, boolean and) implements Condition {
        @Override
        public Boolean test(Map<String, Object> row) {
            Boolean l = left.test(row);
            Boolean r = right.test(row);
            if (and) {
                return Boolean.FALSE.equals(l) || Boolean.FALSE.equals(r) ? Boolean.FALSE
                        : l == null || r == null ? null : Boolean.TRUE;
            }
            return Boolean.TRUE.equals(l) || Boolean.TRUE.equals(r) ? Boolean.TRUE
                    : l == null || r == null ? null : Boolean.FALSE;
        }

        @Override
        public String sql() {
            return "(" + left.sql() + (and ? " AND " : " OR ") + right.sql() + ")";
        }
    }

    private static Object valueAt(Map<String, Object> row, List<String> path) {
        Object value = row;
        for (String step : path) {
            if (!(value instanceof Map<?, ?> struct)) {
                return null;
            }
            value = struct.get(step);
        }
        return value;
    }

    private static int compare(ArrowType type, Object value, Object literal) {
        return switch (type) {
            case ArrowType.Utf8 u -> Arrays.compareUnsigned(((String) value).getBytes(StandardCharsets.UTF_8),
                    ((String) literal).getBytes(StandardCharsets.UTF_8));
            case ArrowType.Bool b -> Boolean.compare((Boolean) value, (Boolean) literal);
            default -> Long.compare((Long) value, (Long) literal);
        };
    }
}
