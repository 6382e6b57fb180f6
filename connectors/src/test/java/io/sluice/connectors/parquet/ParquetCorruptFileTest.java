package io.sluice.connectors.parquet;

import static io.sluice.connectors.parquet.ParquetTestFiles.allColumns;
import static io.sluice.connectors.parquet.ParquetTestFiles.writeAllTypes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageTypeParser;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetCorruptFileTest {
    @TempDir
    Path dir;

    @Test
    void rejectsRandomBytesAsNotParquet() throws IOException {
        byte[] noise = new byte[4_096];
        new Random(42).nextBytes(noise);
        Path file = Files.write(dir.resolve("noise.parquet"), noise);

        assertOpenFails(file, ConnectorErrorCode.CORRUPT_SOURCE)
                .hasMessage("noise.parquet is not a Parquet file: it does not start with the PAR1 magic");
    }

    @Test
    void rejectsAFileTooShortToBeParquet() throws IOException {
        Path file = Files.write(dir.resolve("short.parquet"), "PAR1PAR1".getBytes(StandardCharsets.US_ASCII));

        assertOpenFails(file, ConnectorErrorCode.CORRUPT_SOURCE)
                .hasMessage("short.parquet is not a Parquet file: it has 8 bytes, fewer than the 12 of an empty"
                        + " Parquet file");
    }

    @Test
    void rejectsAFileTruncatedByAFewBytes() throws IOException {
        Path file = validFile("cut.parquet");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 3));

        assertOpenFails(file, ConnectorErrorCode.CORRUPT_SOURCE)
                .hasMessage("cut.parquet is truncated or not a Parquet file: it does not end with the PAR1 magic");
    }

    @Test
    void rejectsAFooterLengthThatClaimsTwoGigabytes() throws IOException {
        Path file = validFile("huge.parquet");
        long size = Files.size(file);
        overwrite(file, size - 8, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, Integer.MAX_VALUE));

        assertOpenFails(file, ConnectorErrorCode.CORRUPT_SOURCE)
                .hasMessage("huge.parquet is corrupt: its footer length field says 2147483647 bytes but the file"
                        + " has room for only " + (size - 12));
    }

    @Test
    void rejectsAFooterThatCannotBeDecoded() throws IOException {
        Path file = validFile("garbled.parquet");
        long size = Files.size(file);
        int footerLength = footerLength(file);
        byte[] garbage = new byte[footerLength];
        Arrays.fill(garbage, (byte) 0xFF);
        overwrite(file, size - 8 - footerLength, ByteBuffer.wrap(garbage));

        assertOpenFails(file, ConnectorErrorCode.CORRUPT_SOURCE)
                .hasMessageStartingWith("garbled.parquet is corrupt: its footer cannot be decoded (");
    }

    @Test
    void rejectsAnEncryptedFooterAsUnsupported() throws IOException {
        Path file = validFile("secret.parquet");
        overwrite(file, Files.size(file) - 4, ByteBuffer.wrap("PARE".getBytes(StandardCharsets.US_ASCII)));

        assertOpenFails(file, ConnectorErrorCode.UNSUPPORTED_TYPE)
                .hasMessage("secret.parquet: encrypted Parquet (PARE) is not supported");
    }

    @Test
    void rejectsColumnsOfUnsupportedTypesNamingEachWithItsType() throws IOException {
        Path file = dir.resolve("types.parquet");
        ParquetTestFiles.write(file, MessageTypeParser.parseMessageType("""
                message m {
                  required int32 id;
                  optional group attributes (MAP) {
                    repeated group key_value { optional binary key (STRING); optional int32 value; }
                  }
                  optional fixed_len_byte_array(12) period (INTERVAL);
                }
                """), 0, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100), (column, row) -> null);

        assertOpenFails(file, ConnectorErrorCode.UNSUPPORTED_TYPE)
                .hasMessage("types.parquet has columns of types not supported yet: attributes (optional group (MAP)),"
                        + " period (optional fixed_len_byte_array(12) (INTERVAL))");
    }

    @Test
    void reportsAPageCorruptedMidScanAndReleasesEveryBuffer() throws IOException {
        Path file = writeWithDamagedSecondRowGroup(dir.resolve("damaged.parquet"));

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(allColumns(), 100), allocator)) {
            for (int batch = 0; batch < 3; batch++) {
                assertThat(reader.loadNextBatch()).isTrue();
            }
            assertThat(allocator.getAllocatedMemory()).isPositive();

            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("damaged.parquet is corrupt: row group 1 column req_int32: a page header cannot be decoded"
                            + " (can not read class org.apache.parquet.format.PageHeader: don't know what type: 15)")
                    .message().doesNotContain(dir.toString());
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(allocator.getChildAllocators()).isEmpty();
        }
    }

    @Test
    void detectsAFlippedBitInAPageThroughItsChecksum() throws IOException {
        Path file = dir.resolve("flipped.parquet");
        writeAllTypes(file, 1_000, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 300));
        ColumnChunkMetaData chunk = ParquetFooter.read(file).metadata().getBlocks().getFirst().getColumns().stream()
                .filter(column -> column.getPath().toDotString().equals("req_int64"))
                .findFirst()
                .orElseThrow();
        long lastValueByte = chunk.getStartingPos() + chunk.getTotalSize() - 1;
        byte[] bytes = Files.readAllBytes(file);
        overwrite(file, lastValueByte, ByteBuffer.wrap(new byte[] {(byte) (bytes[(int) lastValueByte] ^ 0x01)}));

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(new ScanSpec(List.of("req_int64"), 1_000), allocator)) {
            assertThatThrownBy(reader::loadNextBatch)
                    .isInstanceOfSatisfying(ConnectorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.CORRUPT_SOURCE))
                    .hasMessage("flipped.parquet is corrupt: row group 0 column req_int64: a page fails its CRC-32 checksum");
        }
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Path file, ConnectorErrorCode code) {
        AbstractThrowableAssert<?, ? extends Throwable> failure = assertThatThrownBy(() -> ParquetBatchSource.open(file))
                .isInstanceOfSatisfying(ConnectorException.class, e -> assertThat(e.errorCode()).isEqualTo(code));
        failure.message().doesNotContain(dir.toString());
        return failure;
    }

    private Path validFile(String name) throws IOException {
        Path file = dir.resolve(name);
        writeAllTypes(file, 500, Layout.of(CompressionCodecName.SNAPPY, true, 200));
        return file;
    }

    private static int footerLength(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /**
     * 1,000 rows of every type in row groups of 300, uncompressed, whose second row group starts
     * with 32 bytes of 0xFF where its first page header should be: three batches of 100 read, the
     * fourth fails.
     */
    static Path writeWithDamagedSecondRowGroup(Path file) throws IOException {
        writeAllTypes(file, 1_000, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 300));
        long secondRowGroup = ParquetFooter.read(file).metadata().getBlocks().get(1).getColumns().getFirst()
                .getStartingPos();
        byte[] garbage = new byte[32];
        Arrays.fill(garbage, (byte) 0xFF);
        overwrite(file, secondRowGroup, ByteBuffer.wrap(garbage));
        return file;
    }

    private static void overwrite(Path file, long position, ByteBuffer bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            while (bytes.hasRemaining()) {
                channel.write(bytes, position + bytes.position());
            }
        }
    }
}
