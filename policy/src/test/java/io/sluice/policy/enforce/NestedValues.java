package io.sluice.policy.enforce;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalDayVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.IntervalYearVector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.NullVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeNanoVector;
import org.apache.arrow.vector.TimeSecVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.PeriodDuration;
import org.apache.arrow.vector.util.Text;

/**
 * Plain Java values of Arrow fields, for tests of nested data: one canonical form per type, a
 * writer that puts such values into vectors, and a reader that turns what {@link
 * FieldVector#getObject} returns back into that form. Canonical forms: integers, dates, times and
 * timestamps as {@code Long} in the type's unit (unsigned integers as their unsigned value);
 * float32/64 as {@code Double}; float16 as its {@code Short} bits; decimals as {@code BigDecimal};
 * strings as {@code String}; binary as {@code "0x"} and hex; durations as {@code Long} units;
 * intervals as months ({@code Long}), {@code Duration} (day-time) or {@code "m/d/n"}; structs
 * and map entries as {@code Map<String, Object>} by field name; lists and maps as {@code List}.
 */
final class NestedValues {
    private NestedValues() {}

    /** A batch of {@code schema} holding {@code rows} of canonical values (one list per row, by column). */
    static VectorSchemaRoot batch(Schema schema, List<List<Object>> rows, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            root.allocateNew();
            for (int c = 0; c < schema.getFields().size(); c++) {
                FieldVector vector = root.getVector(c);
                for (int r = 0; r < rows.size(); r++) {
                    write(vector, r, rows.get(r).get(c));
                }
                vector.setValueCount(rows.size());
            }
            root.setRowCount(rows.size());
            return root;
        } catch (RuntimeException | Error e) {
            root.close();
            throw e;
        }
    }

    /**
     * A null struct whose fields nevertheless hold values underneath, as Arrow allows and real
     * files have: readers must ignore them.
     */
    record NullWith(Object shadow) {}

    /** {@code value} as a reader sees it: every {@link NullWith} null. */
    static Object visible(Object value) {
        return switch (value) {
            case NullWith hidden -> null;
            case Map<?, ?> map -> {
                Map<Object, Object> shown = new LinkedHashMap<>();
                map.forEach((k, v) -> shown.put(k, visible(v)));
                yield shown;
            }
            case List<?> list -> list.stream().map(NestedValues::visible).collect(ArrayList::new, ArrayList::add,
                    ArrayList::addAll);
            case null -> null;
            default -> value;
        };
    }

    /** Writes one canonical value (null = null) at {@code index}. */
    static void write(FieldVector vector, int index, Object value) {
        switch (vector) {
            case NullVector n -> { }
            case StructVector struct -> {
                Object shown = value instanceof NullWith hidden ? hidden.shadow() : value;
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = (Map<String, Object>) shown;
                if (value == null || value instanceof NullWith) {
                    struct.setNull(index);
                } else {
                    struct.setIndexDefined(index);
                }
                for (FieldVector child : struct.getChildrenFromFields()) {
                    write(child, index, shown == null ? null : fields.get(child.getName()));
                }
            }
            case ListVector list -> {
                List<?> elements = (List<?>) value;
                int start = list.startNewValue(index);
                int size = value == null ? 0 : elements.size();
                for (int i = 0; i < size; i++) {
                    write(list.getDataVector(), start + i, elements.get(i));
                }
                list.endValue(index, size);
                if (value == null) {
                    BitVectorHelper.unsetBit(list.getValidityBuffer(), index);
                }
            }
            case LargeListVector list -> {
                List<?> elements = (List<?>) value;
                long start = list.startNewValue(index);
                int size = value == null ? 0 : elements.size();
                for (int i = 0; i < size; i++) {
                    write(list.getDataVector(), (int) (start + i), elements.get(i));
                }
                list.endValue(index, size);
                if (value == null) {
                    BitVectorHelper.unsetBit(list.getValidityBuffer(), index);
                }
            }
            case FixedSizeListVector list -> {
                List<?> elements = (List<?>) value;
                int start = list.startNewValue(index);
                for (int i = 0; i < list.getListSize(); i++) {
                    write(list.getDataVector(), start + i, value == null ? null : elements.get(i));
                }
                if (value == null) {
                    list.setNull(index);
                }
            }
            default -> {
                if (value == null) {
                    setNull(vector, index);
                } else {
                    scalar(vector, index, value);
                }
            }
        }
    }

    private static void setNull(FieldVector vector, int index) {
        while (vector.getValueCapacity() <= index) {
            vector.reAlloc();
        }
        vector.setNull(index);
    }

    private static void scalar(FieldVector vector, int index, Object value) {
        switch (vector) {
            case BitVector v -> v.setSafe(index, (Boolean) value ? 1 : 0);
            case TinyIntVector v -> v.setSafe(index, (byte) (long) (Long) value);
            case SmallIntVector v -> v.setSafe(index, (short) (long) (Long) value);
            case IntVector v -> v.setSafe(index, (int) (long) (Long) value);
            case BigIntVector v -> v.setSafe(index, (Long) value);
            case UInt1Vector v -> v.setSafe(index, (int) (long) (Long) value);
            case UInt2Vector v -> v.setSafe(index, (int) (long) (Long) value);
            case UInt4Vector v -> v.setSafe(index, (int) (long) (Long) value);
            case UInt8Vector v -> v.setSafe(index, (Long) value);
            case Float2Vector v -> v.setSafe(index, (Short) value);
            case Float4Vector v -> v.setSafe(index, (float) (double) (Double) value);
            case Float8Vector v -> v.setSafe(index, (Double) value);
            case DecimalVector v -> v.setSafe(index, (BigDecimal) value);
            case Decimal256Vector v -> v.setSafe(index, (BigDecimal) value);
            case VarCharVector v -> v.setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
            case LargeVarCharVector v -> v.setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
            case VarBinaryVector v -> v.setSafe(index, bytes(value));
            case LargeVarBinaryVector v -> v.setSafe(index, bytes(value));
            case FixedSizeBinaryVector v -> v.setSafe(index, bytes(value));
            case DateDayVector v -> v.setSafe(index, (int) (long) (Long) value);
            case DateMilliVector v -> v.setSafe(index, (Long) value);
            case TimeSecVector v -> v.setSafe(index, (int) (long) (Long) value);
            case TimeMilliVector v -> v.setSafe(index, (int) (long) (Long) value);
            case TimeMicroVector v -> v.setSafe(index, (Long) value);
            case TimeNanoVector v -> v.setSafe(index, (Long) value);
            case TimeStampVector v -> v.setSafe(index, (Long) value);
            case DurationVector v -> v.setSafe(index, (Long) value);
            case IntervalYearVector v -> v.setSafe(index, (int) (long) (Long) value);
            case IntervalDayVector v -> {
                Duration duration = (Duration) value;
                v.setSafe(index, (int) duration.toDays(), (int) duration.minusDays(duration.toDays()).toMillis());
            }
            case IntervalMonthDayNanoVector v -> {
                String[] parts = ((String) value).split("/");
                v.setSafe(index, Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
            }
            default -> throw new IllegalStateException("no writer for " + vector.getField());
        }
    }

    static byte[] bytes(Object hex) {
        return HexFormat.of().parseHex(((String) hex).substring(2));
    }

    static String hex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }

    /** The canonical form of what {@code getObject} returned for a value of {@code field}. */
    static Object canonical(Field field, Object value) {
        if (value == null) {
            return null;
        }
        return switch (field.getType()) {
            case ArrowType.Int i -> {
                long v = value instanceof Character ch ? (long) ch : ((Number) value).longValue();
                yield i.getIsSigned() || i.getBitWidth() == 64 ? v : v & ((1L << i.getBitWidth()) - 1);
            }
            case ArrowType.FloatingPoint f -> switch (f.getPrecision()) {
                case HALF -> value;
                case SINGLE -> (double) (Float) value;
                case DOUBLE -> value;
            };
            case ArrowType.Utf8 u -> value.toString();
            case ArrowType.LargeUtf8 u -> value.toString();
            case ArrowType.Binary b -> hex((byte[]) value);
            case ArrowType.LargeBinary b -> hex((byte[]) value);
            case ArrowType.FixedSizeBinary b -> hex((byte[]) value);
            case ArrowType.Date d -> value instanceof LocalDateTime time
                    ? time.toInstant(ZoneOffset.UTC).toEpochMilli() : ((Number) value).longValue();
            case ArrowType.Time t -> value instanceof LocalDateTime time
                    ? time.toLocalTime().toNanoOfDay() / 1_000_000 : ((Number) value).longValue();
            case ArrowType.Timestamp t -> value instanceof LocalDateTime time ? units(time, t) : value;
            case ArrowType.Duration d -> {
                Duration duration = (Duration) value;
                yield switch (d.getUnit()) {
                    case SECOND -> duration.getSeconds();
                    case MILLISECOND -> duration.toMillis();
                    case MICROSECOND -> duration.toNanos() / 1_000;
                    case NANOSECOND -> duration.toNanos();
                };
            }
            case ArrowType.Interval i -> switch (value) {
                case java.time.Period period -> period.toTotalMonths();
                case PeriodDuration pd -> pd.getPeriod().toTotalMonths() + "/" + pd.getPeriod().getDays() + "/"
                        + pd.getDuration().toNanos();
                default -> value;
            };
            case ArrowType.Struct s -> {
                Map<?, ?> fields = (Map<?, ?>) value;
                Map<String, Object> canonical = new LinkedHashMap<>();
                for (Field child : field.getChildren()) {
                    canonical.put(child.getName(), canonical(child, fields.get(child.getName())));
                }
                yield canonical;
            }
            case ArrowType.List l -> elements(field, value);
            case ArrowType.LargeList l -> elements(field, value);
            case ArrowType.FixedSizeList l -> elements(field, value);
            case ArrowType.Map m -> elements(field, value);
            default -> value;
        };
    }

    private static List<Object> elements(Field field, Object value) {
        Field element = field.getChildren().getFirst();
        List<Object> canonical = new ArrayList<>();
        for (Object item : (List<?>) value) {
            canonical.add(canonical(element, item instanceof Text text ? text.toString() : item));
        }
        return canonical;
    }

    /** A timestamp without zone as {@code getObject} shows it, back in the type's units. */
    private static long units(LocalDateTime time, ArrowType.Timestamp type) {
        long seconds = time.toEpochSecond(ZoneOffset.UTC);
        long nanos = time.getNano();
        return switch (type.getUnit()) {
            case SECOND -> seconds;
            case MILLISECOND -> seconds * 1_000 + nanos / 1_000_000;
            case MICROSECOND -> seconds * 1_000_000 + nanos / 1_000;
            case NANOSECOND -> seconds * 1_000_000_000 + nanos;
        };
    }

    /** Every row of a batch, canonical, by column. */
    static List<List<Object>> rows(VectorSchemaRoot root) {
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < root.getRowCount(); r++) {
            List<Object> row = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                row.add(canonical(vector.getField(), vector.getObject(r)));
            }
            rows.add(row);
        }
        return rows;
    }
}
