package io.sluice.broker.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The encode stage: Arrow's own bytes, from Arrow's own memory, released once. */
class IpcEncoderTest {
    static final Schema MIXED = new Schema(List.of(
            new Field("i", FieldType.nullable(new ArrowType.Int(32, true)), null),
            new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null),
            new Field("b", FieldType.nullable(ArrowType.Bool.INSTANCE), null),
            new Field("d", FieldType.nullable(new ArrowType.Date(DateUnit.DAY)), null),
            new Field("f", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
            new Field("l", FieldType.nullable(ArrowType.List.INSTANCE),
                    List.of(new Field("$data$", FieldType.nullable(new ArrowType.Int(32, true)), null)))));

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 7, 8, 13, 1000, 70_001})
    void encodesExactlyTheBytesMessageSerializerWrites(int rows) throws IOException {
        try (BufferAllocator allocator = new RootAllocator()) {
            byte[] expected;
            try (VectorSchemaRoot root = mixed(allocator, rows);
                    ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), batch, IpcOption.DEFAULT);
                expected = bytes.toByteArray();
            }

            WireMessage message = new IpcEncoder(MIXED).recordBatch(mixed(allocator, rows));
            try {
                assertThat(bytes(message)).isEqualTo(expected);
                assertThat(message.length()).isEqualTo(expected.length).isEqualTo(roundUpTo8(expected.length));
            } finally {
                message.release();
            }
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void schemaAndEndOfStreamAreWhatArrowStreamWriterWrites() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(MIXED, allocator);
                ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(bytes))) {
            writer.start();
            writer.end();
        }
        IpcEncoder encoder = new IpcEncoder(MIXED);

        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        ours.writeBytes(bytes(encoder.schemaMessage()));
        ours.writeBytes(bytes(encoder.endOfStream()));

        assertThat(ours.toByteArray()).isEqualTo(bytes.toByteArray());
    }

    @Test
    void theBodyIsTheArrowBuffersMemoryNotACopy() {
        try (BufferAllocator allocator = new RootAllocator()) {
            VectorSchemaRoot root = mixed(allocator, 1000);
            List<ArrowBuf> buffers = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                collect(vector, buffers);
            }
            WireMessage message = new IpcEncoder(MIXED).recordBatch(root);
            try {
                ByteBuf head = message.parts().getFirst();
                assertThat(head.isDirect()).as("the metadata is a small heap buffer").isFalse();
                assertThat(head.readableBytes()).isLessThan(4096);
                long bodyBytes = 0;
                for (ByteBuf part : message.parts().subList(1, message.parts().size())) {
                    assertThat(part.isDirect()).as("body part %s", part).isTrue();
                    assertThat(part.hasMemoryAddress()).isTrue();
                    long address = part.memoryAddress() + part.readerIndex();
                    boolean inArrow = buffers.stream().anyMatch(b -> address >= b.memoryAddress()
                            && address + part.readableBytes() <= b.memoryAddress() + b.capacity());
                    if (inArrow) {
                        bodyBytes += part.readableBytes();
                    } else {
                        assertThat(part.readableBytes()).as("only padding lies outside the Arrow buffers")
                                .isLessThan(8);
                    }
                }
                long arrowBytes = buffers.stream().mapToLong(ArrowBuf::readableBytes).sum();
                assertThat(bodyBytes).isEqualTo(arrowBytes).isGreaterThan(10_000);
            } finally {
                message.release();
            }
        }
    }

    @Test
    void theMessageKeepsTheBatchAliveUntilReleasedOnce() {
        try (RootAllocator allocator = new RootAllocator()) {
            VectorSchemaRoot root = mixed(allocator, 1000);
            long batchBytes = allocator.getAllocatedMemory();

            WireMessage message = new IpcEncoder(MIXED).recordBatch(root);

            assertThat(allocator.getAllocatedMemory()).as("the root is closed, its buffers live on").isEqualTo(batchBytes);
            message.release();
            assertThat(allocator.getAllocatedMemory()).isZero();
            assertThat(message.released()).isTrue();
            message.release();
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void theDigestCoversExactlyTheBytesOfEachMessage() throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcEncoder encoder = new IpcEncoder(MIXED);
            List<WireMessage> messages = List.of(encoder.schemaMessage(), encoder.recordBatch(mixed(allocator, 999)),
                    encoder.recordBatch(mixed(allocator, 0)), encoder.endOfStream());
            WireDigest digest = new WireDigest();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (WireMessage message : messages) {
                digest.add(message);
                all.writeBytes(bytes(message));
                message.release();
            }

            assertThat(digest.bytes()).isEqualTo(all.size());
            assertThat(digest.sha256Hex()).isEqualTo(
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(all.toByteArray())));
            assertThatThrownBy(() -> digest.add(messages.get(1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot hash a released message");
        }
    }

    @Test
    void refusesABatchOfAnotherSchemaAndClosesIt() {
        try (BufferAllocator allocator = new RootAllocator()) {
            VectorSchemaRoot other = GeneratedBatches.batch(allocator, 0, 10, false);

            assertThatThrownBy(() -> new IpcEncoder(MIXED).recordBatch(other))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the batch's schema Schema<id: Int(64, true), keep: Bool, name: Utf8>"
                            + " is not the stream's Schema<i: Int(32, true)");
            assertThat(allocator.getAllocatedMemory()).isZero();
        }
    }

    /** Every readable byte of every part, in order. */
    static byte[] bytes(WireMessage message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf part : message.parts()) {
            byte[] bytes = new byte[part.readableBytes()];
            part.getBytes(part.readerIndex(), bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    private static void collect(FieldVector vector, List<ArrowBuf> into) {
        into.addAll(vector.getFieldBuffers());
        for (FieldVector child : vector.getChildrenFromFields()) {
            collect(child, into);
        }
    }

    private static long roundUpTo8(long value) {
        return (value + 7) & ~7L;
    }

    /** {@code rows} rows of every type in {@link #MIXED}, with nulls and uneven string lengths. */
    static VectorSchemaRoot mixed(BufferAllocator allocator, int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(MIXED, allocator);
        root.allocateNew();
        IntVector i = (IntVector) root.getVector("i");
        VarCharVector s = (VarCharVector) root.getVector("s");
        BitVector b = (BitVector) root.getVector("b");
        DateDayVector d = (DateDayVector) root.getVector("d");
        Float8Vector f = (Float8Vector) root.getVector("f");
        ListVector l = (ListVector) root.getVector("l");
        UnionListWriter lists = l.getWriter();
        Function<Integer, byte[]> text = row -> "x".repeat(row % 11).getBytes(StandardCharsets.UTF_8);
        for (int row = 0; row < rows; row++) {
            if (row % 5 == 0) {
                i.setNull(row);
            } else {
                i.setSafe(row, row * 31);
            }
            if (row % 3 == 0) {
                s.setNull(row);
            } else {
                s.setSafe(row, text.apply(row));
            }
            b.setSafe(row, row % 2);
            d.setSafe(row, 19_000 + row);
            f.setSafe(row, row / 3.0);
            lists.setPosition(row);
            if (row % 4 != 0) {
                lists.startList();
                for (int k = 0; k < row % 3; k++) {
                    lists.writeInt(row + k);
                }
                lists.endList();
            }
        }
        root.setRowCount(rows);
        return root;
    }
}
