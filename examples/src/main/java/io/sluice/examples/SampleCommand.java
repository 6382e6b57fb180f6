package io.sluice.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice sample}: writes a synthetic dataset a new data owner can register at once, so the
 * README's first steps need no file of one's own.
 */
@Command(name = "sluice sample", mixinStandardHelpOptions = true,
        versionProvider = io.sluice.broker.cli.SluiceCommand.Version.class,
        description = {"Writes a synthetic dataset to try Sluice with.",
            "patients: a hospital table (patient_id, name, age, sex, systolic_bp, cholesterol, glucose, bmi,"
                + " consent, diagnosis) whose diagnosis follows the lab values, so a model can learn it."},
        footer = {"", "Example:",
            "  ./sluice sample patients --rows 100000 --out data/sources/hospital-a/patients.parquet"})
public final class SampleCommand implements Callable<Integer> {
    /** The datasets this command can write. */
    enum Kind { patients }

    @Parameters(index = "0", paramLabel = "KIND", description = "what to write: ${COMPLETION-CANDIDATES}")
    Kind kind;

    @Option(names = "--rows", defaultValue = "100000", paramLabel = "N", description = "rows to write (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = "--out", defaultValue = "patients.parquet", paramLabel = "FILE",
            description = "the Parquet file to write; its directory is created, an existing file is replaced"
                    + " (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S",
            description = "seed of the generated rows: the same seed writes the same file (default: ${DEFAULT-VALUE})")
    long seed;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SampleCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rows < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rows must be >= 1, was " + rows);
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        HospitalDataset.write(out, rows, seed, written -> { });
        System.out.println("wrote " + rows + " " + kind + " to " + out + " (" + Files.size(out) + " bytes)");
        return 0;
    }
}
