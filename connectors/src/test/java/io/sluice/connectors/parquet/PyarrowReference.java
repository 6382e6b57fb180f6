package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ScanSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.Range;
import org.apache.arrow.vector.compare.RangeEqualsVisitor;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * pyarrow as the reference reader: runs the scripts under {@code src/test/python} (nested files,
 * the flat corpus) or a one-off program, and compares what Sluice reads from a Parquet file with what pyarrow read from it (an Arrow IPC file beside
 * it, {@code NAME.arrow}), field for field and value for value with Arrow's vector equality.
 *
 * <p>Needs {@code python3} with pyarrow; tests are skipped without it unless
 * {@code SLUICE_TEST_PYARROW=always}, which CI sets.
 */
final class PyarrowReference {
    /** Writes the nested files (or, with {@code --read FILE}, pyarrow's reading of one). */
    static final Path NESTED_SCRIPT = Path.of("src/test/python/parquet_nested.py");
    /** Writes the flat corpus and its manifest. */
    static final Path CORPUS_SCRIPT = Path.of("src/test/python/parquet_corpus.py");

    private PyarrowReference() {}

    /** Skips the calling test when python3 lacks pyarrow, or fails it under {@code SLUICE_TEST_PYARROW=always}. */
    static void assumePyarrow() {
        boolean present;
        try {
            present = python(Duration.ofSeconds(60), List.of("-c", "import pyarrow")).exitCode() == 0;
        } catch (IOException e) {
            present = false;
        }
        if ("always".equals(System.getenv("SLUICE_TEST_PYARROW"))) {
            assertThat(present).as("python3 with pyarrow (SLUICE_TEST_PYARROW=always)").isTrue();
        }
        assumeTrue(present, "python3 with pyarrow is not installed");
    }

    /** Runs {@code script} with {@code arguments}; fails with its output when it fails. */
    static void runScript(Path script, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(arguments));
        Run run = python(Duration.ofSeconds(300), command);
        assertThat(run.exitCode()).as("python3 %s exits with 0: %s", command, run.output()).isZero();
    }

    /** What a python3 run printed (stdout and stderr together) and its exit code; -1 when it timed out. */
    record Run(int exitCode, String output) {}

    /**
     * Runs {@code python3 ARGUMENTS}, its output going to a file, so that a python that hangs is
     * killed at {@code timeout} instead of blocking a read; never leaves the process running.
     */
    static Run python(Duration timeout, List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("python3"));
        command.addAll(arguments);
        Path output = Files.createTempFile("python", ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Run(finished ? process.exitValue() : -1, Files.readString(output, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Run(-1, "interrupted");
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    /** pyarrow's reading of {@code parquet}: the IPC file the script wrote beside it. */
    static Path arrowFileOf(Path parquet) {
        String name = parquet.getFileName().toString();
        return parquet.resolveSibling(name.substring(0, name.length() - ".parquet".length()) + ".arrow");
    }

    /**
     * Scans {@code parquet} with {@code spec} and checks every batch against pyarrow's reading:
     * the schema's fields equal, and each batch's vectors equal to pyarrow's rows from the batch's
     * first {@code id} on ({@code id} is the row number, so shards and pruned scans compare too).
     *
     * @return the rows the scan returned
     */
    static long assertScanMatchesPyarrow(Path parquet, ScanSpec spec, BufferAllocator allocator) throws IOException {
        try (ArrowFileReader expected = new ArrowFileReader(FileChannel.open(arrowFileOf(parquet)), allocator);
                ParquetBatchSource source = ParquetBatchSource.open(parquet)) {
            assertThat(expected.loadNextBatch()).as("pyarrow's reading of %s holds a batch", parquet).isTrue();
            VectorSchemaRoot want = expected.getVectorSchemaRoot();
            List<Field> wantFields = spec.columns().stream().map(c -> want.getSchema().findField(c)).toList();
            assertThat(source.schema().getFields().stream().filter(f -> spec.columns().contains(f.getName())).toList())
                    .as("Arrow fields of %s", parquet.getFileName()).isEqualTo(wantFields);
            long rows = 0;
            try (BatchReader reader = source.open(spec, allocator)) {
                while (reader.loadNextBatch()) {
                    VectorSchemaRoot got = reader.root();
                    int count = got.getRowCount();
                    if (count == 0) {
                        continue;
                    }
                    int offset = (int) ((BigIntVector) got.getVector("id")).get(0);
                    for (String column : spec.columns()) {
                        assertSameRows(parquet, got.getVector(column), want.getVector(column), offset, count);
                    }
                    rows += count;
                }
            }
            return rows;
        }
    }

    /** Rows {@code [0, count)} of {@code got} equal rows {@code [offset, offset + count)} of {@code want}. */
    static void assertSameRows(Path parquet, FieldVector got, FieldVector want, int offset, int count) {
        if (new RangeEqualsVisitor(got, want).rangeEquals(new Range(0, offset, count))) {
            return;
        }
        for (int row = 0; row < count; row++) {
            if (!new RangeEqualsVisitor(got, want).rangeEquals(new Range(row, offset + row, 1))) {
                fail("%s column %s row %d: Sluice read %s, pyarrow %s", parquet.getFileName(), got.getName(),
                        offset + row, got.getObject(row), want.getObject(offset + row));
            }
        }
        fail("%s column %s rows %d to %d differ from pyarrow's as a whole (offsets or children), though each row is "
                + "equal", parquet.getFileName(), got.getName(), offset, offset + count);
    }
}
