package io.sluice.connectors.parquet;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DateLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.StringLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
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
 *   <tr><td>INT64, INT64 INTEGER(64, signed or not)</td><td>Int(64, signed or not)</td></tr>
 *   <tr><td>INT64 TIMESTAMP(MILLIS|MICROS|NANOS, adjusted to UTC)</td>
 *       <td>Timestamp(unit, "UTC" when adjusted, else no zone)</td></tr>
 *   <tr><td>FLOAT, DOUBLE</td><td>FloatingPoint(SINGLE), FloatingPoint(DOUBLE)</td></tr>
 *   <tr><td>BINARY STRING (or converted type UTF8)</td><td>Utf8</td></tr>
 *   <tr><td>BINARY without annotation</td><td>Binary</td></tr>
 * </table>
 *
 * <p>Everything else (repeated fields, groups, INT96, FIXED_LEN_BYTE_ARRAY, decimals, times,
 * other annotations) is {@link ConnectorErrorCode#UNSUPPORTED_TYPE}.
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
            Optional<ArrowType> arrowType = type.isPrimitive() && !type.isRepetition(Type.Repetition.REPEATED)
                    ? arrowType(type.asPrimitiveType())
                    : Optional.empty();
            if (arrowType.isEmpty()) {
                unsupported.add(type.getName() + " (" + describe(type) + ")");
                continue;
            }
            boolean nullable = type.isRepetition(Type.Repetition.OPTIONAL);
            Field field = new Field(type.getName(), new FieldType(nullable, arrowType.get(), null), null);
            columns.add(new ParquetColumn(type, schema.getColumnDescription(new String[] {type.getName()}), field));
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

    private static Optional<ArrowType> arrowType(PrimitiveType type) {
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        return switch (type.getPrimitiveTypeName()) {
            case BOOLEAN -> annotation == null ? Optional.of(ArrowType.Bool.INSTANCE) : Optional.empty();
            case INT32 -> switch (annotation) {
                case null -> Optional.of(new ArrowType.Int(32, true));
                case IntLogicalTypeAnnotation i when i.getBitWidth() <= 32 ->
                        Optional.of(new ArrowType.Int(i.getBitWidth(), i.isSigned()));
                case DateLogicalTypeAnnotation _ -> Optional.of(new ArrowType.Date(DateUnit.DAY));
                default -> Optional.empty();
            };
            case INT64 -> switch (annotation) {
                case null -> Optional.of(new ArrowType.Int(64, true));
                case IntLogicalTypeAnnotation i when i.getBitWidth() == 64 ->
                        Optional.of(new ArrowType.Int(64, i.isSigned()));
                case TimestampLogicalTypeAnnotation t ->
                        Optional.of(new ArrowType.Timestamp(timeUnit(t.getUnit()), t.isAdjustedToUTC() ? "UTC" : null));
                default -> Optional.empty();
            };
            case FLOAT -> annotation == null
                    ? Optional.of(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE))
                    : Optional.empty();
            case DOUBLE -> annotation == null
                    ? Optional.of(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))
                    : Optional.empty();
            case BINARY -> switch (annotation) {
                case null -> Optional.of(ArrowType.Binary.INSTANCE);
                case StringLogicalTypeAnnotation _ -> Optional.of(ArrowType.Utf8.INSTANCE);
                default -> Optional.empty();
            };
            case INT96, FIXED_LEN_BYTE_ARRAY -> Optional.empty();
        };
    }

    private static TimeUnit timeUnit(LogicalTypeAnnotation.TimeUnit unit) {
        return switch (unit) {
            case MILLIS -> TimeUnit.MILLISECOND;
            case MICROS -> TimeUnit.MICROSECOND;
            case NANOS -> TimeUnit.NANOSECOND;
        };
    }
}
