package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleTree;
import io.sluice.broker.audit.tlog.NoteVerificationException;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks an audit log without trusting the broker: recomputes the RFC 9162 tree from the records'
 * exact bytes, checks every signed checkpoint against it, checks the new log against the last
 * checkpoint verified before, and names the first record that was modified, deleted, inserted or
 * moved.
 *
 * <p>Each record states its own {@code index} and the leaf hash of the record before it
 * ({@code prev}); those two fields, read in the order the records are served, are what lets the
 * verifier point at one record instead of a range.
 */
public final class AuditVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    /** A checkpoint verified before (from the local state file). */
    public record Trusted(long size, byte[] rootHash) {
        public Trusted {
            requireNonNull(rootHash, "rootHash is null");
        }
    }

    /**
     * The outcome.
     *
     * @param records how many records were given
     * @param covered how many of them, from the first, a verified checkpoint commits to (the largest
     *     signed one given, or the trusted one when it is larger): only these are verified; the
     *     records after them are checked for their index and {@code prev} links alone, which
     *     anyone can recompute, so they are not verified
     * @param problem empty when everything verified; otherwise the first problem, naming the record
     * @param latest the largest verified checkpoint, to remember for next time
     */
    public record Result(long records, long covered, int checkpoints, Optional<String> problem, Optional<Checkpoint> latest) {
        public boolean ok() {
            return problem.isEmpty();
        }

        /** The records after the last one a verified checkpoint covers. */
        public long unsigned() {
            return records - covered;
        }
    }

    private final NoteVerifier verifier;

    public AuditVerifier(NoteVerifier verifier) {
        this.verifier = requireNonNull(verifier, "verifier is null");
    }

    /**
     * @param records every record's exact bytes, in the order served (position 0 first)
     * @param signedNotes signed checkpoint notes, any order
     * @param trusted the checkpoint verified on an earlier run, if any
     */
    public Result verify(List<byte[]> records, List<String> signedNotes, Optional<Trusted> trusted) {
        List<Checkpoint> checkpoints = new ArrayList<>();
        for (String note : signedNotes) {
            try {
                checkpoints.add(Checkpoint.parseBody(verifier.verify(note)));
            } catch (NoteVerificationException | IllegalArgumentException e) {
                return failed(records.size(), checkpoints.size(), "a checkpoint does not verify with key "
                        + verifier.name() + ": " + e.getMessage());
            }
        }
        checkpoints.sort((a, b) -> Long.compare(a.size(), b.size()));

        List<byte[]> leaves = new ArrayList<>(records.size());
        MerkleTree tree = new MerkleTree();
        for (byte[] record : records) {
            byte[] leaf = MerkleHash.leaf(record);
            leaves.add(leaf);
            tree.append(leaf);
        }
        Optional<String> structural = checkRecords(records, leaves);

        long covered = 0;
        if (trusted.isPresent()) {
            Trusted before = trusted.get();
            if (before.size() > tree.size()) {
                return failed(records.size(), checkpoints.size(), structural.orElse("the log has " + tree.size()
                        + " records but " + before.size() + " were verified before: records were deleted"));
            }
            if (!Arrays.equals(tree.root(before.size()), before.rootHash())) {
                return failed(records.size(), checkpoints.size(), structural.orElse("the first " + before.size()
                        + " records, verified before, no longer match their checkpoint: history was rewritten"));
            }
            covered = before.size();
        }
        long previousSize = 0;
        for (Checkpoint checkpoint : checkpoints) {
            if (checkpoint.size() > tree.size()) {
                return failed(records.size(), checkpoints.size(), structural.orElse("checkpoint at size "
                        + checkpoint.size() + " is signed, but only " + tree.size() + " records are there:"
                        + " records " + tree.size() + ".." + (checkpoint.size() - 1) + " were deleted"));
            }
            if (!Arrays.equals(tree.root(checkpoint.size()), checkpoint.rootHash())) {
                return failed(records.size(), checkpoints.size(), structural.orElse("record "
                        + (checkpoint.size() - 1) + " was modified: the records up to it do not match the"
                        + " checkpoint signed at size " + checkpoint.size() + " (records " + previousSize + ".."
                        + (checkpoint.size() - 1) + " are suspect)"));
            }
            previousSize = checkpoint.size();
            covered = Math.max(covered, checkpoint.size());
        }
        if (structural.isPresent()) {
            return failed(records.size(), checkpoints.size(), structural.get());
        }
        return new Result(records.size(), covered, checkpoints.size(), Optional.empty(),
                checkpoints.isEmpty() ? Optional.empty() : Optional.of(checkpoints.getLast()));
    }

    /** Finds the first record whose index or predecessor link is wrong, and says what happened to it. */
    private static Optional<String> checkRecords(List<byte[]> records, List<byte[]> leaves) {
        long[] indexes = new long[records.size()];
        String[] prevs = new String[records.size()];
        Map<Long, Integer> positionOf = new HashMap<>();
        for (int position = 0; position < records.size(); position++) {
            try {
                readIndexAndPrev(records.get(position), indexes, prevs, position);
            } catch (IOException e) {
                return Optional.of("record at position " + position + " is not valid JSON: it was modified");
            }
            positionOf.putIfAbsent(indexes[position], position);
        }
        String expectedPrev = AuditLog.GENESIS;
        for (int position = 0; position < records.size(); position++) {
            long index = indexes[position];
            if (index != position) {
                if (index < position || positionOf.get(index) != position) {
                    return Optional.of("record at position " + position + " claims index " + index
                            + ", which came earlier: it was inserted (or moved)");
                }
                Integer actual = positionOf.get((long) position);
                if (actual == null) {
                    return Optional.of("record " + position + " was deleted (the record at its position claims index "
                            + index + ")");
                }
                return Optional.of("record " + position + " was moved: it appears at position " + actual
                        + " (reordered)");
            }
            if (!prevs[position].equals(expectedPrev)) {
                // Either this record's own prev was changed (then its successor no longer links to
                // it either) or the record before it was changed (then the successor still links).
                boolean successorLinks = position + 1 < records.size()
                        && prevs[position + 1].equals(HEX.formatHex(leaves.get(position)));
                int modified = position == 0 || !successorLinks && position + 1 < records.size() ? position : position - 1;
                return Optional.of("record " + modified + " was modified: its hash and the prev recorded by the record after"
                        + " it no longer agree");
            }
            expectedPrev = HEX.formatHex(leaves.get(position));
        }
        return Optional.empty();
    }

    /** Reads only the two top-level fields the checks need, skipping the rest unparsed. */
    private static void readIndexAndPrev(byte[] record, long[] indexes, String[] prevs, int position) throws IOException {
        indexes[position] = -1;
        prevs[position] = "";
        try (JsonParser parser = JSON.getFactory().createParser(record)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("index") && value == JsonToken.VALUE_NUMBER_INT) {
                    indexes[position] = parser.getLongValue();
                } else if (field.equals("prev") && value == JsonToken.VALUE_STRING) {
                    prevs[position] = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
        }
    }

    private static Result failed(long records, int checkpoints, String problem) {
        return new Result(records, 0, checkpoints, Optional.of(problem), Optional.empty());
    }
}
