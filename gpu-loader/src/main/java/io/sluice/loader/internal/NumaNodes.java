package io.sluice.loader.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.sluice.loader.NumaPlacement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine's NUMA topology as sysfs tells it: the online nodes
 * ({@code devices/system/node/online}) and the node a PCI device sits on
 * ({@code bus/pci/devices/<bus id>/numa_node}). Turns a {@link NumaPlacement} into the node the
 * pinned arena prefers.
 *
 * <p>The sysfs root is a parameter so that tests can give a directory of their own. Immutable and
 * thread-safe; every call reads the files again.
 */
public final class NumaNodes {

    private static final Logger LOG = LoggerFactory.getLogger(NumaNodes.class);
    private static final Pattern RANGE = Pattern.compile("([0-9]{1,4})(?:-([0-9]{1,4}))?");
    /** {@code cuDeviceGetPCIBusId}'s form, {@code [domain]:[bus]:[device].[function]} in hex. */
    private static final Pattern BUS_ID = Pattern.compile("([0-9a-f]{1,8}):([0-9a-f]{2}):([0-9a-f]{2})\\.([0-7])");

    private final Path sysfs;

    /** The topology under {@code sysfs} (normally {@code /sys}). */
    public NumaNodes(Path sysfs) {
        this.sysfs = Objects.requireNonNull(sysfs, "sysfs is null");
    }

    /** This machine's topology, under {@code /sys}. */
    public static NumaNodes system() {
        return new NumaNodes(Path.of("/sys"));
    }

    /** The online nodes, ascending; empty when the kernel does not say (no NUMA support, no sysfs). */
    public Optional<List<Integer>> online() {
        Path file = onlineFile();
        try {
            return Optional.of(parseNodeList(Files.readString(file, StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            LOG.warn("cannot read the online NUMA nodes from {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Parses a kernel node list ({@code cpulist} format): {@code 0}, {@code 0-1,3}, {@code 0-3,8-11}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static List<Integer> parseNodeList(String text) {
        Objects.requireNonNull(text, "text is null");
        List<Integer> nodes = new ArrayList<>();
        String list = text.strip();
        if (list.isEmpty()) {
            return List.of();
        }
        for (String part : list.split(",")) {
            Matcher range = RANGE.matcher(part);
            if (!range.matches()) {
                throw new IllegalArgumentException("not a node list (like 0-1,3): '" + list + "'");
            }
            int first = Integer.parseInt(range.group(1));
            int last = range.group(2) == null ? first : Integer.parseInt(range.group(2));
            if (last < first || (!nodes.isEmpty() && first <= nodes.getLast())) {
                throw new IllegalArgumentException("not an ascending node list: '" + list + "'");
            }
            for (int node = first; node <= last; node++) {
                nodes.add(node);
            }
        }
        return List.copyOf(nodes);
    }

    /**
     * The node of the PCI device {@code busId} as the driver writes it ({@code 0000:3B:00.0}); empty
     * when sysfs has no such device or the device has no NUMA affinity ({@code -1}).
     */
    public OptionalInt nodeOfPciDevice(String busId) {
        Optional<Path> file = sysfsName(busId).map(name -> sysfs.resolve("bus/pci/devices").resolve(name).resolve("numa_node"));
        if (file.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            int node = Integer.parseInt(Files.readString(file.get(), StandardCharsets.US_ASCII).strip());
            return node < 0 ? OptionalInt.empty() : OptionalInt.of(node);
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * The name sysfs gives the PCI device: lower-case hex with a four-digit domain
     * ({@code 0000:3b:00.0}); drivers write upper case and some an eight-digit domain.
     */
    static Optional<String> sysfsName(String busId) {
        Matcher id = BUS_ID.matcher(Objects.requireNonNull(busId, "busId is null").strip().toLowerCase(Locale.ROOT));
        if (!id.matches()) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%04x:%s:%s.%s", Long.parseLong(id.group(1), 16), id.group(2),
                id.group(3), id.group(4)));
    }

    /**
     * The node the arena prefers for {@code placement}: none for first touch; the given node, which
     * must be online; for {@code auto} the node of the device whose PCI bus id {@code devicePciBusId}
     * gives (asked only then), none (said once in the log) when there is no device or it has no NUMA
     * affinity.
     *
     * @throws IllegalArgumentException when a given node is not online, naming the online nodes
     */
    public OptionalInt preferredNode(NumaPlacement placement, Supplier<Optional<String>> devicePciBusId) {
        Objects.requireNonNull(placement, "placement is null");
        Objects.requireNonNull(devicePciBusId, "devicePciBusId is null");
        return switch (placement) {
            case NumaPlacement.FirstTouch _ -> OptionalInt.empty();
            case NumaPlacement.Node(int node) -> {
                Optional<List<Integer>> online = online();
                if (online.isPresent() && !online.get().contains(node)) {
                    throw new IllegalArgumentException("NUMA node " + node + " is not online: the online nodes are "
                            + describe(online.get()) + " (" + onlineFile() + ")");
                }
                yield OptionalInt.of(node);
            }
            case NumaPlacement.DeviceNode _ -> {
                Optional<String> busId = devicePciBusId.get();
                if (busId.isEmpty()) {
                    LOG.info("NUMA placement auto: no GPU with a PCI bus id, so no placement (pages go where first touched)");
                    yield OptionalInt.empty();
                }
                OptionalInt node = nodeOfPciDevice(busId.get());
                if (node.isEmpty()) {
                    LOG.info("NUMA placement auto: the GPU at PCI {} has no NUMA affinity ({} is -1 or missing), so no "
                            + "placement (pages go where first touched)", busId.get(),
                            sysfsName(busId.get()).map(name -> sysfs.resolve("bus/pci/devices").resolve(name)
                                    .resolve("numa_node").toString()).orElse("the bus id is not in sysfs form"));
                    yield OptionalInt.empty();
                }
                Optional<List<Integer>> online = online();
                if (online.isPresent() && !online.get().contains(node.getAsInt())) {
                    LOG.warn("NUMA placement auto: the GPU at PCI {} sits on node {}, which is not online ({}), so no "
                            + "placement", busId.get(), node.getAsInt(), describe(online.get()));
                    yield OptionalInt.empty();
                }
                LOG.info("NUMA placement auto: the GPU at PCI {} sits on node {}", busId.get(), node.getAsInt());
                yield node;
            }
        };
    }

    private Path onlineFile() {
        return sysfs.resolve("devices/system/node/online");
    }

    private static String describe(List<Integer> nodes) {
        return nodes.isEmpty() ? "none" : nodes.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
