package io.sluice.connectors.parquet;

import com.github.luben.zstd.Zstd;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import org.apache.arrow.memory.AllocationReservation;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.DictionaryPageHeader;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.brotli.dec.BrotliInputStream;
import org.xerial.snappy.Snappy;

/**
 * The pages of one column chunk, read one at a time straight from the file and decompressed into
 * a buffer taken from the scan's allocator, so that every byte a page needs is counted against the
 * scan's memory bound.
 *
 * <p>Codecs: {@link #SUPPORTED_CODECS}, each decompressed by a maintained library (snappy-java,
 * zstd-jni, aircompressor for LZ4_RAW and Hadoop-framed LZO ({@link LzoPages}), lz4-java for
 * Hadoop-framed LZ4 ({@link Lz4Pages}), Google's Brotli decoder, the JDK for GZIP).
 *
 * <p>Nothing in the file is trusted: a page header may not claim more bytes than the chunk has
 * left, an uncompressed size beyond {@link #MAX_PAGE_BYTES} is refused before anything is
 * allocated, the decompressed size must be exactly the claimed one, and a page CRC, when the
 * writer stored one, is checked.
 *
 * <p>Ownership: the two page buffers belong to the {@link Buffers} the caller passes in (one per
 * leaf column and scan, reused across row groups); a returned {@link Page} is valid until the next
 * {@link #next()}. Not thread-safe.
 */
final class ColumnChunkPages {

    /** The largest uncompressed page this reader accepts: real pages are kilobytes to a few MB. */
    static final int MAX_PAGE_BYTES = 256 * 1024 * 1024;
    /** Zero bytes after every page, so that decoders may read a whole long at the last byte. */
    static final int PADDING = 16;
    private static final int FIRST_HEADER_WINDOW = 8 * 1024;
    private static final int MAX_HEADER_BYTES = 16 * 1024 * 1024;
    private static final int SCRATCH_BYTES = 64 * 1024;
    /** Every codec the Parquet format defines. */
    static final Set<CompressionCodecName> SUPPORTED_CODECS = Collections.unmodifiableSet(EnumSet.of(
            CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY, CompressionCodecName.GZIP,
            CompressionCodecName.LZO, CompressionCodecName.BROTLI, CompressionCodecName.ZSTD,
            CompressionCodecName.LZ4, CompressionCodecName.LZ4_RAW));

    /**
     * The reusable native buffers of one leaf column's scan, and the reservation that counts its
     * level arrays (on the heap) against the scan's allocator; closed by the reader.
     */
    static final class Buffers implements AutoCloseable {
        private final BufferAllocator allocator;
        private ArrowBuf compressed;
        private ArrowBuf page;
        private byte[] header = new byte[FIRST_HEADER_WINDOW];
        private AllocationReservation levels;
        private long levelBytes;
        private byte[] scratch;

        Buffers(BufferAllocator allocator) {
            this.allocator = allocator;
        }

        ArrowBuf compressed(long bytes) {
            compressed = ensure(compressed, bytes);
            return compressed;
        }

        ArrowBuf page(long bytes) {
            page = ensure(page, bytes + PADDING);
            return page;
        }

        /**
         * Counts {@code bytes} of level arrays against the scan's allocator (the most this leaf
         * has held; arrays only grow).
         *
         * @return false when the allocator's limit leaves no room for them
         */
        boolean holdLevels(long bytes) {
            if (bytes <= levelBytes) {
                return true;
            }
            if (levels == null) {
                levels = allocator.newReservation();
            }
            if (!levels.add(bytes - levelBytes)) {
                return false;
            }
            levelBytes = bytes;
            return true;
        }

        /** A small array through which stream codecs (GZIP, BROTLI) pass their output. */
        byte[] scratch() {
            if (scratch == null) {
                scratch = new byte[SCRATCH_BYTES];
            }
            return scratch;
        }

        /** The scan's memory bound. */
        long limit() {
            return allocator.getLimit();
        }

        private ArrowBuf ensure(ArrowBuf buffer, long bytes) {
            if (buffer != null && buffer.capacity() >= bytes) {
                return buffer;
            }
            long size = Math.max(bytes, buffer == null ? 64 * 1024 : Math.min(buffer.capacity() * 2, MAX_PAGE_BYTES + PADDING));
            if (buffer != null) {
                buffer.close();
            }
            return allocator.buffer(size);
        }

        @Override
        public void close() {
            if (compressed != null) {
                compressed.close();
                compressed = null;
            }
            if (page != null) {
                page.close();
                page = null;
            }
            if (levels != null) {
                levels.close();
                levels = null;
                levelBytes = 0;
            }
        }
    }

