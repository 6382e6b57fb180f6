package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.Range;
import org.apache.arrow.vector.compare.RangeEqualsVisitor;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file of a corpus written by pyarrow ({@code src/test/python/parquet_corpus.py}: every flat
 * type, codec, encoding, page version and layout pyarrow writes) is either served value for value
 * as pyarrow reads it, types as {@link ParquetArrowSchema} documents them, or refused when the
 * source is opened (at registration) with a message naming the feature. Zero silent differences.
 *
 * <p>Needs {@code python3} with pyarrow ({@code .ci/run} installs it); skipped without it unless
 * {@code SLUICE_TEST_PYARROW=always}, which CI sets.
 */
class PyarrowCorpusTest {
    /** Odd, so that Sluice's batches and pyarrow's chunks (777 rows) never line up. */
    private static final int BATCH_ROWS = 1_000;

    @TempDir
    static Path corpus;

    @BeforeAll
    static void writeCorpusWithPyarrow() throws Exception {
        PyarrowReference.assumePyarrow();
        PyarrowReference.runScript(PyarrowReference.CORPUS_SCRIPT, corpus.toString());
    }

    @Test
    void servesEveryCorpusFileAsPyarrowReadsItOrRefusesItAtRegistration() throws IOException {
        List<String> failures = new ArrayList<>();
        int identical = 0;
        int refused = 0;
        for (String line : Files.readAllLines(corpus.resolve("manifest.tsv"), StandardCharsets.UTF_8)) {
            String[] entry = line.split("\t", -1);
            String name = entry[0];
            try {
                if (entry[1].equals("identical")) {
                    Path source = Files.isDirectory(corpus.resolve(name)) ? corpus.resolve(name)
                            : corpus.resolve(name + ".parquet");
                    assertServedAsPyarrowReadsIt(source, corpus.resolve(name + ".arrow"));
                    identical++;
                } else {
                    assertRefusedAtRegistration(corpus.resolve(name + ".parquet"), entry[2]);
                    refused++;
                }
            } catch (AssertionError | RuntimeException e) {
                failures.add(name + ": " + e.getMessage());
            }
        }
        System.out.printf("pyarrow corpus: %d files served identical, %d refused, %d failed%n", identical, refused,
                failures.size());
        assertThat(failures).as("files served differently from pyarrow or not refused as expected").isEmpty();
        assertThat(identical).as("files compared").isGreaterThan(40);
        assertThat(refused).as("files refused").isGreaterThanOrEqualTo(1);
    }

    private static void assertRefusedAtRegistration(Path file, String word) {
        try (ParquetBatchSource source = ParquetBatchSource.open(file)) {
            throw new AssertionError("registered although it should be refused naming '" + word + "'; schema "
                    + source.schema());
        } catch (ConnectorException e) {
            assertThat(e.errorCode()).as("error code of: %s", e.getMessage()).isEqualTo(ConnectorErrorCode.UNSUPPORTED_TYPE);
            assertThat(e.getMessage()).contains(word);
        }
    }

    private static void assertServedAsPyarrowReadsIt(Path source, Path expectedFile) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource parquet = ParquetBatchSource.open(source);
                FileChannel channel = FileChannel.open(expectedFile);
                ArrowFileReader pyarrow = new ArrowFileReader(channel, allocator)) {
            VectorSchemaRoot theirs = pyarrow.getVectorSchemaRoot();
            List<Field> want = theirs.getSchema().getFields().stream().map(PyarrowCorpusTest::withoutMetadata).toList();
            List<Field> got = parquet.schema().getFields().stream().map(PyarrowCorpusTest::withoutMetadata).toList();
            assertThat(got).as("Arrow fields (name, type, nullability)").isEqualTo(want);
            List<String> columns = got.stream().map(Field::getName).toList();
            try (BatchReader reader = parquet.open(ScanSpec.of(columns).withBatchRows(BATCH_ROWS), allocator)) {
                long rows = compareStreams(reader, pyarrow, columns);
                assertThat(parquet.rowCount()).as("rows in the footers").hasValue(rows);
            }
        }
    }

    /** Walks both streams in step, whatever their batch sizes, comparing each run of rows column by column. */
    private static long compareStreams(BatchReader reader, ArrowFileReader pyarrow, List<String> columns)
            throws IOException {
        VectorSchemaRoot mine = reader.root();
        VectorSchemaRoot theirs = pyarrow.getVectorSchemaRoot();
        int myPosition = 0;
        int myCount = 0;
        int theirPosition = 0;
        int theirCount = 0;
        long row = 0;
        while (true) {
            while (myPosition == myCount && reader.loadNextBatch()) {
                myPosition = 0;
                myCount = mine.getRowCount();
            }
            while (theirPosition == theirCount && pyarrow.loadNextBatch()) {
                theirPosition = 0;
                theirCount = theirs.getRowCount();
            }
            boolean myEnd = myPosition == myCount;
            boolean theirEnd = theirPosition == theirCount;
            if (myEnd || theirEnd) {
                assertThat(myEnd).as("Sluice ended after row %d while pyarrow had more, or the other way round", row)
                        .isEqualTo(theirEnd);
                return row;
            }
            int length = Math.min(myCount - myPosition, theirCount - theirPosition);
            for (int c = 0; c < columns.size(); c++) {
                FieldVector left = mine.getVector(c);
                FieldVector right = theirs.getVector(c);
                if (!equal(left, right, myPosition, theirPosition, length)) {
                    for (int i = 0; i < length; i++) {
                        if (!equal(left, right, myPosition + i, theirPosition + i, 1)) {
                            throw new AssertionError("column " + columns.get(c) + " row " + (row + i) + ": Sluice "
                                    + left.getObject(myPosition + i) + ", pyarrow " + right.getObject(theirPosition + i));
                        }
                    }
                }
            }
            myPosition += length;
            theirPosition += length;
            row += length;
        }
    }

    private static boolean equal(FieldVector left, FieldVector right, int leftStart, int rightStart, int length) {
        return new RangeEqualsVisitor(left, right, (l, r) -> l.getField().getType().equals(r.getField().getType()))
                .rangeEquals(new Range(leftStart, rightStart, length));
    }

    private static Field withoutMetadata(Field field) {
        return new Field(field.getName(), new org.apache.arrow.vector.types.pojo.FieldType(field.isNullable(),
                field.getType(), null), field.getChildren().stream().map(PyarrowCorpusTest::withoutMetadata).toList());
    }
}
