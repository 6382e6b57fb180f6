package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;

class PinnedMemoryTest {

    private final PinnedMemory memory = PinnedMemory.create();

    @Test
    @SuppressWarnings("restricted")
    void givesPageLockedMemoryThatReadsAndWritesAndIsReleasedOnClose() {
        try (RootAllocator root = memory.newRootAllocator(64L << 20)) {
            try (ArrowBuf buffer = root.buffer(10_000)) {
                long page = memory.pageSize();
                assertThat(buffer.capacity()).isEqualTo(Math.ceilDiv(10_000, page) * page);
                assertThat(buffer.memoryAddress() % page).isZero();
                assertThat(PinnedAllocationManager.isPinned(buffer)).isTrue();
                assertThat(memory.pinnedBytes()).isEqualTo(buffer.capacity());
                assertThat(memory.mappedBytes()).isEqualTo(buffer.capacity());

                MemorySegment segment = MemorySegment.ofAddress(buffer.memoryAddress()).reinterpret(buffer.capacity());
                for (long i = 0; i + 8 <= buffer.capacity(); i += 8) {
                    buffer.setLong(i, i * 0x9E37_79B9_7F4A_7C15L);
                }
                for (long i = 0; i + 8 <= buffer.capacity(); i += 8) {
                    assertThat(segment.get(ValueLayout.JAVA_LONG_UNALIGNED, i)).isEqualTo(i * 0x9E37_79B9_7F4A_7C15L);
                }
                segment.set(ValueLayout.JAVA_BYTE, buffer.capacity() - 1, (byte) 0x5A);
                assertThat(buffer.getByte(buffer.capacity() - 1)).isEqualTo((byte) 0x5A);
            }
            assertThat(memory.pinnedBytes()).isZero();
            assertThat(memory.mappedBytes()).isZero();
        }
    }

    @Test
    void backsVectorsOfChildAllocators() {
        try (RootAllocator root = memory.newRootAllocator(64L << 20);
                BufferAllocator child = root.newChildAllocator("child", 0, 1 << 20);
                BigIntVector vector = new BigIntVector("v", child)) {
            vector.allocateNew(1000);
            for (int i = 0; i < 1000; i++) {
                vector.set(i, -i);
            }
            vector.setValueCount(1000);
            assertThat(vector.get(999)).isEqualTo(-999);
            assertThat(PinnedAllocationManager.isPinned(vector.getDataBuffer())).isTrue();
            assertThat(memory.pinnedBytes()).isPositive();
        }
        assertThat(memory.pinnedBytes()).isZero();
    }

    @Test
    void releasesMemoryFromAnotherThread() throws InterruptedException {
        try (RootAllocator root = memory.newRootAllocator(64L << 20)) {
            ArrowBuf buffer = root.buffer(1 << 20);
            Thread releaser = Thread.ofPlatform().start(buffer::close);
            releaser.join();
            assertThat(memory.pinnedBytes()).isZero();
        }
    }

    @Test
    void enforcesTheLimit() {
        try (RootAllocator root = memory.newRootAllocator(8192)) {
            assertThatThrownBy(() -> root.buffer(8193)).isInstanceOf(OutOfMemoryException.class);
            assertThat(memory.mappedBytes()).isZero();
        }
    }

    @Test
    void answersAZeroSizeRequestWithTheEmptyBuffer() {
        try (RootAllocator root = memory.newRootAllocator(8192); ArrowBuf empty = root.buffer(0)) {
            assertThat(empty.capacity()).isZero();
            assertThat(PinnedAllocationManager.isPinned(empty)).isTrue();
            assertThat(memory.mappedBytes()).isZero();
        }
    }
}
