package io.sluice.loader;

import java.util.Objects;

/**
 * Which NUMA node the loader's pinned arena should live on ({@link LoaderConfig#numaPlacement()}).
 *
 * <p>On a machine with several sockets every host-to-device copy from memory on the other socket
 * crosses the inter-socket link (UPI, Infinity Fabric) before it reaches the GPU's PCIe root:
 * pinned memory on the GPU's own socket avoids that hop on every copy. The placement is a
 * <em>preference</em> ({@code mbind(MPOL_PREFERRED)} before the arena is touched): the kernel puts
 * the pages on that node while it has free memory there and elsewhere when it has not, so a full
 * node slows the copies instead of getting the training process OOM-killed while the arena is
 * pre-touched. {@link PinnedArenaInfo#numa()} says where the pages actually went.
 */
public sealed interface NumaPlacement {

    /** The highest node number accepted: Linux supports at most 1024 nodes ({@code CONFIG_NODES_SHIFT} 10). */
    int MAX_NODE = 1023;

    /** No placement: the kernel's first-touch policy puts each page on the node of the thread that touched it. */
    record FirstTouch() implements NumaPlacement {
        @Override
        public String toString() {
            return "first touch";
        }
    }

    /** Prefer node {@code node}, which must be online when the loader is created. */
    record Node(int node) implements NumaPlacement {
        public Node {
            if (node < 0 || node > MAX_NODE) {
                throw new IllegalArgumentException("a NUMA node must be in 0.." + MAX_NODE + ", was " + node);
            }
        }

        @Override
        public String toString() {
            return "node " + node;
        }
    }

    /**
     * Prefer the node the CUDA device sits on ({@code /sys/bus/pci/devices/<bus id>/numa_node});
     * no placement when there is no device, or the device has no NUMA affinity.
     */
    record DeviceNode() implements NumaPlacement {
        @Override
        public String toString() {
            return "auto";
        }
    }

    /** The default: first touch, as without this setting. */
    static NumaPlacement none() {
        return new FirstTouch();
    }

    static NumaPlacement node(int node) {
        return new Node(node);
    }

    /** The node of the loader's device. */
    static NumaPlacement auto() {
        return new DeviceNode();
    }

    /**
     * Reads the command-line form: a node number ({@code 0}, {@code 1}, …) or {@code auto}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    static NumaPlacement parse(String text) {
        Objects.requireNonNull(text, "text is null");
        String value = text.strip();
        if (value.equalsIgnoreCase("auto")) {
            return auto();
        }
        if (!value.matches("[0-9]{1,4}") || Integer.parseInt(value) > MAX_NODE) {
            throw new IllegalArgumentException("'" + text + "' is not a NUMA placement: write a node number (0.."
                    + MAX_NODE + ") or auto (the node of the GPU)");
        }
        return node(Integer.parseInt(value));
    }
}
