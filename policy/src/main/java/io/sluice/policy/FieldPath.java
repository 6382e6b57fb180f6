package io.sluice.policy;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.internal.filter.ColumnType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A field named by a policy: a top-level column, or a path into nested data such as
 * {@code encounter.diagnosis.code} (docs/decisions/0017-nested-paths-in-policies.md).
 *
 * <p>Rules, applied against the dataset's schema:
 * <ul>
 *   <li>a text that is exactly a top-level column's name names that column, dots or not;
 *   <li>otherwise it is split at every dot: the first step is a top-level column, each further step
 *       a child of a struct;
 *   <li>a list (list, large list, fixed-size list) is stepped through transparently: the step after
 *       it names a field of its elements, and a path ending at a list names its elements' values;
 *   <li>a map is entered by naming its entry field: {@code key} or {@code value} (the names the
 *       map's entries carry, {@code key} and {@code value} as Arrow, pyarrow and Parquet write them);
 *       {@code labels.value.unit} reaches into a map of structs.
 * </ul>
 *
 * @param text the path as written
 * @param steps the fields from the top-level column down to the named one, never empty
 * @param throughList whether the path crosses a list or a map (a row filter may not)
 */
public record FieldPath(String text, List<Field> steps, boolean throughList) {
    public FieldPath {
        requireNonNull(text, "text is null");
        steps = List.copyOf(requireNonNull(steps, "steps is null"));
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a path has at least one step");
        }
    }

    /**
     * Resolves {@code text} against {@code schema}.
     *
     * @throws PolicyException {@code UNKNOWN_COLUMN} naming the path and the step that does not exist
     */
    public static FieldPath resolve(Schema schema, String text) {
        requireNonNull(schema, "schema is null");
        requireNonNull(text, "text is null");
        Optional<Field> exact = top(schema, text);
        if (exact.isPresent()) {
            return new FieldPath(text, List.of(exact.get()), false);
        }
        String[] names = text.split("\\.", -1);
        Field field = top(schema, names[0]).orElseThrow(() -> new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN,
                "unknown column " + quote(text) + "; the dataset has columns " + columns(schema)));
        List<Field> steps = new ArrayList<>(List.of(field));
        boolean throughList = false;
        for (int i = 1; i < names.length; i++) {
            // Lists are transparent: the step names a field of the (innermost) element.
            while (isList(field.getType())) {
                field = field.getChildren().getFirst();
                steps.add(field);
                throughList = true;
            }
            Field parent = field;
            String name = names[i];
            Field child;
            if (parent.getType() instanceof ArrowType.Map) {
                Field entries = parent.getChildren().getFirst();
                child = entries.getChildren().stream().filter(f -> f.getName().equals(name)).findFirst().orElse(null);
                if (child != null) {
                    steps.add(entries);
                    throughList = true;
                }
            } else if (parent.getType() instanceof ArrowType.Struct) {
                child = parent.getChildren().stream().filter(f -> f.getName().equals(name)).findFirst().orElse(null);
            } else {
                throw new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN, "unknown field " + quote(text) + ": "
                        + quote(String.join(".", List.of(names).subList(0, i))) + " is "
                        + ColumnType.describe(parent.getType()) + ", which has no fields");
            }
            if (child == null) {
                throw new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN, "unknown field " + quote(text) + ": "
                        + quote(String.join(".", List.of(names).subList(0, i))) + " has fields " + fieldNames(parent));
            }
            steps.add(child);
            field = child;
        }
        return new FieldPath(text, steps, throughList);
    }

    /**
     * The top-level column a path starts at, without a schema: the text itself when it is one of
     * {@code columns}, else the text up to its first dot.
     */
    public static String column(String text, Collection<String> columns) {
        if (columns.contains(text) || text.indexOf('.') < 0) {
            return text;
        }
        return text.substring(0, text.indexOf('.'));
    }

    /** The top-level column's name. */
    public String column() {
        return steps.getFirst().getName();
    }

    /** The named field (for a path ending at a list, the list field itself). */
    public Field field() {
        return steps.getLast();
    }

    /**
     * The field whose values a transform at this path changes: the named field, or for a list, its
     * innermost element.
     */
    public Field valueField() {
        Field field = field();
        while (isList(field.getType())) {
            field = field.getChildren().getFirst();
        }
        return field;
    }

    /** Whether the path names a top-level column. */
    public boolean isColumn() {
        return steps.size() == 1;
    }

    /** Whether the named field is a map's key (its entries' first field). */
    public boolean isMapKey() {
        return steps.size() >= 3 && steps.get(steps.size() - 3).getType() instanceof ArrowType.Map
                && steps.get(steps.size() - 2).getChildren().getFirst() == steps.getLast();
    }

    /** Whether the named field is a map's value (its entries' second field). */
    public boolean isMapValue() {
        return steps.size() >= 3 && steps.get(steps.size() - 3).getType() instanceof ArrowType.Map
                && steps.get(steps.size() - 2).getChildren().getLast() == steps.getLast();
    }

    /** Whether values of this type are lists of their one child (list, large list, fixed-size list). */
    public static boolean isList(ArrowType type) {
        return type instanceof ArrowType.List || type instanceof ArrowType.LargeList
                || type instanceof ArrowType.FixedSizeList;
    }

    private static Optional<Field> top(Schema schema, String name) {
        return schema.getFields().stream().filter(f -> f.getName().equals(name)).findFirst();
    }

    private static List<String> columns(Schema schema) {
        return schema.getFields().stream().map(Field::getName).toList();
    }

    private static List<String> fieldNames(Field parent) {
        Field holder = parent.getType() instanceof ArrowType.Map ? parent.getChildren().getFirst() : parent;
        return holder.getChildren().stream().map(Field::getName).toList();
    }

    private static String quote(String text) {
        return "'" + (text.length() > 80 ? text.substring(0, 80) + "..." : text) + "'";
    }
}
