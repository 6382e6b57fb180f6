package io.sluice.connectors.parquet;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.parquet.ParquetColumn.Leaf;
import io.sluice.connectors.parquet.ParquetColumn.LeafKind;
import io.sluice.connectors.parquet.ParquetColumn.ListOf;
import io.sluice.connectors.parquet.ParquetColumn.Node;
import io.sluice.connectors.parquet.ParquetColumn.Struct;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.BsonLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DateLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.EnumLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.Float16LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.ListLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.MapKeyValueTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.MapLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.StringLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.UUIDLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Maps a Parquet file schema to Arrow fields, one top-level column at a time.
 *
 * <table>
 *   <caption>Supported columns (optional: nullable; required: not nullable)</caption>
 *   <tr><th>Parquet</th><th>Arrow</th></tr>
 *   <tr><td>BOOLEAN</td><td>Bool</td></tr>
 *   <tr><td>INT32, INT32 INTEGER(8|16|32, signed or not)</td><td>Int(8|16|32, signed or not)</td></tr>
 *   <tr><td>INT32 DATE</td><td>Date(DAY)</td></tr>
 *   <tr><td>INT32 TIME(MILLIS)</td><td>Time(MILLISECOND, 32)</td></tr>
 *   <tr><td>INT64, INT64 INTEGER(64, signed or not)</td><td>Int(64, signed or not)</td></tr>
 *   <tr><td>INT64 TIMESTAMP(MILLIS|MICROS|NANOS, adjusted to UTC)</td>
 *       <td>Timestamp(unit, "UTC" when adjusted, else no zone)</td></tr>
 *   <tr><td>INT64 TIME(MICROS|NANOS)</td><td>Time(unit, 64)</td></tr>
 *   <tr><td>INT96 (legacy Impala/Spark timestamps)</td><td>Timestamp(MICROSECOND, no zone), as Spark and
 *       pyarrow's {@code coerce_int96_timestamp_unit='us'} read it: exact from year 1 to 9999 and
 *       beyond (nanoseconds of the day truncated); a value outside 64-bit microseconds is an error</td></tr>
 *   <tr><td>INT32, INT64, FIXED_LEN_BYTE_ARRAY, BINARY DECIMAL(p, s)</td>
 *       <td>Decimal(p, s, 128), or 256 bits when p &gt; 38</td></tr>
 *   <tr><td>FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY(2) FLOAT16</td><td>FloatingPoint(SINGLE|DOUBLE|HALF)</td></tr>
 *   <tr><td>BINARY STRING|ENUM|JSON (or converted type UTF8)</td><td>Utf8</td></tr>
 *   <tr><td>BINARY without annotation, BSON</td><td>Binary</td></tr>
 *   <tr><td>FIXED_LEN_BYTE_ARRAY(n), UUID</td><td>FixedSizeBinary(n)</td></tr>
 *   <tr><td>group without annotation</td><td>Struct of the mapped fields</td></tr>
 *   <tr><td>LIST group, three-level ({@code repeated group list { element; }})</td>
 *       <td>List; the element named and nullable as the Parquet element</td></tr>
 *   <tr><td>LIST group, legacy two-level, by the backward-compatibility rules of LogicalTypes.md:
 *       a repeated primitive; a repeated group of several fields, of one repeated field, or named
 *       {@code array} or {@code <list>_tuple}</td>
 *       <td>List of the repeated field itself, not null (a Struct for a group), named after it</td></tr>
 *   <tr><td>MAP or legacy MAP_KEY_VALUE group ({@code repeated group key_value { required key;
 *       value; }}, key and value by position, any names)</td>
 *       <td>Map(keysSorted false) of a non-null entries Struct named after the map, holding the key
 *       (not null) and the value under their Parquet names</td></tr>
 *   <tr><td>MAP group with a key and no value</td><td>List of the keys</td></tr>
 *   <tr><td>repeated field outside a LIST or MAP group (top level or in a struct)</td>
 *       <td>List, not null, of non-null elements; list and element named after the field</td></tr>
 * </table>
 *
 * <p>Every group nests in every other: lists of structs, structs of lists, lists of lists, lists
 * of maps, maps of lists and structs, up to {@link ParquetFeatures#MAX_NESTING_DEPTH} path
 * elements deep (deeper schemas are refused with the footer, before this mapping recurses over
 * them). Names and nullability are those pyarrow gives the same file.
 *
 * <p>Values are served exactly or not at all: a decimal whose unscaled value has more digits than
 * its precision is an error ({@link DecimalPrecision}), never an invalid Arrow decimal; unsigned
 * 64-bit values keep their bits in UInt(64); dates and times keep the file's integers.
 *
 * <p>Dictionary-encoded columns are decoded into the plain Arrow type. Everything else (map keys
 * that may be null, INTERVAL, GEOMETRY, GEOGRAPHY, VARIANT, the null type, other annotations) is
 * {@link ConnectorErrorCode#UNSUPPORTED_TYPE} when the source is opened.
 */
final class ParquetArrowSchema {
    private ParquetArrowSchema() {}

    /**
     * The columns of {@code schema} in file order.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#UNSUPPORTED_TYPE} naming every column
     *     that cannot be read, with its Parquet type
     */
    static List<ParquetColumn> columns(MessageType schema, String fileName) {
        List<ParquetColumn> columns = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        for (Type type : schema.getFields()) {
            try {
                Mapped mapped = map(schema, type, new String[] {type.getName()});
                columns.add(new ParquetColumn(type, mapped.field(), mapped.node()));
            } catch (Unsupported e) {
                unsupported.add(type.getName() + " (" + describe(type) + ")");
            }
        }
        if (!unsupported.isEmpty()) {
            throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE,
                    fileName + " has columns of types not supported yet: " + String.join(", ", unsupported));
        }
        return List.copyOf(columns);
    }

    /** A Parquet type as a user would write it, e.g. {@code optional int32 (DECIMAL(9,2))}. */
    static String describe(Type type) {
        StringBuilder description = new StringBuilder(type.getRepetition().name().toLowerCase(Locale.ROOT))
                .append(' ');
        if (type.isPrimitive()) {
            PrimitiveType primitive = type.asPrimitiveType();
            description.append(primitive.getPrimitiveTypeName().name().toLowerCase(Locale.ROOT));
            if (primitive.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
                description.append('(').append(primitive.getTypeLength()).append(')');
            }
        } else {
            description.append("group");
        }
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        if (annotation != null) {
            description.append(" (").append(annotation).append(')');
        }
        return description.toString();
    }

    private record Mapped(Field field, Node node) {}

    /** Thrown inside the mapping for a type it cannot read; turned into one message per column. */
    private static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported() {
            super(null, null, false, false);
        }
    }

    /** {@code type} at {@code path}, nullable exactly when optional; a repeated field is a list. */
    private static Mapped map(MessageType schema, Type type, String[] path) throws Unsupported {
        if (type.isRepetition(Type.Repetition.REPEATED)) {
            return repeated(schema, type, path);
        }
        return mapAs(schema, type, path, type.isRepetition(Type.Repetition.OPTIONAL));
    }

    /**
     * A repeated field outside a LIST or MAP group: by the format's rule, a required list of
     * required elements of the field's type (list and element both take the field's name).
     */
    private static Mapped repeated(MessageType schema, Type type, String[] path) throws Unsupported {
        Mapped element = mapAs(schema, type, path, false);
        int slotLevel = schema.getMaxDefinitionLevel(path);
        Field field = new Field(type.getName(), new FieldType(false, ArrowType.List.INSTANCE, null),
                List.of(element.field()));
        return new Mapped(field, new ListOf(slotLevel - 1, slotLevel, element.node()));
    }

    /** {@code type} at {@code path} read as a value of the given nullability, whatever its repetition. */
    private static Mapped mapAs(MessageType schema, Type type, String[] path, boolean nullable) throws Unsupported {
        if (type.isPrimitive()) {
            PrimitiveType primitive = type.asPrimitiveType();
            return new Mapped(new Field(type.getName(), new FieldType(nullable, arrowType(primitive), null), null),
                    leaf(schema, primitive, path));
        }
        GroupType group = type.asGroupType();
        return switch (group.getLogicalTypeAnnotation()) {
            case null -> struct(schema, group, path, nullable);
            case ListLogicalTypeAnnotation _ -> list(schema, group, path, nullable);
            case MapLogicalTypeAnnotation _ -> map(schema, group, path, nullable);
            // Old writers put MAP_KEY_VALUE where MAP belongs; the format says to read it as MAP.
            case MapKeyValueTypeAnnotation _ -> map(schema, group, path, nullable);
            default -> throw new Unsupported();
        };
    }

    private static Mapped struct(MessageType schema, GroupType group, String[] path, boolean nullable)
            throws Unsupported {
        List<Field> children = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        for (Type child : group.getFields()) {
            Mapped mapped = map(schema, child, append(path, child.getName()));
            children.add(mapped.field());
            nodes.add(mapped.node());
        }
        if (children.isEmpty()) {
            throw new Unsupported();
        }
        Field field = new Field(group.getName(), new FieldType(nullable, ArrowType.Struct.INSTANCE, null), children);
        return new Mapped(field, new Struct(schema.getMaxDefinitionLevel(path), nodes));
    }

    /**
     * A LIST group: three-level ({@code repeated group list { element; }}) or legacy, by the
     * backward-compatibility rules of the format's LogicalTypes.md, in their order:
     * <ol>
     *   <li>a repeated primitive is the element, required;</li>
     *   <li>a repeated group of several fields is the element, a required struct;</li>
     *   <li>a repeated group whose one field is repeated is the element, required;</li>
     *   <li>a repeated group of one field named {@code array} or {@code <list name>_tuple} is the
     *       element, a required struct;</li>
     *   <li>otherwise the repeated group's one field is the element, with its own repetition.</li>
     * </ol>
     * The Arrow element takes the Parquet element's name, as pyarrow names it.
     */
    private static Mapped list(MessageType schema, GroupType group, String[] path, boolean nullable)
            throws Unsupported {
        if (group.getFieldCount() != 1 || !group.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            throw new Unsupported();
        }
        Type repeated = group.getType(0);
        String[] repeatedPath = append(path, repeated.getName());
        Mapped element;
        if (repeated.isPrimitive()) {
            element = mapAs(schema, repeated, repeatedPath, false);
        } else {
            GroupType repeatedGroup = repeated.asGroupType();
            if (repeatedGroup.getFieldCount() == 0) {
                throw new Unsupported();
            }
            boolean repeatedIsElement = repeatedGroup.getFieldCount() > 1
                    || repeatedGroup.getType(0).isRepetition(Type.Repetition.REPEATED)
                    || repeated.getName().equals("array") || repeated.getName().equals(group.getName() + "_tuple");
            if (repeatedIsElement) {
                element = mapAs(schema, repeated, repeatedPath, false);
            } else {
                Type inner = repeatedGroup.getType(0);
                element = map(schema, inner, append(repeatedPath, inner.getName()));
            }
        }
        Field field = new Field(group.getName(), new FieldType(nullable, ArrowType.List.INSTANCE, null),
                List.of(element.field()));
        return new Mapped(field, new ListOf(schema.getMaxDefinitionLevel(path),
                schema.getMaxDefinitionLevel(repeatedPath), element.node()));
    }

    /**
     * A MAP (or MAP_KEY_VALUE) group: {@code repeated group key_value { required key; value; }},
     * key and value found by position, whatever their names. As pyarrow reads it: an Arrow map
     * whose entries struct takes the map's name and whose key and value keep their Parquet names
     * (keys not null, keys not sorted); a key-only group is a list of its keys.
     */
    private static Mapped map(MessageType schema, GroupType group, String[] path, boolean nullable)
            throws Unsupported {
        if (group.getFieldCount() != 1 || group.getType(0).isPrimitive()
                || !group.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            throw new Unsupported();
        }
        GroupType keyValue = group.getType(0).asGroupType();
        String[] keyValuePath = append(path, keyValue.getName());
        if (keyValue.getFieldCount() < 1 || keyValue.getFieldCount() > 2
                || !keyValue.getType(0).isRepetition(Type.Repetition.REQUIRED)) {
            throw new Unsupported(); // Arrow map keys are never null
        }
        int listLevel = schema.getMaxDefinitionLevel(path);
        int slotLevel = schema.getMaxDefinitionLevel(keyValuePath);
        Mapped key = map(schema, keyValue.getType(0), append(keyValuePath, keyValue.getType(0).getName()));
        if (keyValue.getFieldCount() == 1) {
            Field field = new Field(group.getName(), new FieldType(nullable, ArrowType.List.INSTANCE, null),
                    List.of(key.field()));
            return new Mapped(field, new ListOf(listLevel, slotLevel, key.node()));
        }
        Mapped value = map(schema, keyValue.getType(1), append(keyValuePath, keyValue.getType(1).getName()));
        Field entries = new Field(group.getName(), new FieldType(false, ArrowType.Struct.INSTANCE, null),
                List.of(key.field(), value.field()));
        Field field = new Field(group.getName(), new FieldType(nullable, new ArrowType.Map(false), null),
                List.of(entries));
        return new Mapped(field, new ListOf(listLevel, slotLevel,
                new Struct(slotLevel, List.of(key.node(), value.node()))));
    }

    private static String[] append(String[] path, String name) {
        String[] longer = Arrays.copyOf(path, path.length + 1);
        longer[path.length] = name;
        return longer;
    }

    private static Leaf leaf(MessageType schema, PrimitiveType type, String[] path) throws Unsupported {
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        LeafKind kind = switch (type.getPrimitiveTypeName()) {
            case BOOLEAN -> LeafKind.BOOLEAN;
            case INT32 -> annotation instanceof DecimalLogicalTypeAnnotation ? LeafKind.INT32_TO_DECIMAL
                    : annotation instanceof IntLogicalTypeAnnotation i && i.getBitWidth() == 8 ? LeafKind.INT32_TO_INT8
                    : annotation instanceof IntLogicalTypeAnnotation i && i.getBitWidth() == 16 ? LeafKind.INT32_TO_INT16
                    : LeafKind.INT32;
            case INT64 -> annotation instanceof DecimalLogicalTypeAnnotation ? LeafKind.INT64_TO_DECIMAL : LeafKind.INT64;
            case INT96 -> LeafKind.INT96_TO_MICROS;
            case FLOAT -> LeafKind.FLOAT;
            case DOUBLE -> LeafKind.DOUBLE;
            case FIXED_LEN_BYTE_ARRAY -> annotation instanceof DecimalLogicalTypeAnnotation ? LeafKind.FIXED_TO_DECIMAL
                    : LeafKind.FIXED_BINARY;
            case BINARY -> annotation instanceof DecimalLogicalTypeAnnotation ? LeafKind.BINARY_TO_DECIMAL
                    : LeafKind.BINARY;
        };
        ArrowType arrowType = arrowType(type);
        int outWidth = switch (arrowType) {
            case ArrowType.Decimal d -> d.getBitWidth() / Byte.SIZE;
            case ArrowType.FixedSizeBinary f -> f.getByteWidth();
            case ArrowType.FloatingPoint f when f.getPrecision() == FloatingPointPrecision.HALF -> 2;
            default -> switch (kind) {
                case INT32, FLOAT -> 4;
                case INT64, DOUBLE, INT96_TO_MICROS -> 8;
                case INT32_TO_INT8 -> 1;
                case INT32_TO_INT16 -> 2;
                default -> 0;
            };
        };
        return new Leaf(schema.getColumnDescription(path), kind, outWidth);
    }

    private static ArrowType arrowType(PrimitiveType type) throws Unsupported {
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        ArrowType mapped = switch (type.getPrimitiveTypeName()) {
            case BOOLEAN -> annotation == null ? ArrowType.Bool.INSTANCE : null;
            case INT32 -> switch (annotation) {
                case null -> new ArrowType.Int(32, true);
                case IntLogicalTypeAnnotation i when i.getBitWidth() <= 32 -> new ArrowType.Int(i.getBitWidth(), i.isSigned());
                case DateLogicalTypeAnnotation _ -> new ArrowType.Date(DateUnit.DAY);
                case DecimalLogicalTypeAnnotation d -> decimal(d, 9);
                case TimeLogicalTypeAnnotation t when t.getUnit() == LogicalTypeAnnotation.TimeUnit.MILLIS ->
                        new ArrowType.Time(TimeUnit.MILLISECOND, 32);
                default -> null;
            };
            case INT64 -> switch (annotation) {
                case null -> new ArrowType.Int(64, true);
                case IntLogicalTypeAnnotation i when i.getBitWidth() == 64 -> new ArrowType.Int(64, i.isSigned());
                case TimestampLogicalTypeAnnotation t ->
                        new ArrowType.Timestamp(timeUnit(t.getUnit()), t.isAdjustedToUTC() ? "UTC" : null);
                case DecimalLogicalTypeAnnotation d -> decimal(d, 18);
                case TimeLogicalTypeAnnotation t when t.getUnit() != LogicalTypeAnnotation.TimeUnit.MILLIS ->
                        new ArrowType.Time(timeUnit(t.getUnit()), 64);
                default -> null;
            };
            case INT96 -> annotation == null ? new ArrowType.Timestamp(TimeUnit.MICROSECOND, null) : null;
            case FLOAT -> annotation == null ? new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE) : null;
            case DOUBLE -> annotation == null ? new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE) : null;
            case BINARY -> switch (annotation) {
                case null -> ArrowType.Binary.INSTANCE;
                case StringLogicalTypeAnnotation _ -> ArrowType.Utf8.INSTANCE;
                case EnumLogicalTypeAnnotation _ -> ArrowType.Utf8.INSTANCE;
                case JsonLogicalTypeAnnotation _ -> ArrowType.Utf8.INSTANCE;
                case BsonLogicalTypeAnnotation _ -> ArrowType.Binary.INSTANCE;
                case DecimalLogicalTypeAnnotation d -> decimal(d, Integer.MAX_VALUE);
                default -> null;
            };
            case FIXED_LEN_BYTE_ARRAY -> switch (annotation) {
                case null -> new ArrowType.FixedSizeBinary(type.getTypeLength());
                case UUIDLogicalTypeAnnotation _ -> new ArrowType.FixedSizeBinary(type.getTypeLength());
                case DecimalLogicalTypeAnnotation d when type.getTypeLength() <= 32 -> decimal(d, Integer.MAX_VALUE);
                case Float16LogicalTypeAnnotation _ when type.getTypeLength() == 2 ->
                        new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
                default -> null;
            };
        };
        if (mapped == null) {
            throw new Unsupported();
        }
        return mapped;
    }

    private static ArrowType decimal(DecimalLogicalTypeAnnotation decimal, int maxPrecision) throws Unsupported {
        int precision = decimal.getPrecision();
        int scale = decimal.getScale();
        if (precision < 1 || precision > 76 || precision > Math.max(maxPrecision, 1) || scale < 0 || scale > precision) {
            throw new Unsupported();
        }
        return new ArrowType.Decimal(precision, scale, precision > 38 ? 256 : 128);
    }

    private static TimeUnit timeUnit(LogicalTypeAnnotation.TimeUnit unit) {
        return switch (unit) {
            case MILLIS -> TimeUnit.MILLISECOND;
            case MICROS -> TimeUnit.MICROSECOND;
            case NANOS -> TimeUnit.NANOSECOND;
        };
    }
}
