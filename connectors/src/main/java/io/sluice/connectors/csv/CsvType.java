package io.sluice.connectors.csv;

import java.util.Locale;
import java.util.Optional;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * The column types of a CSV source, as inferred from a sample or named in the {@code types} option.
 *
 * <p>Inference tries the types in declaration order and takes the first that every non-empty
 * sampled value parses as; a column without any value is {@link #UTF8}. {@link #INT32} is never
 * inferred, only named.
 */
enum CsvType {
    BOOLEAN("boolean", ArrowType.Bool.INSTANCE),
    INT64("int64", new ArrowType.Int(64, true)),
    DOUBLE("double", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
    DATE("date", new ArrowType.Date(DateUnit.DAY)),
    /** Date and time without a zone; microseconds. */
    TIMESTAMP("timestamp", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
    /** Date and time with Z or an offset, stored as UTC; microseconds. */
    TIMESTAMPTZ("timestamptz", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
    INT32("int32", new ArrowType.Int(32, true)),
    UTF8("utf8", ArrowType.Utf8.INSTANCE);

    private final String label;
    private final ArrowType arrowType;

    CsvType(String label, ArrowType arrowType) {
        this.label = label;
        this.arrowType = arrowType;
    }

    /** The name used in the {@code types} option and in messages, e.g. {@code int64}. */
    String label() {
        return label;
    }

    ArrowType arrowType() {
        return arrowType;
    }

    /** The type named {@code name} (also accepted: int, bigint, integer, float64, float, bool, string, text, varchar). */
    static Optional<CsvType> named(String name) {
        return Optional.ofNullable(switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "boolean", "bool" -> BOOLEAN;
            case "int64", "bigint", "long" -> INT64;
            case "int32", "int", "integer" -> INT32;
            case "double", "float64", "float" -> DOUBLE;
            case "date" -> DATE;
            case "timestamp" -> TIMESTAMP;
            case "timestamptz" -> TIMESTAMPTZ;
            case "utf8", "string", "text", "varchar" -> UTF8;
            default -> null;
        });
    }
}
