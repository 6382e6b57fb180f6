package io.sluice.examples.bench;

import static java.util.Objects.requireNonNull;

import io.sluice.examples.HospitalDataset;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;

/**
 * The stream bench's Parquet source: {@link HospitalDataset} rows in row groups of a chosen size,
 * kept in a cache directory under a name made of every parameter that shapes the file, so that a
 * re-run with the same parameters reads the file it wrote before instead of generating it again.
 *
 * @param file the Parquet file, {@code <sourcesRoot>/hospital-a/<name>}: where the broker finds it
 *     as organisation {@code hospital-a}'s file {@link #fileName()}
 * @param rows rows in the file
 * @param rowGroupRows rows per row group the file was cut into (the last group may be shorter)
 * @param rowGroups row groups in the file, read from its footer
 * @param fileBytes the file's size
 * @param generated whether this call wrote the file (false: it came from the cache)
 */
record BenchSource(Path file, long rows, int rowGroupRows, int rowGroups, long fileBytes, boolean generated) {

    /** The organisation that owns the source; its directory under the broker's sources root. */
    static final String ORGANISATION = "hospital-a";

    /**
     * Arrow IPC bytes one row takes after the demo policy (every column but {@code name}), as the
     * broker sends it in batches of 65,536 rows: 54,259,480 bytes for 1,000,000 rows. Used only to
     * turn {@code --gb} into a row count; the bench reports the payload it measured.
     */
    static final double ENFORCED_BYTES_PER_ROW = 54.26;

    /** Raised when the generator's output changes, so that old cached files are not taken for new ones. */
    private static final int GENERATOR_VERSION = 1;

    /** Row groups the default row group size aims at, at least. */
    static final int MIN_ROW_GROUPS = 16;

    /** The largest row group the default cuts. */
    static final int DEFAULT_MAX_ROW_GROUP_ROWS = 1 << 20;

    BenchSource {
        requireNonNull(file, "file is null");
    }

    /** The file's name relative to its organisation's directory, as the dataset registration names it. */
    String fileName() {
        return file.getFileName().toString();
    }

    /** Rows for about {@code gigabytes} (10^9 bytes) of enforced Arrow payload. */
    static long rowsForGigabytes(double gigabytes) {
        if (!(gigabytes > 0)) {
            throw new IllegalArgumentException("--gb must be > 0, was " + gigabytes);
        }
        return Math.max(1, Math.round(gigabytes * 1e9 / ENFORCED_BYTES_PER_ROW));
    }

    /**
     * The default row group size for {@code rows}: at least {@link #MIN_ROW_GROUPS} groups, at most
     * {@link #DEFAULT_MAX_ROW_GROUP_ROWS} rows each.
     */
    static int defaultRowGroupRows(long rows) {
        return (int) Math.max(1, Math.min(DEFAULT_MAX_ROW_GROUP_ROWS, (rows + MIN_ROW_GROUPS - 1) / MIN_ROW_GROUPS));
    }

    /**
     * Returns the cached file for these parameters, writing it first if the cache lacks it. The file
     * is written under a temporary name and renamed when complete, so an interrupted run leaves
     * nothing that a later run would take for a finished file.
     */
    static BenchSource ensure(Path sourcesRoot, long rows, int rowGroupRows, long seed, PrintStream out) {
        requireNonNull(sourcesRoot, "sourcesRoot is null");
        requireNonNull(out, "out is null");
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be >= 1, was " + rows);
        }
        Path directory = sourcesRoot.resolve(ORGANISATION);
        Path file = directory.resolve(String.format(Locale.ROOT, "hospital-r%d-g%d-s%d-v%d.parquet",
                rows, rowGroupRows, seed, GENERATOR_VERSION));
        boolean generated = false;
        if (!Files.isRegularFile(file)) {
            Path partial = directory.resolve(file.getFileName() + ".partial");
            out.printf("generating %s: %,d rows in row groups of %,d (cached for later runs)...%n",
                    file, rows, rowGroupRows);
            long started = System.nanoTime();
            long step = Math.max(100_000, rows / 10 / 100_000 * 100_000);
            HospitalDataset.write(partial, rows, seed, rowGroupRows, written -> {
                if (written % step == 0 && written < rows) {
                    out.printf("  %,d of %,d rows (%.0f s)%n", written, rows, (System.nanoTime() - started) / 1e9);
                }
            });
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot rename " + partial + " to " + file, e);
            }
            out.printf("  written in %.1f s%n", (System.nanoTime() - started) / 1e9);
            generated = true;
        }
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file),
                ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
            long found = reader.getRecordCount();
            if (found != rows) {
                throw new IllegalStateException("cached source " + file + " has " + found + " rows, expected " + rows
                        + "; delete it and run again");
            }
            return new BenchSource(file, rows, rowGroupRows, reader.getRowGroups().size(), Files.size(file), generated);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the footer of " + file + " (delete it and run again)", e);
        }
    }
}