    /** What kind of page {@link #next()} returned. */
    enum PageType { DICTIONARY, DATA_V1, DATA_V2 }

    /** One decompressed page; reused, valid until the next {@link #next()}. */
    static final class Page {
        PageType type;
        /** Level entries (data pages) or dictionary entries (dictionary pages). */
        int valueCount;
        /** The values' encoding. */
        org.apache.parquet.format.Encoding encoding;
        /** V1 only: how the levels are encoded. */
        org.apache.parquet.format.Encoding definitionLevelEncoding;
        org.apache.parquet.format.Encoding repetitionLevelEncoding;
        /** V2 only: byte lengths of the repetition and definition levels at the start of the page. */
        int repetitionLevelsLength;
        int definitionLevelsLength;
        /** The decompressed page: bytes [0, length) followed by {@link #PADDING} zero bytes. */
        MemorySegment data;
        ByteBuffer buffer;
        int length;
    }

    private final FileChannel channel;
    private final String fileName;
    private final int rowGroup;
    private final String column;
    private final CompressionCodecName codec;
    private final Buffers buffers;
    private final long end;
    private final Page page = new Page();
    private final CRC32 crc = new CRC32();
    private long position;

    /**
     * @param start first byte of the chunk (its dictionary page, if any, else its first data page)
     * @param length bytes of the chunk, already checked to lie inside the file
     */
    ColumnChunkPages(FileChannel channel, String fileName, int rowGroup, String column, CompressionCodecName codec,
            long start, long length, Buffers buffers) {
        this.channel = channel;
        this.fileName = fileName;
        this.rowGroup = rowGroup;
        this.column = column;
        this.codec = codec;
        this.buffers = buffers;
        this.position = start;
        this.end = start + length;
        if (!SUPPORTED_CODECS.contains(codec)) {
            // Registration refuses such files (ParquetFeatures); this guards readers made otherwise.
            throw new ConnectorException(ConnectorErrorCode.UNSUPPORTED_TYPE, fileName + " row group "
                    + rowGroup + " column " + column + " is compressed with " + codec
                    + ", which is not supported (supported: " + SUPPORTED_CODECS + ")");
        }
    }

    /**
     * The next dictionary or data page, or null at the end of the chunk. Index pages are skipped.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#CORRUPT_SOURCE} for a page that is cut
     *     off, oversized, undecodable or fails its checksum
     */
    Page next() throws IOException {
        while (position < end) {
            long headerStart = position;
            HeaderRead read = readHeader(headerStart);
            PageHeader header = read.header();
            long bodyStart = headerStart + read.length();
            int compressedSize = header.getCompressed_page_size();
            int uncompressedSize = header.getUncompressed_page_size();
            if (compressedSize < 0 || compressedSize > end - bodyStart) {
                throw corrupt("a page claims " + compressedSize + " bytes but the column chunk has "
                        + (end - bodyStart) + " left");
            }
            if (uncompressedSize < 0 || uncompressedSize > MAX_PAGE_BYTES) {
                throw corrupt("a page claims " + uncompressedSize + " bytes uncompressed, more than the "
                        + MAX_PAGE_BYTES + " this reader accepts");
            }
            position = bodyStart + compressedSize;
            switch (header.getType()) {
                case DICTIONARY_PAGE -> {
                    DictionaryPageHeader dictionary = header.getDictionary_page_header();
                    if (dictionary == null) {
                        throw corrupt("a dictionary page has no dictionary header");
                    }
                    load(header, bodyStart, compressedSize, uncompressedSize, 0);
                    page.type = PageType.DICTIONARY;
                    page.valueCount = checkCount(dictionary.getNum_values());
                    page.encoding = dictionary.getEncoding();
                    return page;
                }
                case DATA_PAGE -> {
                    DataPageHeader data = header.getData_page_header();
                    if (data == null) {
                        throw corrupt("a data page has no data page header");
                    }
                    load(header, bodyStart, compressedSize, uncompressedSize, 0);
                    page.type = PageType.DATA_V1;
                    page.valueCount = checkCount(data.getNum_values());
                    page.encoding = data.getEncoding();
                    page.definitionLevelEncoding = data.getDefinition_level_encoding();
                    page.repetitionLevelEncoding = data.getRepetition_level_encoding();
                    return page;
                }
                case DATA_PAGE_V2 -> {
                    DataPageHeaderV2 data = header.getData_page_header_v2();
                    if (data == null) {
                        throw corrupt("a data page has no data page header");
                    }
                    int repetitionLength = data.getRepetition_levels_byte_length();
                    int definitionLength = data.getDefinition_levels_byte_length();
                    if (repetitionLength < 0 || definitionLength < 0
                            || (long) repetitionLength + definitionLength > Math.min(compressedSize, uncompressedSize)) {
                        throw corrupt("a data page claims " + repetitionLength + " + " + definitionLength
                                + " bytes of levels in a page of " + compressedSize);
                    }
                    int levels = repetitionLength + definitionLength;
                    load(header, bodyStart, compressedSize, uncompressedSize, data.isSetIs_compressed()
                            && !data.isIs_compressed() ? -1 : levels);
                    page.type = PageType.DATA_V2;
                    page.valueCount = checkCount(data.getNum_values());
                    page.encoding = data.getEncoding();
                    page.repetitionLevelsLength = repetitionLength;
                    page.definitionLevelsLength = definitionLength;
                    return page;
                }
                default -> {
                    // INDEX_PAGE and unknown future page types carry nothing a scan needs.
                }
            }
        }
        return null;
    }

