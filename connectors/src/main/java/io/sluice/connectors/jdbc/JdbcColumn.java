package io.sluice.connectors.jdbc;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * How one result-set column maps to Arrow, and the copy of one value.
 *
 * <table>
 *   <caption>JDBC type (PostgreSQL name) and Arrow type</caption>
 *   <tr><td>TINYINT, SMALLINT (int2), INTEGER (int4), BIGINT (int8)</td><td>Int(8|16|32|64)</td></tr>
 *   <tr><td>REAL (float4), DOUBLE/FLOAT (float8)</td><td>FloatingPoint(SINGLE|DOUBLE)</td></tr>
 *   <tr><td>NUMERIC/DECIMAL(p, s), p &lt;= 76</td><td>Decimal(p, s, 128 or 256)</td></tr>
 *   <tr><td>BOOLEAN (bool)</td><td>Bool</td></tr>
 *   <tr><td>CHAR, VARCHAR, text, CLOB, uuid, json, jsonb</td><td>Utf8</td></tr>
 *   <tr><td>DATE</td><td>Date(DAY)</td></tr>
 *   <tr><td>TIMESTAMP</td><td>Timestamp(MICROSECOND)</td></tr>
 *   <tr><td>TIMESTAMP WITH TIME ZONE (timestamptz)</td><td>Timestamp(MICROSECOND, "UTC")</td></tr>
 *   <tr><td>TIME</td><td>Time(MICROSECOND, 64)</td></tr>
 *   <tr><td>BINARY, VARBINARY, bytea, BLOB</td><td>Binary</td></tr>
 * </table>
 * A numeric without a declared precision (PostgreSQL's plain {@code numeric}) has no fixed Arrow
 * type and is refused: cast it in a query ({@code CAST(x AS numeric(18, 4))}).
 *
 * @param name the column's label
 * @param kind how values are copied
 * @param arrowType the Arrow type
 * @param scale decimal scale (decimals only)
 */
record JdbcColumn(String name, Kind kind, ArrowType arrowType, int scale) {

    enum Kind {
        INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, DECIMAL, BOOL, UTF8,
        /** PostgreSQL text, varchar, bpchar: the driver's bytes are the UTF-8 text (no String in between). */
        UTF8_BYTES,
        DATE, TIMESTAMP, TIMESTAMPTZ, TIME, BINARY
    }

    /**
     * The mapping of column {@code index} (1-based) of {@code metadata}, or empty when unsupported.
     *
     * @param postgres whether the driver is pgjdbc, whose {@code getBytes} returns a text column's
     *     UTF-8 bytes as they came from the server
     */
    static Optional<JdbcColumn> of(ResultSetMetaData metadata, int index, boolean postgres) throws SQLException {
        String name = metadata.getColumnLabel(index);
        int type = metadata.getColumnType(index);
        String typeName = String.valueOf(metadata.getColumnTypeName(index)).toLowerCase(Locale.ROOT);
        JdbcColumn column = switch (type) {
            case Types.TINYINT -> new JdbcColumn(name, Kind.INT8, new ArrowType.Int(8, true), 0);
            case Types.SMALLINT -> new JdbcColumn(name, Kind.INT16, new ArrowType.Int(16, true), 0);
            case Types.INTEGER -> new JdbcColumn(name, Kind.INT32, new ArrowType.Int(32, true), 0);
            case Types.BIGINT -> new JdbcColumn(name, Kind.INT64, new ArrowType.Int(64, true), 0);
            case Types.REAL -> new JdbcColumn(name, Kind.FLOAT32,
                    new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), 0);
            case Types.FLOAT, Types.DOUBLE -> typeName.equals("float4")
                    ? new JdbcColumn(name, Kind.FLOAT32, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), 0)
                    : new JdbcColumn(name, Kind.FLOAT64, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), 0);
            case Types.NUMERIC, Types.DECIMAL -> {
                int precision = metadata.getPrecision(index);
                int scale = metadata.getScale(index);
                yield precision >= 1 && precision <= 76 && scale >= 0 && scale <= precision
                        ? new JdbcColumn(name, Kind.DECIMAL, new ArrowType.Decimal(precision, scale,
                                precision > 38 ? 256 : 128), scale)
                        : null;
            }
            case Types.BOOLEAN -> new JdbcColumn(name, Kind.BOOL, ArrowType.Bool.INSTANCE, 0);
            case Types.BIT -> typeName.equals("bool") || typeName.equals("boolean")
                    || metadata.getPrecision(index) <= 1
                    ? new JdbcColumn(name, Kind.BOOL, ArrowType.Bool.INSTANCE, 0) : null;
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR,
                    Types.CLOB, Types.NCLOB -> new JdbcColumn(name, postgres && (typeName.equals("text")
                            || typeName.equals("varchar") || typeName.equals("bpchar")) ? Kind.UTF8_BYTES : Kind.UTF8,
                            ArrowType.Utf8.INSTANCE, 0);
            case Types.DATE -> new JdbcColumn(name, Kind.DATE, new ArrowType.Date(DateUnit.DAY), 0);
            case Types.TIMESTAMP -> typeName.equals("timestamptz")
                    ? new JdbcColumn(name, Kind.TIMESTAMPTZ, new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"), 0)
                    : new JdbcColumn(name, Kind.TIMESTAMP, new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), 0);
            case Types.TIMESTAMP_WITH_TIMEZONE ->
                    new JdbcColumn(name, Kind.TIMESTAMPTZ, new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"), 0);
            case Types.TIME -> typeName.equals("timetz") ? null
                    : new JdbcColumn(name, Kind.TIME, new ArrowType.Time(TimeUnit.MICROSECOND, 64), 0);
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB ->
                    new JdbcColumn(name, Kind.BINARY, ArrowType.Binary.INSTANCE, 0);
            case Types.OTHER -> switch (typeName) {
                case "uuid", "json", "jsonb" -> new JdbcColumn(name, Kind.UTF8, ArrowType.Utf8.INSTANCE, 0);
                default -> null;
            };
            default -> null;
        };
        return Optional.ofNullable(column);
    }

    /**
     * Copies the value of column {@code index} of the current row into slot {@code slot} of
     * {@code vector} (with {@code setSafe}, so vectors grow as needed), or marks it null.
     *
     * @throws ArithmeticException for a decimal that does not fit the column's scale and precision
     */
    void copy(ResultSet rows, int index, FieldVector vector, int slot) throws SQLException {
        switch (kind) {
            case INT8 -> {
                byte value = rows.getByte(index);
                if (rows.wasNull()) {
                    ((TinyIntVector) vector).setNull(slot);
                } else {
                    ((TinyIntVector) vector).setSafe(slot, value);
                }
            }
            case INT16 -> {
                short value = rows.getShort(index);
                if (rows.wasNull()) {
                    ((SmallIntVector) vector).setNull(slot);
                } else {
                    ((SmallIntVector) vector).setSafe(slot, value);
                }
            }
            case INT32 -> {
                int value = rows.getInt(index);
                if (rows.wasNull()) {
                    ((IntVector) vector).setNull(slot);
                } else {
                    ((IntVector) vector).setSafe(slot, value);
                }
            }
            case INT64 -> {
                long value = rows.getLong(index);
                if (rows.wasNull()) {
                    ((BigIntVector) vector).setNull(slot);
                } else {
                    ((BigIntVector) vector).setSafe(slot, value);
                }
            }
            case FLOAT32 -> {
                float value = rows.getFloat(index);
                if (rows.wasNull()) {
                    ((Float4Vector) vector).setNull(slot);
                } else {
                    ((Float4Vector) vector).setSafe(slot, value);
                }
            }
            case FLOAT64 -> {
                double value = rows.getDouble(index);
                if (rows.wasNull()) {
                    ((Float8Vector) vector).setNull(slot);
                } else {
                    ((Float8Vector) vector).setSafe(slot, value);
                }
            }
            case DECIMAL -> {
                BigDecimal value = rows.getBigDecimal(index);
                if (value == null) {
                    setNull(vector, slot);
                } else {
                    BigDecimal scaled = value.setScale(scale, RoundingMode.UNNECESSARY);
                    if (vector instanceof DecimalVector decimals) {
                        decimals.setSafe(slot, scaled);
                    } else {
                        ((Decimal256Vector) vector).setSafe(slot, scaled);
                    }
                }
            }
            case BOOL -> {
                boolean value = rows.getBoolean(index);
                if (rows.wasNull()) {
                    ((BitVector) vector).setNull(slot);
                } else {
                    ((BitVector) vector).setSafe(slot, value ? 1 : 0);
                }
            }
            case UTF8 -> {
                String value = rows.getString(index);
                if (value == null) {
                    ((VarCharVector) vector).setNull(slot);
                } else {
                    ((VarCharVector) vector).setSafe(slot, value.getBytes(StandardCharsets.UTF_8));
                }
            }
            case UTF8_BYTES -> {
                byte[] value = rows.getBytes(index);
                if (value == null) {
                    ((VarCharVector) vector).setNull(slot);
                } else {
                    ((VarCharVector) vector).setSafe(slot, value);
                }
            }
            case DATE -> {
                LocalDate value = rows.getObject(index, LocalDate.class);
                if (value == null) {
                    ((DateDayVector) vector).setNull(slot);
                } else {
                    ((DateDayVector) vector).setSafe(slot, Math.toIntExact(value.toEpochDay()));
                }
            }
            case TIMESTAMP -> {
                LocalDateTime value = rows.getObject(index, LocalDateTime.class);
                if (value == null) {
                    ((TimeStampMicroVector) vector).setNull(slot);
                } else {
                    ((TimeStampMicroVector) vector).setSafe(slot, micros(value.toEpochSecond(ZoneOffset.UTC),
                            value.getNano()));
                }
            }
            case TIMESTAMPTZ -> {
                OffsetDateTime value = rows.getObject(index, OffsetDateTime.class);
                if (value == null) {
                    ((TimeStampMicroTZVector) vector).setNull(slot);
                } else {
                    ((TimeStampMicroTZVector) vector).setSafe(slot, micros(value.toEpochSecond(), value.getNano()));
                }
            }
            case TIME -> {
                LocalTime value = rows.getObject(index, LocalTime.class);
                if (value == null) {
                    ((TimeMicroVector) vector).setNull(slot);
                } else {
                    ((TimeMicroVector) vector).setSafe(slot, value.toNanoOfDay() / 1_000);
                }
            }
            case BINARY -> {
                byte[] value = rows.getBytes(index);
                if (value == null) {
                    ((VarBinaryVector) vector).setNull(slot);
                } else {
                    ((VarBinaryVector) vector).setSafe(slot, value);
                }
            }
        }
    }

    private static long micros(long epochSecond, int nanos) {
        return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000L), nanos / 1_000);
    }

    private static void setNull(FieldVector vector, int slot) {
        if (vector instanceof DecimalVector decimals) {
            decimals.setNull(slot);
        } else {
            ((Decimal256Vector) vector).setNull(slot);
        }
    }
}
