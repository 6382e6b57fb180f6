package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.Util;

/**
 * Hand surgery on real Parquet files for the hostile-file tests: read and rewrite the thrift
 * footer, and check that a damaged file fails its scan with a clear error and leaks nothing.
 */
final class ParquetSurgery {
    private ParquetSurgery() {}

    /** Where the footer of the file {@code bytes} starts (its length sits before the closing magic). */
    static int footerStart(byte[] bytes) {
        int footerLength = ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        return bytes.length - 8 - footerLength;
    }

    static FileMetaData readFooter(byte[] bytes) throws IOException {
        int start = footerStart(bytes);
        return Util.readFileMetaData(new ByteArrayInputStream(bytes, start, bytes.length - 8 - start));
    }

    /** Applies {@code change} to the file's footer and writes the file back with it. */
    static void rewriteFooter(Path file, Consumer<FileMetaData> change) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        FileMetaData footer = readFooter(bytes);
        change.accept(footer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(bytes, 0, footerStart(bytes));
        writeFooter(out, footer);
        Files.write(file, out.toByteArray());
    }

    /** Appends {@code footer}, its length and the closing magic: the end of a Parquet file. */
    static void writeFooter(ByteArrayOutputStream out, FileMetaData footer) throws IOException {
        ByteArrayOutputStream serialized = new ByteArrayOutputStream();
        Util.writeFileMetaData(footer, serialized);
        out.writeBytes(serialized.toByteArray());
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(serialized.size()).array());
        out.writeBytes("PAR1".getBytes(StandardCharsets.US_ASCII));
    }

    /** Scanning every column of {@code file} fails with {@code code} and a message starting so; nothing leaks. */
    static void assertScanFails(Path file, ConnectorErrorCode code, String messageStart) {
        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(
                        source.schema().getFields().stream().map(f -> f.getName()).toList()), allocator)) {
            assertThatThrownBy(() -> {
                while (reader.loadNextBatch()) {
                    // read on until the damage shows
                }
            })
                    .isInstanceOfSatisfying(ConnectorException.class, e -> assertThat(e.errorCode()).isEqualTo(code))
                    .hasMessageStartingWith(messageStart);
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }
}
