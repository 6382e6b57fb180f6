package io.sluice.connectors.parquet;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.SourceFiles;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;

import static java.util.Objects.requireNonNull;

/**
 * The footer of one Parquet file, read and checked without trusting any length in the file.
 *
 * <p>A Parquet file is {@code PAR1 <column chunks> <footer> <footer length: int32 LE> PAR1}. The
 * footer length is bounded by the file size before anything is allocated, and every column
 * chunk the footer names must lie between the leading magic and the footer, so neither a
 * truncated nor a malicious file can make a scan allocate more than the file holds.
 *
 * @param fileName the file's name without its directory (safe to show callers)
 * @param fileSize the file size in bytes when the footer was read
 * @param lastModified the modification time when the footer was read
 * @param metadata the parsed footer
 * @param fingerprint {@link #fingerprint(String, long, byte[])} of the file
 */
record ParquetFooter(String fileName, long fileSize, FileTime lastModified, ParquetMetadata metadata,
        String fingerprint) {

    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ENCRYPTED_MAGIC = "PARE".getBytes(StandardCharsets.US_ASCII);
    /** Leading magic, footer length, trailing magic. */
    private static final int MIN_FILE_SIZE = 4 + 4 + 4;
    /** Beyond this a footer is not worth reading into memory (real ones are kilobytes to a few MB). */
    private static final int MAX_FOOTER_BYTES = 256 * 1024 * 1024;

    ParquetFooter {
        requireNonNull(fileName, "fileName is null");
        requireNonNull(lastModified, "lastModified is null");
        requireNonNull(metadata, "metadata is null");
        requireNonNull(fingerprint, "fingerprint is null");
        if (fileSize < MIN_FILE_SIZE) {
            throw new IllegalArgumentException("fileSize must be >= " + MIN_FILE_SIZE + ", was " + fileSize);
        }
    }

    /** The name callers see for {@code file}: its last path element, never the absolute path. */
    static String fileName(Path file) {
        Path name = file.getFileName();
        return name == null ? file.toString() : name.toString();
    }

    /**
     * Reads and checks the footer of {@code file}.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#SOURCE_NOT_FOUND} when the file is missing
     *     or unreadable, {@link ConnectorErrorCode#CORRUPT_SOURCE} when it is not a well-formed
     *     Parquet file, {@link ConnectorErrorCode#UNSUPPORTED_TYPE} for encrypted footers,
     *     {@link ConnectorErrorCode#SOURCE_READ_FAILED} on other I/O errors
     */
    static ParquetFooter read(Path file) {
        requireNonNull(file, "file is null");
        return read(file, fileName(file), null, null);
    }

    /**
     * Reads and checks the footer of {@code file}, one file of a directory source.
     *
     * @param name how messages name the file (its path relative to the source's parent directory)
     * @param datasetDigest when not null, updated with {@code relativePath} (UTF-8), one zero byte,
     *     the file size as a big-endian int64, the footer length as a big-endian int32 and the
     *     footer bytes: the directory fingerprint's share of this file
     * @param relativePath the file's path inside the directory source, {@code /}-separated
     */
    static ParquetFooter read(Path file, String name, MessageDigest datasetDigest, String relativePath) {
        requireNonNull(file, "file is null");
        requireNonNull(name, "name is null");
        try (FileChannel channel = SourceFiles.openRegular(file, name)) {
            FileTime lastModified = Files.getLastModifiedTime(file);
            long size = channel.size();
            if (size < MIN_FILE_SIZE) {
                throw corrupt(name, "is not a Parquet file: it has " + size + " bytes, fewer than the "
                        + MIN_FILE_SIZE + " of an empty Parquet file");
            }
            byte[] head = readFully(channel, 0, 4);
            ByteBuffer tail = ByteBuffer.wrap(readFully(channel, size - 8, 8)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] tailMagic = Arrays.copyOfRange(tail.array(), 4, 8);
            // A file with an encrypted footer starts and ends with PARE: say so rather than "not Parquet".
            if (Arrays.equals(head, ENCRYPTED_MAGIC) || Arrays.equals(tailMagic, ENCRYPTED_MAGIC)) {
                throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE,
                        name + ": encrypted Parquet (PARE) is not supported");
            }
            if (!Arrays.equals(head, MAGIC)) {
                throw corrupt(name, "is not a Parquet file: it does not start with the PAR1 magic");
            }
            if (!Arrays.equals(tailMagic, MAGIC)) {
                throw corrupt(name, "is truncated or not a Parquet file: it does not end with the PAR1 magic");
            }
            long footerLength = Integer.toUnsignedLong(tail.getInt(0));
            long room = size - MIN_FILE_SIZE;
            if (footerLength > room) {
                throw corrupt(name, "is corrupt: its footer length field says " + footerLength
                        + " bytes but the file has room for only " + room);
            }
            if (footerLength > MAX_FOOTER_BYTES) {
                throw corrupt(name, "is corrupt: its footer length field says " + footerLength
                        + " bytes, more than the " + MAX_FOOTER_BYTES + " this reader accepts");
            }
            long footerStart = size - 8 - footerLength;
            byte[] footerBytes = readFully(channel, footerStart, (int) footerLength);
            ParquetMetadata metadata = parse(name, footerBytes);
            // Before the layout checks: an encrypted chunk's offsets cannot even be read.
            ParquetFeatures.refuseUnsupported(name, metadata);
            checkChunksInside(name, metadata, footerStart);
            if (datasetDigest != null) {
                datasetDigest.update(relativePath.getBytes(StandardCharsets.UTF_8));
                datasetDigest.update((byte) 0);
                datasetDigest.update(ByteBuffer.allocate(Long.BYTES + Integer.BYTES).putLong(0, size)
                        .putInt(Long.BYTES, footerBytes.length));
                datasetDigest.update(footerBytes);
            }
            return new ParquetFooter(name, size, lastModified, metadata, fingerprint(name, size, footerBytes));
        } catch (NoSuchFileException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND, name + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_NOT_FOUND, name + " is not readable", e);
        } catch (EOFException e) {
            throw corrupt(name, "is truncated: it ended while its footer was read");
        } catch (IOException e) {
            throw new ConnectorException(ConnectorErrorCode.SOURCE_READ_FAILED,
                    name + " cannot be read: " + SourceFiles.reason(e), e);
        }
    }

    /**
     * The version fingerprint: lower-case hex SHA-256 of the UTF-8 file name, one zero byte, the
     * file size as a big-endian int64, and the serialized footer bytes.
     */
    static String fingerprint(String fileName, long fileSize, byte[] footerBytes) {
        MessageDigest sha256 = sha256();
        sha256.update(fileName.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        sha256.update(ByteBuffer.allocate(Long.BYTES).putLong(0, fileSize));
        sha256.update(footerBytes);
        return HexFormat.of().formatHex(sha256.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Total rows over all row groups. */
    long rowCount() {
        long rows = 0;
        for (BlockMetaData block : metadata.getBlocks()) {
            rows += block.getRowCount();
        }
        return rows;
    }

    /**
     * Decodes the footer's Thrift once and converts it to parquet-java's metadata. The schema's
     * depth is checked between the two steps: decoding reads the schema as a flat list, and only
     * the conversion builds its tree, recursively. (Decoding the footer twice, once with its row
     * groups skipped, cost as much as decoding it whole: Thrift walks what it skips.)
     */
    private static ParquetMetadata parse(String name, byte[] footerBytes) {
        FileMetaData fileMetaData;
        try {
            fileMetaData = Util.readFileMetaData(new ByteArrayInputStream(footerBytes));
        } catch (IOException | RuntimeException e) {
            throw cannotDecode(name, e);
        }
        ParquetFeatures.refuseDeepNesting(name, fileMetaData.getSchema());
        try {
            return new ParquetMetadataConverter().fromParquetMetadata(fileMetaData);
        } catch (IOException | RuntimeException e) {
            // Thrift and the converter throw both checked and unchecked exceptions on garbage.
            throw cannotDecode(name, e);
        }
    }

    private static ConnectorException cannotDecode(String name, Exception e) {
        return new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE,
                name + " is corrupt: its footer cannot be decoded (" + e.getMessage() + ")", e);
    }

    private static void checkChunksInside(String name, ParquetMetadata metadata, long footerStart) {
        List<BlockMetaData> blocks = metadata.getBlocks();
        for (int b = 0; b < blocks.size(); b++) {
            BlockMetaData block = blocks.get(b);
            if (block.getRowCount() < 0) {
                throw corrupt(name, "is corrupt: row group " + b + " claims " + block.getRowCount() + " rows");
            }
            if (block.getRowCount() == 0) {
                // Never read; pyarrow writes such chunks with no pages and all offsets 0.
                continue;
            }
            for (ColumnChunkMetaData chunk : block.getColumns()) {
                long start = chunkStart(chunk);
                long length = chunk.getTotalSize();
                if (start < MAGIC.length || length < 0 || start > footerStart - length) {
                    throw corrupt(name, "is corrupt: row group " + b + " column " + chunk.getPath().toDotString()
                            + " claims bytes " + start + ".." + (start + length) + " but data ends at byte "
                            + footerStart);
                }
            }
        }
    }

    /**
     * The first byte of a column chunk: its dictionary page when it has one, else its first data
     * page. A chunk that holds only a dictionary page (a table without rows, as pyarrow writes it)
     * has a data page offset of 0, which parquet-java's {@code getStartingPos()} would return, so
     * the smallest offset that can be a page (past the leading magic) counts.
     */
    static long chunkStart(ColumnChunkMetaData chunk) {
        long dictionary = chunk.getDictionaryPageOffset();
        long data = chunk.getFirstDataPageOffset();
        boolean hasDictionary = dictionary >= MAGIC.length;
        boolean hasData = data >= MAGIC.length;
        if (hasDictionary && (!hasData || dictionary < data)) {
            return dictionary;
        }
        return data;
    }

    private static byte[] readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException();
            }
        }
        return buffer.array();
    }

    private static ConnectorException corrupt(String name, String problem) {
        return new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, name + " " + problem);
    }
}
