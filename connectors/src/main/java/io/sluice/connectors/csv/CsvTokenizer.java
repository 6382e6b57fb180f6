package io.sluice.connectors.csv;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Splits CSV bytes into records and fields (RFC 4180): fields separated by the delimiter, records
 * by {@code \n}, {@code \r\n} or {@code \r}; a field that starts with the quote runs to the next
 * lone quote, may hold delimiters and line breaks, and writes a quote as two. Blank lines are
 * skipped; a UTF-8 byte order mark at the start of the file is skipped.
 *
 * <p>Fields are not copied: {@link #next} records where each field starts and ends in
 * {@link #buffer()}. Those positions stay valid until {@link #refill()}, which the caller invokes
 * when {@link #next} answers {@link Result#NEED_MORE} (after it has used the fields it holds).
 * The buffer grows only for a record longer than itself, up to {@code maxRecordBytes}.
 *
 * <p>Lenient where RFC 4180 is silent: a quote inside an unquoted field is an ordinary character.
 * Text after a closing quote marks the record malformed ({@link #malformed()}) but is kept in the
 * field. Not thread-safe.
 */
final class CsvTokenizer implements AutoCloseable {
    /** Field flag: the field was quoted. */
    static final byte QUOTED = 1;
    /** Field flag: the quoted field holds doubled quotes that must be collapsed. */
    static final byte ESCAPED = 2;
    /** Bytes kept readable after the data, so that values may be copied a long at a time. */
    static final int PADDING = 64;
    private static final int FIRST_BUFFER = 1 << 20;

    enum Result { RECORD, END, NEED_MORE }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long NEWLINES = ONES * '\n';
    private static final long RETURNS = ONES * '\r';

    /**
     * A word with the high bit set in the lowest byte of {@code word} equal to the byte repeated in
     * {@code pattern} (higher bytes may be false positives; only the lowest is used).
     */
    private static long matches(long word, long pattern) {
        long x = word ^ pattern;
        return (x - ONES) & ~x & HIGHS;
    }

    private final FileChannel channel;
    private final String fileName;
    private final byte delimiter;
    private final byte quote;
    private final int maxRecordBytes;
    private final long separatorPattern;
    private byte[] buffer;
    private int position;
    private int limit;
    /** The file offset of {@code buffer[0]}. */
    private long bufferStart;
    private long recordOffset;
    private boolean endOfFile;
    private boolean started;
    private long line = 1;

    private int fieldCount;
    private long recordLine;
    private boolean malformed;

    CsvTokenizer(FileChannel channel, String fileName, byte delimiter, byte quote, int maxRecordBytes) {
        this.channel = channel;
        this.fileName = fileName;
        this.delimiter = delimiter;
        this.quote = quote;
        this.maxRecordBytes = maxRecordBytes;
        this.separatorPattern = ONES * (delimiter & 0xFF);
        this.buffer = new byte[Math.min(FIRST_BUFFER, Math.max(4096, maxRecordBytes)) + PADDING];
    }

    byte[] buffer() {
        return buffer;
    }

    /** Fields in the last record (may exceed the {@code maxFields} that were stored). */
    int fieldCount() {
        return fieldCount;
    }

    /** The line the last record starts on, 1-based. */
    long recordLine() {
        return recordLine;
    }

    /** The file offset of the first byte of the last record. */
    long recordOffset() {
        return recordOffset;
    }

    /**
     * Continues at {@code offset}, which must be where a record starts, counting lines from
     * {@code line}: a scan can start at any record another scan found.
     */
    void seek(long offset, long line) throws IOException {
        channel.position(offset);
        bufferStart = offset;
        position = 0;
        limit = 0;
        endOfFile = false;
        started = true;
        this.line = line;
        read();
    }

    /** Whether the last record has text after a closing quote. */
    boolean malformed() {
        return malformed;
    }

    /**
     * Tokenizes the next record, storing the first {@code maxFields} fields at
     * {@code starts[base..]}, {@code ends[base..]} and {@code flags[base..]}.
     *
     * @return {@link Result#RECORD}, {@link Result#END} when no record is left, or
     *     {@link Result#NEED_MORE} when the buffer ends inside the record: use the fields you hold,
     *     call {@link #refill()}, and call this again
     * @throws ConnectorException {@link ConnectorErrorCode#CORRUPT_SOURCE} for a quoted field that
     *     is never closed
     */
    Result next(int[] starts, int[] ends, byte[] flags, int base, int maxFields) {
        if (!started) {
            return Result.NEED_MORE;
        }
        byte[] bytes = buffer;
        int p = position;
        int end = limit;
        long lines = line;
        // Blank lines between records.
        while (true) {
            if (p >= end) {
                position = p;
                line = lines;
                return endOfFile ? Result.END : Result.NEED_MORE;
            }
            byte c = bytes[p];
            if (c == '\n') {
                p++;
                lines++;
            } else if (c == '\r') {
                if (p + 1 >= end && !endOfFile) {
                    position = p;
                    line = lines;
                    return Result.NEED_MORE;
                }
                p++;
                if (p < end && bytes[p] == '\n') {
                    p++;
                }
                lines++;
            } else {
                break;
            }
        }
        position = p;
        line = lines;
        long startLine = lines;
        int recordStart = p;
        boolean bad = false;
        int field = 0;
        byte separator = delimiter;
        byte quoteByte = quote;
        while (true) {
            int fieldStart;
            int fieldEnd;
            byte flag = 0;
            if (p < end && bytes[p] == quoteByte) {
                flag = QUOTED;
                p++;
                fieldStart = p;
                while (true) {
                    while (p < end && bytes[p] != quoteByte) {
                        if (bytes[p] == '\n') {
                            lines++;
                        }
                        p++;
                    }
                    if (p >= end || (p + 1 >= end && !endOfFile)) {
                        if (endOfFile && p >= end) {
                            throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " line "
                                    + startLine + ": a quoted field is not closed before the end of the file");
                        }
                        return Result.NEED_MORE;
                    }
                    if (p + 1 < end && bytes[p + 1] == quoteByte) {
                        flag |= ESCAPED;
                        p += 2;
                        continue;
                    }
                    fieldEnd = p;
                    p++;
                    break;
                }
                if (p < end && bytes[p] != separator && bytes[p] != '\n' && bytes[p] != '\r') {
                    // Text after the closing quote: keep it in the field, but the record is malformed.
                    bad = true;
                    while (p < end && bytes[p] != separator && bytes[p] != '\n' && bytes[p] != '\r') {
                        p++;
                    }
                    if (p >= end && !endOfFile) {
                        return Result.NEED_MORE;
                    }
                    fieldEnd = p;
                }
            } else {
                fieldStart = p;
                // Eight bytes at a time: the lowest byte equal to the delimiter or a line break.
                while (p + 8 <= end) {
                    long word = (long) LONGS.get(bytes, p);
                    long found = matches(word, separatorPattern) | matches(word, NEWLINES) | matches(word, RETURNS);
                    if (found != 0) {
                        p += Long.numberOfTrailingZeros(found) >>> 3;
                        break;
                    }
                    p += 8;
                }
                while (p < end) {
                    byte c = bytes[p];
                    if (c == separator || c == '\n' || c == '\r') {
                        break;
                    }
                    p++;
                }
                if (p >= end && !endOfFile) {
                    return Result.NEED_MORE;
                }
                fieldEnd = p;
            }
            if (field < maxFields) {
                starts[base + field] = fieldStart;
                ends[base + field] = fieldEnd;
                flags[base + field] = flag;
            }
            field++;
            if (p >= end) {
                break; // end of file ends the last record
            }
            byte c = bytes[p];
            if (c == separator) {
                p++;
                continue;
            }
            if (c == '\r') {
                if (p + 1 >= end && !endOfFile) {
                    return Result.NEED_MORE;
                }
                p++;
                if (p < end && bytes[p] == '\n') {
                    p++;
                }
            } else {
                p++;
            }
            lines++;
            break;
        }
        position = p;
        line = lines;
        fieldCount = field;
        recordLine = startLine;
        recordOffset = bufferStart + recordStart;
        malformed = bad;
        return Result.RECORD;
    }

    /**
     * Keeps the incomplete record at the end of the buffer (moving it to the front, or growing the
     * buffer when it fills it) and reads more of the file. Invalidates every field position.
     *
     * @throws ConnectorException {@link ConnectorErrorCode#CORRUPT_SOURCE} for a record longer than
     *     {@code maxRecordBytes}
     */
    void refill() throws IOException {
        if (!started) {
            started = true;
            read();
            if (limit >= 3 && buffer[0] == (byte) 0xEF && buffer[1] == (byte) 0xBB && buffer[2] == (byte) 0xBF) {
                position = 3;
            }
            return;
        }
        int kept = limit - position;
        if (position == 0 && limit == buffer.length - PADDING) {
            if (kept >= maxRecordBytes) {
                throw new ConnectorException(ConnectorErrorCode.CORRUPT_SOURCE, fileName + " line " + line
                        + ": a record is longer than " + maxRecordBytes + " bytes (option maxRecordBytes);"
                        + " is a quote not closed?");
            }
            byte[] larger = new byte[(int) Math.min((long) buffer.length * 2, (long) maxRecordBytes + PADDING + 1)];
            System.arraycopy(buffer, 0, larger, 0, limit);
            buffer = larger;
        } else {
            System.arraycopy(buffer, position, buffer, 0, kept);
            bufferStart += position;
            position = 0;
            limit = kept;
        }
        read();
    }

    private void read() throws IOException {
        ByteBuffer target = ByteBuffer.wrap(buffer, limit, buffer.length - PADDING - limit);
        while (target.hasRemaining()) {
            int read = channel.read(target);
            if (read < 0) {
                endOfFile = true;
                break;
            }
            if (read == 0) {
                break;
            }
        }
        limit = target.position();
        java.util.Arrays.fill(buffer, limit, Math.min(buffer.length, limit + PADDING), (byte) 0);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
