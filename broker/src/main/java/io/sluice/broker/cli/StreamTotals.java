package io.sluice.broker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Streams, rows and bytes added up per organisation, per purpose and per dataset, from the records
 * that end a stream: {@code stream.closed}, and {@code stream.aborted} and {@code stream.interrupted}
 * (counted as incomplete, with what they had sent). A stream is counted once, at its end; one still
 * running has no end record yet and is not counted. Keys are kept sorted, so a report lists them in
 * the same order every time and two reports diff line by line.
 */
final class StreamTotals {
    static final Set<String> ENDS = Set.of("stream.closed", "stream.aborted", "stream.interrupted");

    /** The totals of one organisation, purpose, dataset, or all of them. */
    record Sum(long streams, long incomplete, long rows, long bytes) {
        static final Sum ZERO = new Sum(0, 0, 0, 0);

        Sum plus(Sum other) {
            return new Sum(streams + other.streams, incomplete + other.incomplete, rows + other.rows, bytes + other.bytes);
        }
    }

    private final SortedMap<String, Sum> byOrganisation = new TreeMap<>();
    private final SortedMap<String, Sum> byPurpose = new TreeMap<>();
    private final SortedMap<String, Sum> byDataset = new TreeMap<>();
    private Sum total = Sum.ZERO;

    /** Counts the record if it ends a stream; returns whether it did. */
    boolean add(JsonNode record) {
        String action = record.path("action").asText();
        if (!ENDS.contains(action)) {
            return false;
        }
        Sum one = new Sum(1, action.equals("stream.closed") ? 0 : 1, record.path("rows").asLong(0),
                record.path("bytes").asLong(0));
        byOrganisation.merge(text(record.path("actor").path("organisation")), one, Sum::plus);
        byPurpose.merge(text(record.path("purpose")), one, Sum::plus);
        byDataset.merge(text(record.path("dataset")), one, Sum::plus);
        total = total.plus(one);
        return true;
    }

    SortedMap<String, Sum> byOrganisation() {
        return java.util.Collections.unmodifiableSortedMap(byOrganisation);
    }

    SortedMap<String, Sum> byPurpose() {
        return java.util.Collections.unmodifiableSortedMap(byPurpose);
    }

    SortedMap<String, Sum> byDataset() {
        return java.util.Collections.unmodifiableSortedMap(byDataset);
    }

    Sum total() {
        return total;
    }

    private static String text(JsonNode node) {
        String text = node.asText("");
        return text.isEmpty() ? "-" : text;
    }
}
