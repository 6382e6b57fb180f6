package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class MeteredChannelTest {

    private static final byte[] EOS = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0};

    @Test
    void countsAndDigestsEveryByteWhetherReadIntoTheArenaOrTheHeap() throws Exception {
        byte[] bytes = new byte[300_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        System.arraycopy(EOS, 0, bytes, bytes.length - EOS.length, EOS.length);
        try (PinnedArena arena = PinnedArena.create(1 << 20, 1, 1, null);
                RootAllocator root = arena.newRootAllocator(1 << 20);
                ArrowBuf pinned = root.buffer(200_000)) {
            MeteredChannel channel = new MeteredChannel(Channels.newChannel(new ByteArrayInputStream(bytes)), arena, "t");
            ByteBuffer heap = ByteBuffer.allocate(1000);
            while (heap.hasRemaining()) {
                channel.read(heap);
            }
            ByteBuffer body = pinned.nioBuffer(0, 200_000);
            while (body.hasRemaining()) {
                channel.read(body);
            }
            assertThat(channel.bytesRead()).isEqualTo(201_000);
            channel.awaitDigested(201_000);
            assertThat(channel.drain()).isEqualTo(99_000);

            assertThat(channel.endsWithEndOfStreamMarker()).isTrue();
            assertThat(channel.endOfInput()).isTrue();
            assertThat(channel.bytesRead()).isEqualTo(bytes.length);
            assertThat(channel.sha256Hex())
                    .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            channel.close();
        }
    }

    @Test
    void recognisesTheMarkerOnlyAtTheEnd() throws IOException {
        byte[] bytes = new byte[16];
        System.arraycopy(EOS, 0, bytes, 0, EOS.length);
        try (MeteredChannel channel = new MeteredChannel(Channels.newChannel(new ByteArrayInputStream(bytes)), null, "t")) {
            channel.read(ByteBuffer.allocate(8));
            assertThat(channel.endsWithEndOfStreamMarker()).isTrue();
            channel.read(ByteBuffer.allocate(1));
            assertThat(channel.endsWithEndOfStreamMarker()).isFalse();
        }
    }

    @Test
    void remembersAFailureOfTheUnderlyingChannel() throws IOException {
        ReadableByteChannel broken = new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                throw new IOException("connection reset");
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        try (MeteredChannel channel = new MeteredChannel(broken, null, "t")) {
            assertThatThrownBy(() -> channel.read(ByteBuffer.allocate(4))).hasMessage("connection reset");
            assertThat(channel.failure()).get().extracting(Throwable::getMessage).isEqualTo("connection reset");
            assertThat(channel.endOfInput()).isFalse();
        }
    }

    @Test
    void refusesTheDigestOnceStopped() throws IOException {
        MeteredChannel channel = new MeteredChannel(Channels.newChannel(new ByteArrayInputStream(new byte[10])), null, "t");
        channel.read(ByteBuffer.allocate(10));
        channel.close();

        channel.awaitDigested(10); // returns: a stopped digest reads no more memory
        assertThatThrownBy(channel::sha256Hex).isInstanceOf(IllegalStateException.class)
                .hasMessage("the digest of t was stopped");
    }
}
