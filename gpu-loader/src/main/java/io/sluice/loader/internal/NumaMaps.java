package io.sluice.loader.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the pages of a range of this process's memory per NUMA node, as the kernel reports them
 * in {@code /proc/self/numa_maps} ({@code N0=…}, {@code N1=…} on the line of each mapping).
 *
 * <p>numa_maps names a mapping (a VMA) by its start address only, and the kernel splits and merges
 * VMAs (a neighbour with the same flags and policy joins an unlocked, default-policy arena), so the
 * range's VMAs are taken from {@code /proc/self/maps}, read before and after numa_maps. The count is
 * unknown, never guessed, when a file cannot be read, when a VMA reaches outside the range (its
 * pages would be counted with the arena's), or when the VMAs changed between the reads.
 */
final class NumaMaps {

    private static final Logger LOG = LoggerFactory.getLogger(NumaMaps.class);
    private static final Path MAPS = Path.of("/proc/self/maps");
    private static final Path NUMA_MAPS = Path.of("/proc/self/numa_maps");
    private static final Pattern NODE_PAGES = Pattern.compile("N([0-9]{1,4})=([0-9]{1,18})");

    private NumaMaps() {
    }

    /** Pages per node of {@code [address, address + bytes)}; empty when unknown. */
    static Optional<SortedMap<Integer, Long>> pagesPerNode(long address, long bytes) {
        try {
            List<String> before = read(MAPS);
            List<String> numaMaps = read(NUMA_MAPS);
            List<String> after = read(MAPS);
            Optional<List<long[]>> vmas = vmasOf(before, address, bytes);
            if (vmas.isEmpty() || !sameVmas(vmas.get(), vmasOf(after, address, bytes))) {
                LOG.debug("the mappings of 0x{} (+{} bytes) are shared with other memory or changed while numa_maps was "
                        + "read: pages per node unknown", Long.toHexString(address), bytes);
                return Optional.empty();
            }
            return count(vmas.get(), numaMaps);
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            LOG.debug("cannot read {}: pages per node unknown", NUMA_MAPS, e);
            return Optional.empty();
        }
    }

    /** Pages per node of the range from the given contents of maps and numa_maps; empty when unknown. */
    static Optional<SortedMap<Integer, Long>> pagesPerNode(List<String> maps, List<String> numaMaps, long address, long bytes) {
        try {
            return vmasOf(maps, address, bytes).flatMap(vmas -> count(vmas, numaMaps));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static List<String> read(Path file) throws IOException {
        // Paths in maps are bytes, not necessarily UTF-8.
        return Files.readAllLines(file, StandardCharsets.ISO_8859_1);
    }

    /** The [start, end) of each VMA that overlaps the range; empty when one reaches outside it or they leave a gap. */
    private static Optional<List<long[]>> vmasOf(List<String> maps, long address, long bytes) {
        long end = address + bytes;
        List<long[]> vmas = new ArrayList<>();
        for (String line : maps) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash < 0 || space < dash) {
                continue;
            }
            long start = Long.parseUnsignedLong(line, 0, dash, 16);
            long stop = Long.parseUnsignedLong(line, dash + 1, space, 16);
            if (Long.compareUnsigned(start, end) < 0 && Long.compareUnsigned(stop, address) > 0) {
                if (Long.compareUnsigned(start, address) < 0 || Long.compareUnsigned(stop, end) > 0) {
                    return Optional.empty();
                }
                vmas.add(new long[] {start, stop});
            }
        }
        long covered = address;
        for (long[] vma : vmas) {
            if (vma[0] != covered) {
                return Optional.empty();
            }
            covered = vma[1];
        }
        return covered == end ? Optional.of(vmas) : Optional.empty();
    }

    private static boolean sameVmas(List<long[]> vmas, Optional<List<long[]>> again) {
        if (again.isEmpty() || again.get().size() != vmas.size()) {
            return false;
        }
        for (int i = 0; i < vmas.size(); i++) {
            if (vmas.get(i)[0] != again.get().get(i)[0] || vmas.get(i)[1] != again.get().get(i)[1]) {
                return false;
            }
        }
        return true;
    }

    private static Optional<SortedMap<Integer, Long>> count(List<long[]> vmas, List<String> numaMaps) {
        Map<Long, String> byStart = new HashMap<>();
        for (String line : numaMaps) {
            int space = line.indexOf(' ');
            if (space > 0) {
                byStart.put(Long.parseUnsignedLong(line, 0, space, 16), line);
            }
        }
        SortedMap<Integer, Long> pages = new TreeMap<>();
        for (long[] vma : vmas) {
            String line = byStart.get(vma[0]);
            if (line == null) {
                return Optional.empty();
            }
            for (String field : line.split(" ")) {
                Matcher node = NODE_PAGES.matcher(field);
                if (node.matches()) {
                    pages.merge(Integer.parseInt(node.group(1)), Long.parseLong(node.group(2)), Long::sum);
                }
            }
        }
        return Optional.of(pages);
    }
}
