package io.sluice.examples;

import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BOOLEAN;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32;
import static org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Types;

/**
 * A synthetic hospital dataset with a real signal: the diagnosis label is drawn from a logistic
 * model of age, sex and four lab values, so a classifier trained on the features does better
 * than chance, and one trained without them does not. Deterministic for a given seed.
 */
public final class HospitalDataset {
    public static final MessageType SCHEMA = Types.buildMessage()
            .required(INT64).named("patient_id")
            .required(BINARY).as(LogicalTypeAnnotation.stringType()).named("name")
            .required(INT32).named("age")
            .required(BINARY).as(LogicalTypeAnnotation.stringType()).named("sex")
            .optional(DOUBLE).named("systolic_bp")
            .optional(DOUBLE).named("cholesterol")
            .optional(DOUBLE).named("glucose")
            .optional(DOUBLE).named("bmi")
            .required(BOOLEAN).named("consent")
            .required(INT32).named("diagnosis")
            .named("patients");

    /** The feature columns a training job uses, in this order. */
    public static final java.util.List<String> FEATURES =
            java.util.List.of("age", "systolic_bp", "cholesterol", "glucose", "bmi");

    /**
     * The largest row group {@link #write(Path, long, long, int, LongConsumer)} cuts: the writer
     * buffers a whole row group in memory (about 60 bytes a row before compression).
     */
    public static final int MAX_ROW_GROUP_ROWS = 16 * 1024 * 1024;

    private static final String[] FIRST = {"Anna", "Jonas", "Marie", "Lukas", "Sofia", "Elias", "Lea", "Noah",
        "Emma", "Ben", "Mia", "Paul", "Hanna", "Finn", "Lina", "Felix"};
    private static final String[] LAST = {"Müller", "Schmidt", "Dubois", "Rossi", "García", "Novak", "Jansen",
        "Nielsen", "Kowalski", "Silva", "Horvat", "Virtanen", "Papadopoulos", "Murphy"};

    private HospitalDataset() {}

    /**
     * Writes {@code rows} patients to {@code file} (Snappy-compressed Parquet, replacing the file).
     *
     * @param progress called with the number of rows written so far, every 100 000 rows and at the end
     */
    public static void write(Path file, long rows, long seed, LongConsumer progress) {
        write(file, rows, seed, OptionalInt.empty(), progress);
    }

    /**
     * Writes {@code rows} patients as {@link #write(Path, long, long, LongConsumer)} does, cutting a
     * row group every {@code rowGroupRows} rows (the last one may be shorter), so that large files
     * have as many row groups as a test or benchmark needs. The same seed gives the same rows,
     * whatever the row group size.
     *
     * @param rowGroupRows rows per row group, at least 1; at most {@link #MAX_ROW_GROUP_ROWS}
     */
    public static void write(Path file, long rows, long seed, int rowGroupRows, LongConsumer progress) {
        if (rowGroupRows < 1 || rowGroupRows > MAX_ROW_GROUP_ROWS) {
            throw new IllegalArgumentException("rowGroupRows must be in 1.." + MAX_ROW_GROUP_ROWS + ", was " + rowGroupRows);
        }
        write(file, rows, seed, OptionalInt.of(rowGroupRows), progress);
    }

    private static void write(Path file, long rows, long seed, OptionalInt rowGroupRows, LongConsumer progress) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
            SplittableRandom random = new SplittableRandom(seed);
            ExampleParquetWriter.Builder builder = ExampleParquetWriter.builder(new LocalOutputFile(file))
                    .withConf(new PlainParquetConfiguration())
                    .withType(SCHEMA)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE);
            if (rowGroupRows.isPresent()) {
                // The row count decides alone: the byte limit is set above what MAX_ROW_GROUP_ROWS rows take.
                builder = builder.withRowGroupRowCountLimit(rowGroupRows.getAsInt()).withRowGroupSize(2L << 30);
            }
            try (ParquetWriter<Group> writer = builder.build()) {
                for (long i = 0; i < rows; i++) {
                    writer.write(patient(groups, random, i));
                    if ((i + 1) % 100_000 == 0) {
                        progress.accept(i + 1);
                    }
                }
            }
            progress.accept(rows);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static Group patient(SimpleGroupFactory groups, SplittableRandom random, long i) {
        int age = 18 + random.nextInt(73);
        boolean male = random.nextBoolean();
        double systolic = 120 + 0.5 * (age - 50) + 15 * gaussian(random);
        double cholesterol = 200 + 35 * gaussian(random);
        double glucose = 100 + 0.3 * (age - 50) + 20 * gaussian(random);
        double bmi = 27 + 5 * gaussian(random);
        double logit = -1.0 + 0.05 * (age - 50) + 0.03 * (systolic - 125) + 0.01 * (cholesterol - 200)
                + 0.04 * (glucose - 100) + 0.1 * (bmi - 27) + (male ? 0.3 : 0.0);
        int diagnosis = random.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
        Group group = groups.newGroup()
                .append("patient_id", 1_000_000L + i)
                .append("name", FIRST[random.nextInt(FIRST.length)] + " " + LAST[random.nextInt(LAST.length)])
                .append("age", age)
                .append("sex", male ? "M" : "F");
        // About one lab value in a hundred is missing, as in real extracts.
        appendUnlessMissing(group, random, "systolic_bp", systolic);
        appendUnlessMissing(group, random, "cholesterol", cholesterol);
        appendUnlessMissing(group, random, "glucose", glucose);
        appendUnlessMissing(group, random, "bmi", bmi);
        return group.append("consent", random.nextInt(100) < 97).append("diagnosis", diagnosis);
    }

    private static void appendUnlessMissing(Group group, SplittableRandom random, String field, double value) {
        if (random.nextInt(100) != 0) {
            group.append(field, Math.round(value * 10) / 10.0);
        }
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian of its own.
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
