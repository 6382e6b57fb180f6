package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class BodyBytesTest {

    /** A body of {@code size} bytes (byte i is i mod 251) that counts how much was read from it. */
    private static final class CountingBody implements ReadableByteChannel {
        private final long size;
        private long read;

        CountingBody(long size) {
            this.size = size;
        }

        @Override
        public int read(ByteBuffer target) {
            if (read == size) {
                return -1;
            }
            int n = (int) Math.min(target.remaining(), Math.min(size - read, 1000)); // arrives in pieces
            for (int i = 0; i < n; i++) {
                target.put((byte) ((read + i) % 251));
            }
            read += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void readsAWholeBodyOfAtMostTheLimitAndRefusesALongerOneWithoutReadingItAll() throws IOException {
        CountingBody exact = new CountingBody(70_000);
        assertThat(BodyBytes.whole(exact, 70_000)).hasValueSatisfying(bytes -> {
            assertThat(bytes).hasSize(70_000);
            assertThat(bytes[69_999]).isEqualTo((byte) (69_999 % 251));
        });

        CountingBody endless = new CountingBody(Long.MAX_VALUE);
        assertThat(BodyBytes.whole(endless, 70_000)).isEmpty();
        assertThat(endless.read).as("one byte past the limit shows a longer body; no more is read").isEqualTo(70_001);
    }

    @Test
    void keepsTheFirstBytesOfALongBody() throws IOException {
        CountingBody endless = new CountingBody(Long.MAX_VALUE);
        byte[] bytes = BodyBytes.upTo(endless, 100);

        assertThat(bytes).hasSize(100);
        assertThat(endless.read).isEqualTo(100);
        assertThat(Arrays.copyOf(bytes, 3)).containsExactly(0, 1, 2);
        assertThat(BodyBytes.upTo(new CountingBody(5), 100)).hasSize(5);
    }
}
