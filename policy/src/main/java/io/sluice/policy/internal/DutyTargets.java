package io.sluice.policy.internal;

import io.sluice.policy.Duty;
import io.sluice.policy.FieldPath;
import io.sluice.policy.Generalisation;
import io.sluice.policy.internal.filter.ColumnType;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Which duty applies to which field: the one check that both the policy parser (when a policy is
 * set, a 400) and the enforcement pipeline (when it compiles) use, so that a duty the pipeline
 * cannot carry out is refused before any stream starts. Each check returns the refusal's message,
 * naming the field and its Arrow type, or empty when the duty applies. Stateless.
 *
 * <p>The matrix (the type is the path's value type: a list's innermost element):
 * <ul>
 *   <li>{@code drop}: any field, except a map's key or value (a map entry needs both);
 *   <li>{@code pseudonymise}: integers (not uint64), utf8, binary, fixed-size binary;
 *   <li>{@code generalise}: to year/month on dates and timestamps; by width on integers (not uint64)
 *       and float32/64; to a prefix on utf8; never on a map key (keys must stay distinct);
 *   <li>{@code mask} with null: any field but a map key (keys are never null); with a constant:
 *       integers, float32/64, utf8, bool, dates, timestamps, never a map key.
 * </ul>
 */
public final class DutyTargets {
    private DutyTargets() {}

    /** {@code column 'x'} for a top-level column, {@code field 'a.b'} for a nested one. */
    public static String describe(FieldPath path) {
        return (path.isColumn() ? "column '" : "field '") + path.text() + "'";
    }

    /**
     * Whether {@code duty} applies to the field at {@code path}: the one entry point for the
     * parser and the pipeline. A row filter has no target to check here (its parser type-checks
     * it).
     *
     * @return the refusal naming the field and its type, or empty
     */
    public static Optional<String> check(Duty duty, FieldPath path) {
        return switch (duty) {
            case Duty.Drop d -> checkDrop(path);
            case Duty.Pseudonymise p -> checkPseudonymise(path);
            case Duty.Generalise g -> checkGeneralise(path, g.how());
            case Duty.Mask m -> checkMask(path, m.with().isPresent());
            case Duty.RowFilter r -> Optional.empty();
        };
    }

    static Optional<String> checkDrop(FieldPath path) {
        if (path.isMapKey() || path.isMapValue()) {
            return Optional.of("sluice:drop cannot remove " + describe(path)
                    + ": every map entry has a key and a value; drop the map, or fields inside its values");
        }
        return Optional.empty();
    }

    static Optional<String> checkPseudonymise(FieldPath path) {
        ArrowType type = path.valueField().getType();
        boolean fits = (type instanceof ArrowType.Int integer && !(integer.getBitWidth() == 64 && !integer.getIsSigned()))
                || type instanceof ArrowType.Utf8 || type instanceof ArrowType.Binary
                || type instanceof ArrowType.FixedSizeBinary;
        return fits ? Optional.empty()
                : Optional.of(wrongType("sluice:pseudonymise", "integer, utf8 or binary", path));
    }

    static Optional<String> checkGeneralise(FieldPath path, Generalisation how) {
        ArrowType type = path.valueField().getType();
        if (path.isMapKey()) {
            return Optional.of("sluice:generalise cannot change " + describe(path)
                    + ": two keys of one map could become equal; pseudonymise it, or generalise the values");
        }
        return switch (how) {
            case Generalisation.Truncate truncate -> type instanceof ArrowType.Date || type instanceof ArrowType.Timestamp
                    ? Optional.empty()
                    : Optional.of(wrongType("sluice:generalise to " + truncate.unit().odrlName(), "date or timestamp",
                            path));
            case Generalisation.Bucket bucket -> {
                ColumnType kind = ColumnType.of(type);
                yield kind == ColumnType.INTEGER || kind == ColumnType.FLOATING ? Optional.empty()
                        : Optional.of(wrongType("sluice:generalise by width", "integer or floating-point", path));
            }
            case Generalisation.Prefix prefix -> type instanceof ArrowType.Utf8 ? Optional.empty()
                    : Optional.of(wrongType("sluice:generalise to a prefix", "utf8", path));
        };
    }

    /** The type check of a mask; the constant itself is checked against the type by the parser. */
    static Optional<String> checkMask(FieldPath path, boolean constant) {
        if (path.isMapKey()) {
            return Optional.of("sluice:mask cannot change " + describe(path)
                    + ": a map's keys are never null and must stay distinct; pseudonymise it, or mask the values");
        }
        if (constant && ColumnType.of(path.valueField().getType()) == ColumnType.UNSUPPORTED) {
            return Optional.of("sluice:mask with a constant does not apply to "
                    + ColumnType.describe(path.valueField().getType()) + " " + describe(path) + "; mask it with null");
        }
        return Optional.empty();
    }

    /**
     * Whether the enforcement pipeline can copy values of {@code field} (at any depth): every type a
     * connector yields, nested in structs, lists, large lists, fixed-size lists and maps. Unions,
     * view types, run-end encoded and dictionary-encoded fields are not, nor a column nesting
     * more than {@link FieldPath#MAX_DEPTH} fields deep.
     *
     * @return the refusal naming the first field that cannot be copied, or empty
     */
    public static Optional<String> checkCopyable(Field field, String path) {
        return checkCopyable(field, path, path, 1);
    }

    private static Optional<String> checkCopyable(Field field, String column, String path, int depth) {
        if (depth > FieldPath.MAX_DEPTH) {
            return Optional.of("column '" + column + "' nests more than " + FieldPath.MAX_DEPTH
                    + " fields deep (list elements and map entries counted), which the broker cannot stream");
        }
        if (field.getDictionary() != null) {
            return Optional.of("column '" + path + "' is dictionary-encoded, which the broker cannot stream");
        }
        boolean supported = switch (field.getType()) {
            case ArrowType.Null n -> true;
            case ArrowType.Bool b -> true;
            case ArrowType.Int i -> true;
            case ArrowType.FloatingPoint f -> true;
            case ArrowType.Decimal d -> true;
            case ArrowType.Utf8 u -> true;
            case ArrowType.LargeUtf8 u -> true;
            case ArrowType.Binary b -> true;
            case ArrowType.LargeBinary b -> true;
            case ArrowType.FixedSizeBinary b -> true;
            case ArrowType.Date d -> true;
            case ArrowType.Time t -> true;
            case ArrowType.Timestamp t -> true;
            case ArrowType.Duration d -> true;
            case ArrowType.Interval i -> true;
            case ArrowType.Struct s -> true;
            case ArrowType.List l -> true;
            case ArrowType.LargeList l -> true;
            case ArrowType.FixedSizeList l -> true;
            case ArrowType.Map m -> true;
            default -> false;
        };
        if (!supported) {
            return Optional.of("field '" + path + "' is " + ColumnType.describe(field.getType())
                    + ", which the broker cannot stream");
        }
        for (Field child : field.getChildren()) {
            Optional<String> refusal = checkCopyable(child, column, path + "." + child.getName(), depth + 1);
            if (refusal.isPresent()) {
                return refusal;
            }
        }
        return Optional.empty();
    }

    private static String wrongType(String duty, String expected, FieldPath path) {
        return duty + " takes " + expected + " columns; " + describe(path) + " is "
                + ColumnType.describe(path.valueField().getType());
    }
}
