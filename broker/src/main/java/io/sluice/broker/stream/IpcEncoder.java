package io.sluice.broker.stream;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBuffer;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The encode stage: one stream's batches as Arrow IPC stream messages, without copying a batch's
 * body. A record batch message is exactly the bytes
 * {@code MessageSerializer.serialize(channel, recordBatch, IpcOption.DEFAULT)} writes at an 8-byte
 * aligned position (every message here is a multiple of 8 bytes, so every position is):
 *
 * <pre>
 * 0xFFFFFFFF | metadata length (int32 LE, padded to 8) | flatbuffer Message | zeros to 8
 * body: for each Arrow buffer: zeros up to its layout offset, its bytes | zeros to 8
 * </pre>
 *
 * <p>The first line is a small heap buffer. Each body buffer is a Netty buffer wrapping the Arrow
 * buffer's memory (no copy); padding comes from one shared, read-only, 8-byte zero buffer.
 *
 * <p><b>Ownership.</b> {@link #recordBatch} takes the batch: it unloads it into an
 * {@link ArrowRecordBatch}, which holds its own reference to every buffer, and closes the batch at
 * once. The returned {@link WireMessage} owns that record batch: its memory stays allocated until
 * {@link WireMessage#release()}, which the sender calls when the network no longer reads it.
 *
 * <p>Stateless apart from the schema; safe to use from any thread.
 */
public final class IpcEncoder {
    /** Zeros for padding (never more than 7 bytes at a time); direct so that Netty need not copy them. */
    private static final ByteBuf ZEROS = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(8)).asReadOnly();
    /** Arrow buffers larger than this are sent as several parts (a Netty buffer holds up to 2 GiB). */
    private static final int MAX_PART = 1 << 30;

    private final Schema schema;

    public IpcEncoder(Schema schema) {
        this.schema = requireNonNull(schema, "schema is null");
    }

    /** The schema message that opens the stream. */
    public WireMessage schemaMessage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try {
            MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), schema, IpcOption.DEFAULT);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return WireMessage.heap(Unpooled.wrappedBuffer(bytes.toByteArray()));
    }

    /** The end-of-stream marker: a continuation token and a zero length. */
    public WireMessage endOfStream() {
        return WireMessage.heap(Unpooled.buffer(8, 8).writeIntLE(MessageSerializer.IPC_CONTINUATION_TOKEN).writeIntLE(0));
    }

    /**
     * One record batch message for {@code batch}, which this takes over (closed before this
     * returns, also when it fails).
     *
     * @return the message, owned by the caller, who must {@link WireMessage#release()} it
     * @throws IllegalArgumentException if the batch's schema is not the stream's
     */
    public WireMessage recordBatch(VectorSchemaRoot batch) {
        requireNonNull(batch, "batch is null");
        ArrowRecordBatch unloaded;
        try (batch) {
            if (!batch.getSchema().equals(schema)) {
                throw new IllegalArgumentException("the batch's schema " + batch.getSchema()
                        + " is not the stream's " + schema);
            }
            unloaded = new VectorUnloader(batch).getRecordBatch();
        }
        try {
            return WireMessage.of(parts(unloaded), unloaded);
        } catch (RuntimeException | Error e) {
            unloaded.close();
            throw e;
        }
    }

    private static List<ByteBuf> parts(ArrowRecordBatch batch) {
        ByteBuffer metadata = MessageSerializer.serializeMetadata(batch, IpcOption.DEFAULT);
        int metadataLength = metadata.remaining();
        // The message starts 8-aligned and the prefix is 8 bytes, so the metadata pads to a multiple of 8.
        int paddedLength = roundUpTo8(metadataLength);
        ByteBuf head = Unpooled.buffer(8 + paddedLength, 8 + paddedLength)
                .writeIntLE(MessageSerializer.IPC_CONTINUATION_TOKEN)
                .writeIntLE(paddedLength)
                .writeBytes(metadata)
                .writeZero(paddedLength - metadataLength);

        List<ArrowBuf> buffers = batch.getBuffers();
        List<ArrowBuffer> layout = batch.getBuffersLayout();
        List<ByteBuf> parts = new ArrayList<>(1 + 2 * buffers.size());
        parts.add(head);
        long position = 0;
        for (int i = 0; i < buffers.size(); i++) {
            ArrowBuf buffer = buffers.get(i);
            long offset = layout.get(i).getOffset();
            if (offset < position) {
                throw new IllegalStateException("Arrow buffer " + i + " starts at " + offset + ", before " + position);
            }
            addZeros(parts, offset - position);
            long size = buffer.readableBytes();
            for (long done = 0; done < size; ) {
                int length = (int) Math.min(size - done, MAX_PART);
                parts.add(Unpooled.wrappedBuffer(buffer.nioBuffer(buffer.readerIndex() + done, length)));
                done += length;
            }
            position = offset + size;
        }
        long bodyLength = roundUpTo8(position);
        addZeros(parts, bodyLength - position);
        if (bodyLength != batch.computeBodyLength()) {
            throw new IllegalStateException("the body is " + bodyLength + " bytes, but the metadata says "
                    + batch.computeBodyLength());
        }
        return parts;
    }

    private static void addZeros(List<ByteBuf> parts, long count) {
        for (long left = count; left > 0; ) {
            int length = (int) Math.min(left, ZEROS.capacity());
            parts.add(ZEROS.slice(0, length));
            left -= length;
        }
    }

    private static int roundUpTo8(int value) {
        return (value + 7) & ~7;
    }

    private static long roundUpTo8(long value) {
        return (value + 7) & ~7L;
    }
}
