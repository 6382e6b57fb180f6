package io.sluice.policy.enforce;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.internal.filter.ColumnType;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Subjects who withdrew consent: every row whose subject column holds one of these ids is left out
 * of every stream. Ids are given as strings and compared as the column's type: for an integer
 * column an id must be a decimal integer (one that is not, or is out of the column's range, matches
 * no row); for a utf8 column the strings compare exactly. A row whose subject is null is kept.
 *
 * <p>Immutable and thread-safe.
 */
public final class OptOuts {
    private static final OptOuts NONE = new OptOuts(Optional.empty(), Set.of());

    private final Optional<String> subjectColumn;
    private final Set<String> ids;

    private OptOuts(Optional<String> subjectColumn, Set<String> ids) {
        this.subjectColumn = subjectColumn;
        this.ids = ids;
    }

    /** Nobody opted out. */
    public static OptOuts none() {
        return NONE;
    }

    /**
     * @param subjectColumn the column that identifies a record's subject (named in the dataset's
     *     registration); checked against the schema when the pipeline is compiled
     * @param ids the withdrawn subjects' ids; copied
     */
    public static OptOuts of(String subjectColumn, Collection<String> ids) {
        requireNonNull(subjectColumn, "subjectColumn is null");
        requireNonNull(ids, "ids is null");
        ids.forEach(id -> requireNonNull(id, "an id is null"));
        return new OptOuts(Optional.of(subjectColumn), Set.copyOf(new LinkedHashSet<>(ids)));
    }

    public Optional<String> subjectColumn() {
        return subjectColumn;
    }

    public Set<String> ids() {
        return ids;
    }

    /** Whether any row can be excluded. */
    public boolean isEmpty() {
        return ids.isEmpty();
    }

    /**
     * Checks that {@code column} can identify subjects in {@code schema}: it exists and is an
     * integer (not uint64) or utf8 column. For the broker to call when a dataset is registered.
     *
     * @throws PolicyException {@code UNKNOWN_COLUMN} or {@code UNSUPPORTED_COLUMN_TYPE}
     */
    public static void checkSubjectColumn(Schema schema, String column) {
        requireNonNull(schema, "schema is null");
        requireNonNull(column, "column is null");
        Field field = schema.getFields().stream().filter(f -> f.getName().equals(column)).findFirst()
                .orElseThrow(() -> new PolicyException(PolicyErrorCode.UNKNOWN_COLUMN, "subject column '" + column
                        + "' is not in the dataset; it has columns "
                        + schema.getFields().stream().map(Field::getName).toList()));
        ColumnType type = ColumnType.of(field.getType());
        if (type != ColumnType.INTEGER && !(field.getType() instanceof ArrowType.Utf8)) {
            throw new PolicyException(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE, "subject column '" + column
                    + "' is " + ColumnType.describe(field.getType()) + "; a subject column is an integer or utf8");
        }
    }

    @Override
    public String toString() {
        return "OptOuts[" + subjectColumn.orElse("-") + ", " + ids.size() + " ids]";
    }
}
