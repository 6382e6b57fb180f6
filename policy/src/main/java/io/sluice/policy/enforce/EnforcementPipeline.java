package io.sluice.policy.enforce;

import static java.util.Objects.requireNonNull;

import io.sluice.policy.Duty;
import io.sluice.policy.FieldPath;
import io.sluice.policy.PolicyDecision;
import io.sluice.policy.PolicyErrorCode;
import io.sluice.policy.PolicyException;
import io.sluice.policy.internal.DutyTargets;
import io.sluice.policy.filter.Literal;
import io.sluice.policy.filter.RowPredicate;
import io.sluice.policy.internal.filter.Bitmaps;
import io.sluice.policy.internal.filter.ColumnType;
import io.sluice.policy.internal.filter.VectorFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Enforces one grant on one stream: compiled once from the {@link PolicyDecision.Permit} that the
 * stream was decided under, then applied to every Arrow batch the connector produces:
 *
 * <ol>
 *   <li><b>projection</b>: the input batch's columns are looked up by name; only
 *       {@link #inputColumns()} are read (the permitted columns plus those the row filter and the
 *       opt-outs need), everything else in the batch is ignored;
 *   <li><b>row selection</b>: the permit's row filters (their conjunction, on the values as they
 *       arrive, SQL three-valued logic) and the opt-outs (rows whose subject id was withdrawn)
 *       decide which rows stay;
 *   <li><b>column transforms</b>: each permitted column is copied for the selected rows, through
 *       its duty if it has one ({@code pseudonymise}, {@code generalise}, {@code mask}), in permit
 *       order, giving exactly {@link #outputSchema()}. A duty may name a field inside a column
 *       ({@link io.sluice.policy.FieldPath}): the column is then rebuilt level by level (structs,
 *       lists, maps), the named field transformed or left out, everything else copied. When a batch keeps every row (no row filter
 *       and no opt-outs, or they happen to keep the whole batch), a column without a duty is not
 *       copied but <em>moved</em>: its buffers are transferred from the input vector to the output
 *       (Arrow's {@link org.apache.arrow.vector.util.TransferPair}).
 * </ol>
 *
 * <p><b>Ownership.</b> {@link #apply} keeps nothing of the input batch and never closes it; it
 * stays the caller's (the connector's) to close. It may however <em>empty</em> some of its
 * vectors, those it moved (see {@link #apply}). It returns a <em>new</em> {@link VectorSchemaRoot}
 * whose buffers belong to the allocator passed in, whether allocated there or moved there: the
 * caller owns it and must close it (typically right after writing it to the wire). If
 * {@code apply} fails, everything it allocated is released before the exception leaves, and the
 * input is as it was (columns are moved only after every allocation succeeded). The pipeline
 * itself holds no Arrow memory, only heap scratch, so it needs no closing.
 *
 * <p><b>Threading.</b> Not thread-safe: one pipeline per stream, applied by one thread at a time.
 * The counters may be read from any thread.
 */
public final class EnforcementPipeline {
    private final Schema outputSchema;
    private final List<String> inputColumns;
    private final List<ColumnWriter> writers;
    private final Optional<VectorFilter> filter;
    private final Optional<VectorFilter> optedOut;
    private final Selection selection = new Selection();
    private long[] all = new long[0];
    private volatile long rowsIn;
    private volatile long rowsOut;
    private volatile long batches;

    private EnforcementPipeline(Schema outputSchema, List<String> inputColumns,
            List<ColumnWriter> writers, Optional<VectorFilter> filter, Optional<VectorFilter> optedOut) {
        this.outputSchema = outputSchema;
        this.inputColumns = inputColumns;
        this.writers = writers;
        this.filter = filter;
        this.optedOut = optedOut;
    }

    /**
     * Compiles the pipeline for a stream.
     *
     * @param permit the decision the stream was opened under (decide again at stream time with
     *     the grant's columns, {@code grantIssuedAt} and {@code streamsOpened})
     * @param schema the dataset's schema, which the policy was checked against
     * @param key the pseudonym key for this dataset and the grant's project
     *     ({@link PseudonymKey#derive}); used only if a duty pseudonymises a permitted column
     * @param optOuts the subjects whose rows must not leave ({@link OptOuts#none()} when none)
     * @throws io.sluice.policy.PolicyException if the opt-outs' subject column is not usable in
     *     {@code schema}
     * @throws IllegalArgumentException if the permit names a column the schema lacks
     */
    public static EnforcementPipeline compile(
            PolicyDecision.Permit permit, Schema schema, PseudonymKey key, OptOuts optOuts) {
        requireNonNull(permit, "permit is null");
        requireNonNull(schema, "schema is null");
        requireNonNull(key, "key is null");
        requireNonNull(optOuts, "optOuts is null");
        List<ColumnWriter> writers = writers(permit, schema, key);

        Optional<RowPredicate> predicate = permit.rowPredicate();
        Optional<VectorFilter> filter = predicate.map(p -> VectorFilter.compile(p, schema));
        Optional<VectorFilter> optedOut = Optional.empty();
        Map<String, Field> fields = fields(schema);
        Set<String> read = new LinkedHashSet<>(permit.columns());
        // A filter on encounter.status reads the column encounter.
        predicate.ifPresent(p -> p.columns().forEach(path -> read.add(FieldPath.resolve(schema, path).column())));
        if (optOuts.subjectColumn().isPresent()) {
            String subject = optOuts.subjectColumn().get();
            OptOuts.checkSubjectColumn(schema, subject);
            if (!optOuts.isEmpty()) {
                optedOut = Optional.of(VectorFilter.compile(optOutPredicate(fields.get(subject), optOuts), schema));
                read.add(subject);
            }
        }
        List<String> inputColumns = schema.getFields().stream().map(Field::getName).filter(read::contains).toList();
        Schema output = new Schema(writers.stream().map(writer -> writer.output).toList());
        return new EnforcementPipeline(output, inputColumns, List.copyOf(writers), filter, optedOut);
    }

    /**
     * The schema of every batch {@link #apply} returns, known before the first batch, to announce
     * in the grant response: the permitted columns in permit order; a pseudonymised column or
     * field becomes utf8 (same name and nullability); a column or field masked with null becomes
     * nullable; a dropped field is left out of its struct; everything else keeps its field.
     *
     * <p>Also the grant-time check that the pipeline can carry the grant out: for the broker to call
     * before it issues a grant.
     *
     * @throws PolicyException {@code UNSUPPORTED_COLUMN_TYPE} naming the column or field, and its
     *     type, that no stream could carry (a union, a view type), or a duty that does not apply to
     *     its field's type; {@code UNKNOWN_COLUMN} for a duty's path that the schema lacks
     */
    public static Schema outputSchema(PolicyDecision.Permit permit, Schema schema) {
        requireNonNull(permit, "permit is null");
        requireNonNull(schema, "schema is null");
        return new Schema(writers(permit, schema, null).stream().map(writer -> writer.output).toList());
    }

    /** The schema of every returned batch; see {@link #outputSchema(PolicyDecision.Permit, Schema)}. */
    public Schema outputSchema() {
        return outputSchema;
    }

    /**
     * The columns each input batch must have, in schema order: what the broker asks the connector
     * to scan (its projection). Batches may carry more; they are ignored.
     */
    public List<String> inputColumns() {
        return inputColumns;
    }

    /**
     * Enforces the grant on one batch.
     *
     * <p>When every row of {@code in} is selected, each output column that is a plain
     * pass-through of an input column (no duty) is moved rather than copied: its buffers are
     * transferred to the result, and that input vector is left <b>empty</b> (value count 0, no
     * buffers) while {@code in}'s row count stays as it was. After {@code apply} the caller must
     * not read those vectors of {@code in} (they are the result's now); it may still close
     * {@code in}, or load the next batch into it, as usual: a {@link VectorSchemaRoot} reused by a
     * connector allocates the emptied vectors again. A vector is moved only if it holds exactly
     * the batch's rows, if {@code allocator} shares its root allocator, if its child fields are
     * the output field's, and if no other output column reads it; otherwise it is copied, as are
     * all columns of a batch that loses rows.
     *
     * @param in the connector's batch; read, never closed, possibly with some vectors emptied
     *     (above); must have {@link #inputColumns()} with the schema's types
     * @param allocator where the result's buffers come from, or are moved to (the stream's child
     *     allocator); a moved buffer counts against it from then on
     * @return a new batch of {@link #outputSchema()} holding only the selected rows, possibly none;
     *     the caller owns it and must close it
     * @throws IllegalArgumentException if {@code in} lacks a needed column or has it with another
     *     type; nothing is allocated or moved then
     */
    public VectorSchemaRoot apply(VectorSchemaRoot in, BufferAllocator allocator) {
        requireNonNull(in, "in is null");
        requireNonNull(allocator, "allocator is null");
        int rows = in.getRowCount();
        List<FieldVector> inputs = new ArrayList<>(writers.size());
        for (ColumnWriter writer : writers) {
            inputs.add(vector(in, writer.input, rows));
        }
        select(in, rows);
        boolean[] moves = moves(inputs, rows, allocator);
        FieldVector[] columns = new FieldVector[writers.size()];
        List<FieldVector> outputs = new ArrayList<>(writers.size());
        try {
            // Copies and transforms first: if one fails (the allocator's limit), nothing was moved yet.
            for (int i = 0; i < writers.size(); i++) {
                if (!moves[i]) {
                    columns[i] = writers.get(i).write(inputs.get(i), selection, allocator);
                    outputs.add(columns[i]);
                }
            }
            for (int i = 0; i < writers.size(); i++) {
                if (moves[i]) {
                    columns[i] = writers.get(i).move(inputs.get(i), allocator);
                    outputs.add(columns[i]);
                }
            }
            VectorSchemaRoot out = new VectorSchemaRoot(outputSchema, Arrays.asList(columns), selection.count);
            rowsIn += rows;
            rowsOut += selection.count;
            batches++;
            return out;
        } catch (RuntimeException | Error e) {
            try {
                AutoCloseables.close(outputs);
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Rows in all input batches so far. */
    public long rowsIn() {
        return rowsIn;
    }

    /** Rows in all returned batches so far. */
    public long rowsOut() {
        return rowsOut;
    }

    /** Batches returned so far. */
    public long batches() {
        return batches;
    }

    @Override
    public String toString() {
        return "EnforcementPipeline[in=" + inputColumns + ", out=" + outputSchema.getFields().stream()
                .map(Field::getName).toList() + ", filtered=" + filter.isPresent() + ", optOuts=" + optedOut.isPresent()
                + "]";
    }

    // ---- per batch -------------------------------------------------------------------------------

    private void select(VectorSchemaRoot in, int rows) {
        if (filter.isEmpty() && optedOut.isEmpty()) {
            selection.all(rows);
            return;
        }
        long[] selected;
        if (filter.isPresent()) {
            selected = filter.get().select(in);
        } else {
            if (all.length < Bitmaps.words(rows)) {
                all = new long[Bitmaps.words(rows)];
            }
            Bitmaps.fill(all, rows);
            selected = all;
        }
        if (optedOut.isPresent()) {
            long[] withdrawn = optedOut.get().select(in);
            for (int w = 0, n = Bitmaps.words(rows); w < n; w++) {
                selected[w] &= ~withdrawn[w];
            }
        }
        selection.of(selected, rows);
    }

    /**
     * Which output columns are moved rather than copied: with every row selected, the pass-through
     * columns whose input vector holds exactly the batch's rows, can be transferred to
     * {@code allocator} (same root allocator), has the output field's children, and feeds no other
     * output column.
     */
    private boolean[] moves(List<FieldVector> inputs, int rows, BufferAllocator allocator) {
        boolean[] moves = new boolean[writers.size()];
        if (!selection.all) {
            return moves;
        }
        for (int i = 0; i < writers.size(); i++) {
            ColumnWriter writer = writers.get(i);
            FieldVector vector = inputs.get(i);
            moves[i] = writer.passesThrough()
                    && vector.getValueCount() == rows
                    // A null-type vector has no buffers and no allocator: always movable.
                    && (vector.getAllocator() == null || vector.getAllocator().getRoot() == allocator.getRoot())
                    && vector.getField().getChildren().equals(writer.output.getChildren())
                    && readOnce(inputs, vector);
        }
        return moves;
    }

    private static boolean readOnce(List<FieldVector> inputs, FieldVector vector) {
        int readers = 0;
        for (FieldVector input : inputs) {
            if (input == vector) {
                readers++;
            }
        }
        return readers == 1;
    }

    private FieldVector vector(VectorSchemaRoot in, Field expected, int rows) {
        FieldVector vector = in.getVector(expected.getName());
        if (vector == null) {
            throw new IllegalArgumentException("the batch has no column '" + expected.getName() + "'; the pipeline "
                    + "reads " + inputColumns);
        }
        if (!vector.getField().getType().equals(expected.getType())) {
            throw new IllegalArgumentException("column '" + expected.getName() + "' is "
                    + ColumnType.describe(vector.getField().getType()) + " in the batch, but "
                    + ColumnType.describe(expected.getType()) + " in the dataset's schema");
        }
        if (vector.getValueCount() < rows) {
            throw new IllegalArgumentException("column '" + expected.getName() + "' has " + vector.getValueCount()
                    + " values for " + rows + " rows");
        }
        return vector;
    }

    // ---- compilation -----------------------------------------------------------------------------

    private static Map<String, Field> fields(Schema schema) {
        Map<String, Field> fields = new HashMap<>();
        for (Field field : schema.getFields()) {
            fields.putIfAbsent(field.getName(), field);
        }
        return fields;
    }

    /** A duty on a column or on a field inside it. */
    private record Edit(FieldPath path, Duty duty) {
        int depth() {
            return path.steps().size() - 1;
        }

        boolean under(Field field, int depth) {
            return path.steps().size() > depth && path.steps().get(depth) == field;
        }
    }

    /** One writer per permitted column, each with the duties on it and on the fields inside it. */
    private static List<ColumnWriter> writers(PolicyDecision.Permit permit, Schema schema, PseudonymKey key) {
        Map<String, Field> fields = fields(schema);
        Map<String, List<Edit>> edits = edits(permit.duties(), schema);
        List<ColumnWriter> writers = new ArrayList<>();
        for (String column : permit.columns()) {
            Field field = fields.get(column);
            if (field == null) {
                throw new IllegalArgumentException("permitted column '" + column + "' is not in the schema");
            }
            DutyTargets.checkCopyable(field, column).ifPresent(refusal -> {
                throw new PolicyException(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE, refusal);
            });
            writers.add(writer(field, 0, edits.getOrDefault(column, List.of()), key));
        }
        return List.copyOf(writers);
    }

    /**
     * The duties by top-level column, each path resolved and checked with the same
     * {@link DutyTargets#check} the parser applied when the policy was set (the parser allows at
     * most one changing duty per path).
     */
    private static Map<String, List<Edit>> edits(List<Duty> duties, Schema schema) {
        Map<String, List<Edit>> edits = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (Duty duty : duties) {
            if (duty instanceof Duty.RowFilter) {
                continue;
            }
            for (String text : duty.columns()) {
                FieldPath path = FieldPath.resolve(schema, text);
                DutyTargets.check(duty, path).ifPresent(refusal -> {
                    throw new PolicyException(PolicyErrorCode.UNSUPPORTED_COLUMN_TYPE, refusal);
                });
                if (seen.add(text)) {
                    edits.computeIfAbsent(path.column(), column -> new ArrayList<>()).add(new Edit(path, duty));
                }
            }
        }
        return edits;
    }

    /** The writer of {@code field} (at {@code depth} below its column) given the edits at or below it. */
    private static ColumnWriter writer(Field field, int depth, List<Edit> edits, PseudonymKey key) {
        Optional<Edit> here = edits.stream()
                .filter(edit -> edit.depth() == depth && !(edit.duty() instanceof Duty.Drop)).findFirst();
        List<Edit> below = edits.stream().filter(edit -> edit.depth() > depth).toList();
        if (here.isPresent()) {
            return transform(field, depth, here.get().duty(), below, key);
        }
        if (below.isEmpty()) {
            return new ColumnWriter.Copy(field);
        }
        if (field.getType() instanceof ArrowType.Struct) {
            List<ColumnWriter> children = new ArrayList<>();
            for (Field child : field.getChildren()) {
                List<Edit> its = below.stream().filter(edit -> edit.under(child, depth + 1)).toList();
                boolean dropped = its.stream()
                        .anyMatch(edit -> edit.depth() == depth + 1 && edit.duty() instanceof Duty.Drop);
                if (!dropped) {
                    children.add(writer(child, depth + 1, its, key));
                }
            }
            Field output = new Field(field.getName(), field.getFieldType(),
                    children.stream().map(child -> child.output).toList());
            return new ColumnWriter.Struct(field, output, children);
        }
        // A list, large list, fixed-size list or map: the edits reach into its one child.
        Field element = field.getChildren().getFirst();
        ColumnWriter elements = writer(element, depth + 1,
                below.stream().filter(edit -> edit.under(element, depth + 1)).toList(), key);
        return new ColumnWriter.Repeated(field, new Field(field.getName(), field.getFieldType(),
                List.of(elements.output)), elements);
    }

    /**
     * The writer of a field a duty transforms. A list's elements are transformed and the list kept,
     * except by a mask with null, which nulls the list value itself (as it does a struct or a map):
     * a consumer then learns nothing of it, not even how many elements it had.
     */
    private static ColumnWriter transform(Field field, int depth, Duty duty, List<Edit> below, PseudonymKey key) {
        boolean maskWithNull = duty instanceof Duty.Mask mask && mask.with().isEmpty();
        if (FieldPath.isList(field.getType()) && !maskWithNull) {
            Field element = field.getChildren().getFirst();
            List<Edit> inside = below.stream().filter(edit -> edit.under(element, depth + 1)).toList();
            ColumnWriter elements = transform(element, depth + 1, duty, inside, key);
            return new ColumnWriter.Repeated(field, new Field(field.getName(), field.getFieldType(),
                    List.of(elements.output)), elements);
        }
        return switch (duty) {
            case Duty.Pseudonymise p -> new ColumnWriter.Pseudonymise(field, new Field(field.getName(),
                    new FieldType(field.isNullable(), ArrowType.Utf8.INSTANCE, null, field.getMetadata()), null), key);
            case Duty.Generalise g -> new ColumnWriter.Generalise(field, g.how());
            case Duty.Mask m when m.with().isEmpty() -> {
                // Every value null, in the shape the field leaves in (drops inside a struct applied).
                Field shape = writer(field, depth, below, key).output;
                yield new ColumnWriter.Mask(field, new Field(field.getName(), new FieldType(true, shape.getType(),
                        shape.getDictionary(), shape.getMetadata()), shape.getChildren()), null);
            }
            case Duty.Mask m -> new ColumnWriter.Mask(field, field, m.with().get());
            case Duty.Drop d -> throw new IllegalStateException("a drop is not a transform");
            case Duty.RowFilter r -> throw new IllegalStateException("a row filter is not a transform");
        };
    }

    /** {@code subject IN (ids)} with each id read as the column's type; ids that cannot be are left out. */
    private static RowPredicate optOutPredicate(Field subject, OptOuts optOuts) {
        List<Literal> values = new ArrayList<>();
        boolean integer = ColumnType.of(subject.getType()) == ColumnType.INTEGER;
        for (String id : optOuts.ids()) {
            if (integer) {
                try {
                    values.add(new Literal.Int(Long.parseLong(id.strip())));
                } catch (NumberFormatException e) {
                    // not an integer: no row of an integer column can hold it
                }
            } else {
                values.add(new Literal.Text(id));
            }
        }
        if (values.isEmpty()) {
            // Nothing can match; an impossible IN keeps the code path single.
            values.add(integer ? new Literal.Int(0) : new Literal.Text(""));
            return new RowPredicate.And(List.of(new RowPredicate.In(subject.getName(), values),
                    new RowPredicate.IsNull(subject.getName())));
        }
        return new RowPredicate.In(subject.getName(), values);
    }
}
