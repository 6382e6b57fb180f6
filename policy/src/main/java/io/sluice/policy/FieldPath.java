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
 *   <li>otherwise the column is the longest top-level name the text starts with followed by a dot
 *       (so with a column {@code a.b}, {@code a.b.c} is field {@code c} of {@code a.b}), and the rest
 *       is split at every dot, each step a child of a struct;
 *   <li>a list (list, large list, fixed-size list) is stepped through transparently: the step after
 *       it names a field of its elements, and a path ending at a list names its elements' values;
 *   <li>a map is entered by naming its entry field: {@code key} or {@code value} (the names the
 *       map's entries carry, {@code key} and {@code value} as Arrow, pyarrow and Parquet write them);
 *       {@code labels.value.unit} reaches into a map of structs;
 *   <li>a path reaches at most {@link #MAX_DEPTH} fields deep, list elements and map entries
 *       counted.
 * </ul>
 *
 * @param text the path as written
 * @param steps the fields from the top-level column down to the named one, never empty
 * @param throughList whether the path crosses a list or a map (a row filter may not)
 */
public record FieldPath(String text, List<Field> steps, boolean throughList) {
    /**
     * The deepest nesting the broker handles, in fields from a top-level column (level 1) down,
     * list elements and map entries counted: deeper paths are refused when a policy is set and
     * deeper columns when a grant is issued, so that no recursion over nested data can exhaust a
     * thread's stack whatever a connector yields. Parquet's decoder caps nesting at the same depth.
     */
    public static final int MAX_DEPTH = 64;

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
     * @throws PolicyException {@code UNKNOWN_COLUMN} naming the path and the step that does not exist;
     *     {@code UNSUPPORTED_COLUMN_TYPE} for a path more than {@link #MAX_DEPTH} fields deep
     */
    public static FieldPath resolve(Schema schema, String text) {
        requireNonNull(schema, "schema is null");
        requireNonNull(text, "text is null");
        Optional<Field> exact = top(schema, text);
        if (exact.isPresent()) {
            return new FieldPath(text, List.of(exact.get()), false);
        }
        String column = column(text, columns(schema));
        List<String> names = new ArrayList<>();
        names.add(column);
        if (text.length() > column.length()) {
            names.addAll(List.of(text.substring(column.length() + 1).split("\\.", -1)));
        }
        Field field = top(schema, column).orElseThrow(() -> new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN,
                "unknown column " + quote(text) + "; the dataset has columns " + columns(schema)));
        List<Field> steps = new ArrayList<>(List.of(field));
        boolean throughList = false;
        for (int i = 1; i < names.size(); i++) {
            // Lists are transparent: the step names a field of the (innermost) element.
            while (isList(field.getType())) {
                field = field.getChildren().getFirst();
                steps.add(field);
                throughList = true;
            }
            Field parent = field;
            String name = names.get(i);
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
                        + quote(String.join(".", names.subList(0, i))) + " is "
                        + ColumnType.describe(parent.getType()) + ", which has no fields");
            }
            if (child == null) {
                throw new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN, "unknown field " + quote(text) + ": "
                        + quote(String.join(".", names.subList(0, i))) + " has fields " + fieldNames(parent));
            }
            steps.add(child);
            field = child;
        }
        if (steps.size() > MAX_DEPTH) {
            throw new PolicyException(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE, "field " + quote(text) + " lies "
                    + steps.size() + " levels deep (list elements and map entries counted); the broker handles at"
                    + " most " + MAX_DEPTH);
        }
        return new FieldPath(text, steps, throughList);
    }

    /**
     * The top-level column a path starts at, by the rules above given the schema's top-level
     * names: the text itself when it is one of {@code columns}, else the longest of them that the
     * text starts with followed by a dot. When none is, the text up to its first dot (a column
     * that is not there, for a message to name).
     */
    public static String column(String text, Collection<String> columns) {
        requireNonNull(text, "text is null");
        requireNonNull(columns, "columns is null");
        if (columns.contains(text)) {
            return text;
        }
        String longest = null;
        for (String column : columns) {
            if (text.length() > column.length() && text.charAt(column.length()) == '.' && text.startsWith(column)
                    && (longest == null || column.length() > longest.length())) {
                longest = column;
            }
        }
        if (longest != null) {
            return longest;
        }
        int dot = text.indexOf('.');
        return dot < 0 ? text : text.substring(0, dot);
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
