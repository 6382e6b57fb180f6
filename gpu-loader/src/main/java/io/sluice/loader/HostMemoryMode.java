package io.sluice.loader;

/**
 * What kind of host memory a loader's batches land in, which decides how fast they reach the GPU.
 */
public enum HostMemoryMode {
    /**
     * Registered with the device ({@code cuMemHostRegister_v2}): page-locked (by {@code mlock}, or by
     * the driver itself when mlock was refused) and known to the driver, so copies are direct DMA.
     */
    REGISTERED("registered with the device (pinned, direct DMA copies)"),
    /**
     * Locked with {@code mlock} but not registered with a device: pinned; without a device that is
     * all there is, with one (its registration failed) the driver stages each copy through its own
     * pinned buffer.
     */
    LOCKED("locked (mlock), not registered with a device"),
    /** Neither locked nor registered: pageable memory, slower copies that the driver stages. */
    PAGEABLE("pageable: neither locked nor registered (raise ulimit -l)");

    private final String description;

    HostMemoryMode(String description) {
        this.description = description;
    }

    /** Whether batches are in page-locked memory. */
    public boolean pinned() {
        return this != PAGEABLE;
    }

    /** One line for an operator. */
    public String description() {
        return description;
    }

    static HostMemoryMode of(boolean locked, boolean registered) {
        return registered ? REGISTERED : locked ? LOCKED : PAGEABLE;
    }
}
