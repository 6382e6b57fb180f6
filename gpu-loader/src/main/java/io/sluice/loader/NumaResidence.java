package io.sluice.loader;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Where the pinned arena's pages were asked to go and where they went: the NUMA node the loader
 * preferred (resolved from {@link NumaPlacement}), and the arena's pages per node as
 * {@code /proc/self/numa_maps} counted them after the pre-touch.
 *
 * @param requestedNode the node preferred with {@code mbind(MPOL_PREFERRED)}; empty for first touch
 *     (no placement asked, or {@code auto} found no device or no NUMA affinity)
 * @param preferenceFailure why the preference could not be set ({@code mbind} refused, e.g.
 *     {@code EPERM} in a container); the arena then lies where it was first touched. Empty when it
 *     was set or none was asked
 * @param pagesPerNode pages of the arena per node ({@code N0=…} in numa_maps, in the kernel's base
 *     pages); empty when numa_maps could not be read or did not describe the arena alone: unknown,
 *     never guessed
 */
public record NumaResidence(OptionalInt requestedNode, Optional<String> preferenceFailure,
        Optional<SortedMap<Integer, Long>> pagesPerNode) {

    public NumaResidence {
        Objects.requireNonNull(requestedNode, "requestedNode is null");
        Objects.requireNonNull(preferenceFailure, "preferenceFailure is null");
        Objects.requireNonNull(pagesPerNode, "pagesPerNode is null");
        if (requestedNode.isEmpty() && preferenceFailure.isPresent()) {
            throw new IllegalArgumentException("preferenceFailure needs a requestedNode, was " + preferenceFailure.get());
        }
        pagesPerNode = pagesPerNode.map(pages -> Collections.unmodifiableSortedMap(new TreeMap<>(pages)));
    }

    /** First touch (no placement asked) with the pages per node counted, or unknown. */
    public static NumaResidence firstTouch(Optional<SortedMap<Integer, Long>> pagesPerNode) {
        return new NumaResidence(OptionalInt.empty(), Optional.empty(), pagesPerNode);
    }

    /** Whether a node was preferred and the kernel took the preference. */
    public boolean preferenceSet() {
        return requestedNode.isPresent() && preferenceFailure.isEmpty();
    }

    /** The share (0..1) of the arena's pages on the requested node; empty without a request or without counts. */
    public OptionalDouble shareOnRequestedNode() {
        if (requestedNode.isEmpty() || pagesPerNode.isEmpty()) {
            return OptionalDouble.empty();
        }
        long total = pagesPerNode.get().values().stream().mapToLong(Long::longValue).sum();
        long on = pagesPerNode.get().getOrDefault(requestedNode.getAsInt(), 0L);
        return total == 0 ? OptionalDouble.empty() : OptionalDouble.of(on / (double) total);
    }

    /** One phrase for logs and {@code sluice load}, e.g. {@code NUMA node 0 (100% of pages)}. */
    public String description() {
        if (requestedNode.isEmpty()) {
            return "NUMA first touch (" + pagesPerNode.map(NumaResidence::shares).orElse("pages per node unknown") + ")";
        }
        int node = requestedNode.getAsInt();
        if (preferenceFailure.isPresent()) {
            return "NUMA node " + node + " not set (" + preferenceFailure.get() + "; "
                    + pagesPerNode.map(NumaResidence::shares).orElse("pages per node unknown") + ")";
        }
        OptionalDouble share = shareOnRequestedNode();
        if (share.isEmpty()) {
            return "NUMA node " + node + " preferred (pages per node unknown)";
        }
        return "NUMA node " + node + " (" + percent(share.getAsDouble()) + " of pages"
                + (share.getAsDouble() == 1.0 ? "" : ": " + shares(pagesPerNode.get())) + ")";
    }

    private static String shares(SortedMap<Integer, Long> pages) {
        long total = pages.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
            return "no pages counted";
        }
        return pages.entrySet().stream()
                .map((Map.Entry<Integer, Long> e) -> "N" + e.getKey() + " " + percent(e.getValue() / (double) total))
                .collect(Collectors.joining(", "));
    }

    private static String percent(double share) {
        // "100%" only when every page is there: 99.96% must not print as 100%
        return share == 1.0 ? "100%" : String.format(Locale.ROOT, "%.1f%%", Math.min(share * 100, 99.9));
    }
}
