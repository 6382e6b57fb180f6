package io.sluice.loader;

/**
 * One Arrow buffer of a column in device memory.
 *
 * @param pointer the device address ({@code CUdeviceptr}); 0 when {@code bytes} is 0
 * @param bytes the buffer's length
 */
public record DeviceBuffer(long pointer, long bytes) {
    public DeviceBuffer {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
    }
}