    private int checkCount(int count) {
        if (count < 0) {
            throw corrupt("a page claims " + count + " values");
        }
        return count;
    }

    private record HeaderRead(PageHeader header, int length) {}

    private HeaderRead readHeader(long start) throws IOException {
        int window = (int) Math.min(buffers.header.length, end - start);
        while (true) {
            byte[] bytes = buffers.header;
            readFully(ByteBuffer.wrap(bytes, 0, window), start);
            CountingInput input = new CountingInput(bytes, window);
            try {
                PageHeader header = Util.readPageHeader(input);
                if (header.getType() == null) {
                    throw corrupt("a page header has no page type");
                }
                return new HeaderRead(header, input.consumed());
            } catch (IOException | RuntimeException e) {
                boolean cutOff = input.hitEnd();
                if (!cutOff || window == end - start) {
                    throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, prefix()
                            + "a page header cannot be decoded (" + e.getMessage() + ")", e);
                }
                if (bytes.length >= MAX_HEADER_BYTES) {
                    throw corrupt("a page header is longer than " + MAX_HEADER_BYTES + " bytes");
                }
                buffers.header = new byte[Math.min(bytes.length * 4, MAX_HEADER_BYTES)];
                window = (int) Math.min(buffers.header.length, end - start);
            }
        }
    }

    /**
     * Reads the page body at {@code start} and leaves it decompressed in the page buffer.
     *
     * @param uncompressedPrefix bytes at the start of the body stored uncompressed (V2 levels), or
     *     -1 when the whole body is stored uncompressed
     */
    private void load(PageHeader header, long start, int compressedSize, int uncompressedSize, int uncompressedPrefix)
            throws IOException {
        ArrowBuf target = buffers.page(uncompressedSize);
        boolean stored = codec == CompressionCodecName.UNCOMPRESSED || uncompressedPrefix < 0;
        if (stored) {
            if (compressedSize != uncompressedSize) {
                throw corrupt("an uncompressed page claims " + compressedSize + " bytes stored but "
                        + uncompressedSize + " bytes of content");
            }
            ByteBuffer body = target.nioBuffer(0, compressedSize);
            readFully(body, start);
            checkCrc(header, target.nioBuffer(0, compressedSize));
        } else if (compressedSize == uncompressedPrefix) {
            // Nothing compressed after the levels: an empty or all-null V2 page, which some writers
            // (parquet-mr in Spark 3.5) store as zero bytes rather than as a compressed empty input.
            if (uncompressedSize != uncompressedPrefix) {
                throw corrupt("a page stores no compressed values but claims " + (uncompressedSize - uncompressedPrefix)
                        + " bytes of them");
            }
            readFully(target.nioBuffer(0, compressedSize), start);
            checkCrc(header, target.nioBuffer(0, compressedSize));
        } else {
            ArrowBuf source = buffers.compressed(Math.max(1, compressedSize));
            readFully(source.nioBuffer(0, compressedSize), start);
            checkCrc(header, source.nioBuffer(0, compressedSize));
            if (uncompressedPrefix > 0) {
                target.setBytes(0, source, 0, uncompressedPrefix);
            }
            decompress(source.nioBuffer(uncompressedPrefix, compressedSize - uncompressedPrefix),
                    target.nioBuffer(uncompressedPrefix, uncompressedSize - uncompressedPrefix),
                    uncompressedSize - uncompressedPrefix);
        }
        target.setZero(uncompressedSize, PADDING);
        page.length = uncompressedSize;
        page.buffer = target.nioBuffer(0, uncompressedSize);
        page.data = MemorySegment.ofAddress(target.memoryAddress()).reinterpret(uncompressedSize + PADDING);
    }

    private void checkCrc(PageHeader header, ByteBuffer stored) {
        if (!header.isSetCrc()) {
            return;
        }
        crc.reset();
        crc.update(stored);
        if ((int) crc.getValue() != header.getCrc()) {
            throw corrupt("a page fails its CRC-32 checksum");
        }
    }

    private void decompress(ByteBuffer source, ByteBuffer target, int expected) throws IOException {
        int produced;
        try {
            produced = switch (codec) {
                case SNAPPY -> {
                    int claimed = Snappy.uncompressedLength(source);
                    if (claimed != expected) {
                        throw corrupt("a SNAPPY page holds " + claimed + " bytes but its header claims " + expected);
                    }
                    yield Snappy.uncompress(source, target);
                }
                case ZSTD -> {
                    long result = Zstd.decompressDirectByteBuffer(target, target.position(), expected, source,
                            source.position(), source.remaining());
                    if (Zstd.isError(result)) {
                        throw corrupt("a ZSTD page cannot be decompressed (" + Zstd.getErrorName(result) + ")");
                    }
                    yield (int) result;
                }
                case LZ4_RAW -> {
                    int before = target.position();
                    new Lz4Decompressor().decompress(source, target);
                    yield target.position() - before;
                }
                case LZ4 -> Lz4Pages.decompress(source, target);
                case LZO -> {
                    int written = LzoPages.decompress(source, target);
                    if (written < 0) {
                        throw corrupt("a LZO page is not a well-formed sequence of Hadoop-framed LZO blocks");
                    }
                    yield written;
                }
                case GZIP -> inflate(new GZIPInputStream(ByteBufferInputStream.wrap(source)), target, expected);
                case BROTLI -> inflate(new BrotliInputStream(ByteBufferInputStream.wrap(source)), target, expected);
                default -> throw new IllegalStateException("codec " + codec + " was checked in the constructor");
            };
        } catch (ConnectorException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, prefix() + "a " + codec
                    + " page cannot be decompressed (" + e.getMessage() + ")", e);
        }
        if (produced != expected) {
            throw corrupt("a " + codec + " page decompresses to " + produced + " bytes but its header claims "
                    + expected);
        }
    }

    /**
     * Streams a stream codec's output into {@code target} through the small scratch array of
     * {@link Buffers}, reading at most one byte more than claimed: the compressed page is read in
     * place and neither it nor the decompressed page is ever copied whole onto the heap.
     */
    private int inflate(InputStream stream, ByteBuffer target, int expected) throws IOException {
        byte[] scratch = buffers.scratch();
        int produced = 0;
        try (InputStream input = stream) {
            while (true) {
                int read = input.read(scratch, 0, (int) Math.min(scratch.length, expected - produced + 1L));
                if (read < 0) {
                    return produced;
                }
                if (read > expected - produced) {
                    return expected + 1; // more than claimed: reported by the caller
                }
                target.put(scratch, 0, read);
                produced += read;
            }
        }
    }

    private void readFully(ByteBuffer buffer, long at) throws IOException {
        long offset = at;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, offset);
            if (read < 0) {
                throw new EOFException(fileName + " ended at byte " + offset + " inside row group " + rowGroup);
            }
            offset += read;
        }
    }

    private String prefix() {
        return fileName + " is corrupt: row group " + rowGroup + " column " + column + ": ";
    }

    private ConnectorException corrupt(String problem) {
        return new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, prefix() + problem);
    }

    /** Input over the first {@code limit} bytes of an array that remembers whether it ran out. */
    private static final class CountingInput extends InputStream {
        private final byte[] bytes;
        private final int limit;
        private int position;
        private boolean hitEnd;

        CountingInput(byte[] bytes, int limit) {
            this.bytes = bytes;
            this.limit = limit;
        }

        @Override
        public int read() {
            if (position >= limit) {
                hitEnd = true;
                return -1;
            }
            return bytes[position++] & 0xFF;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= limit) {
                hitEnd = true;
                return -1;
            }
            int count = Math.min(length, limit - position);
            System.arraycopy(bytes, position, target, offset, count);
            position += count;
            if (count < length) {
                hitEnd = true;
            }
            return count;
        }

        int consumed() {
            return position;
        }

        boolean hitEnd() {
            return hitEnd;
        }
    }
}
