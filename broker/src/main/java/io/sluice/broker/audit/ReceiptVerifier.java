package io.sluice.broker.audit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleProofs;
import io.sluice.broker.audit.tlog.NoteVerificationException;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Checks a {@link TrainingReceipt} without the broker: the checkpoint's signature under the log's
 * public key and its origin (the key's name), each record's inclusion proof against that
 * checkpoint, that every record is one of this grant's, that the header says what the
 * {@code grant.issued} record says, that every stream opened has its end (or, with
 * {@link RunningStreams#ALLOW}, reports it as running) and every end its opening, and, when asked,
 * consistency with a later checkpoint of the same origin and what a loader received. Stops at the
 * first failure and names it.
 *
 * <p>What it cannot check: that the receipt holds <em>every</em> record of the grant. A broker that
 * left out both records of a stream would hand over a receipt that verifies; a loader's own counts
 * ({@link Expectations}) or the full audit log catch that.
 */
public final class ReceiptVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ISSUED = AuditAction.GRANT_ISSUED.wireName();
    private static final String OPENED = AuditAction.STREAM_OPENED.wireName();
    private static final String CLOSED = AuditAction.STREAM_CLOSED.wireName();

    /**
     * What to make of a stream opened at the receipt's checkpoint with no end yet: in a multi-rank
     * job one rank may finish and fetch the receipt while the others still stream.
     */
    public enum RunningStreams {
        /** Fail, saying the stream may still be running and how to verify anyway. */
        FAIL,
        /** Report it as running (no rows, bytes or digest) and verify the rest. */
        ALLOW
    }

    /**
     * What the checker knows independently of the receipt.
     *
     * @param sha256Hex SHA-256 digests the loader computed over streams it read to their end: each
     *     must be a distinct {@code stream.closed} record's (a digest given twice names two streams)
     * @param completedBytes the bytes the loader received over streams read to their end: with
     *     digests, the streams they name must add up to it (a grant may have served other runs);
     *     without, all the receipt's {@code stream.closed} records
     * @param laterCheckpoint a signed checkpoint of the same log, taken later (for example from
     *     {@code GET /v1/audit/checkpoint}): the receipt's checkpoint must be proven a prefix of it
     */
    public record Expectations(List<String> sha256Hex, OptionalLong completedBytes, Optional<String> laterCheckpoint) {
        public static final Expectations NONE = new Expectations(List.of(), OptionalLong.empty(), Optional.empty());

        /**
         * @throws IllegalArgumentException for a digest that is not 64 hexadecimal digits or a
         *     negative byte count: a mistyped expectation, not evidence that fails
         */
        public Expectations {
            sha256Hex = List.copyOf(requireNonNull(sha256Hex, "sha256Hex is null"));
            requireNonNull(completedBytes, "completedBytes is null");
            requireNonNull(laterCheckpoint, "laterCheckpoint is null");
            for (String sha : sha256Hex) {
                if (!sha.matches("[0-9a-fA-F]{64}")) {
                    throw new IllegalArgumentException("an expected SHA-256 is 64 hexadecimal digits, not '" + sha + "'");
                }
            }
            if (completedBytes.isPresent() && completedBytes.getAsLong() < 0) {
                throw new IllegalArgumentException("the expected bytes cannot be negative, was "
                        + completedBytes.getAsLong());
            }
        }
    }

    /**
     * One stream of the grant, from its records.
     *
     * @param end the action of its end record; empty while it runs (rows, batches and bytes are then 0)
     */
    public record StreamUse(String stream, long openedAt, Optional<String> end, long shard, long shards, long epoch,
            long rows, long batches, long bytes, Optional<String> sha256) {
        public StreamUse {
            requireNonNull(stream, "stream is null");
            requireNonNull(end, "end is null");
            requireNonNull(sha256, "sha256 is null");
        }

        public boolean completed() {
            return end.filter(CLOSED::equals).isPresent();
        }

        public boolean running() {
            return end.isEmpty();
        }

        /** closed, aborted, interrupted or running. */
        public String state() {
            return end.map(action -> action.substring("stream.".length())).orElse("running");
        }
    }

    /**
     * The outcome: what was verified, and the first problem when there is one.
     *
     * @param checkpoint the receipt's checkpoint, when its signature verified
     * @param streams the grant's streams, in the order they were opened, as far as checked
     */
    public record Result(Optional<String> problem, Optional<Checkpoint> checkpoint, int records, List<StreamUse> streams,
            Optional<Checkpoint> consistentWith) {
        public Result {
            requireNonNull(problem, "problem is null");
            requireNonNull(checkpoint, "checkpoint is null");
            streams = List.copyOf(requireNonNull(streams, "streams is null"));
            requireNonNull(consistentWith, "consistentWith is null");
        }

        public boolean ok() {
            return problem.isEmpty();
        }

        public long rows() {
            return streams.stream().mapToLong(StreamUse::rows).sum();
        }

        public long bytes() {
            return streams.stream().mapToLong(StreamUse::bytes).sum();
        }

        public long completedBytes() {
            return streams.stream().filter(StreamUse::completed).mapToLong(StreamUse::bytes).sum();
        }

        public long running() {
            return streams.stream().filter(StreamUse::running).count();
        }
    }

    private final NoteVerifier verifier;

    public ReceiptVerifier(NoteVerifier verifier) {
        this.verifier = requireNonNull(verifier, "verifier is null");
    }

    /** Verifies, failing on a stream without an end ({@link RunningStreams#FAIL}). */
    public Result verify(TrainingReceipt receipt, Expectations expected) {
        return verify(receipt, expected, RunningStreams.FAIL);
    }

    public Result verify(TrainingReceipt receipt, Expectations expected, RunningStreams running) {
        requireNonNull(receipt, "receipt is null");
        requireNonNull(expected, "expected is null");
        requireNonNull(running, "running is null");
        Checkpoint checkpoint;
        try {
            checkpoint = signed(receipt.checkpointNote());
        } catch (IllegalArgumentException e) {
            return failed("the receipt's checkpoint " + e.getMessage(), Optional.empty(), 0, List.of());
        }
        // The key's name is the log's name: a note signed with the right key for another origin is another log's.
        if (!checkpoint.origin().equals(verifier.name())) {
            return failed("the receipt's checkpoint is of the log '" + checkpoint.origin() + "', not of '"
                    + verifier.name() + "' whose key was given", Optional.empty(), 0, List.of());
        }
        if (checkpoint.size() != receipt.treeSize()) {
            return failed("the receipt says treeSize " + receipt.treeSize() + " but its signed checkpoint is at size "
                    + checkpoint.size(), Optional.of(checkpoint), 0, List.of());
        }

        List<JsonNode> fields = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (TrainingReceipt.ProvenRecord record : receipt.records()) {
            Optional<String> problem = proven(record, checkpoint, seen);
            JsonNode parsed = problem.isEmpty() ? parse(record.leaf()) : null;
            if (problem.isEmpty() && parsed == null) {
                problem = Optional.of("record " + record.index() + " is in the log but is not a JSON object");
            }
            if (problem.isEmpty()) {
                problem = belongs(receipt, record.index(), parsed);
            }
            if (problem.isPresent()) {
                return failed(problem.get(), Optional.of(checkpoint), fields.size(), List.of());
            }
            fields.add(parsed);
        }

        Optional<String> header = header(receipt, fields);
        if (header.isPresent()) {
            return failed(header.get(), Optional.of(checkpoint), fields.size(), List.of());
        }
        List<StreamUse> streams = new ArrayList<>();
        Optional<String> incomplete = streams(fields, checkpoint.size(), running, streams);
        if (incomplete.isPresent()) {
            return failed(incomplete.get(), Optional.of(checkpoint), fields.size(), streams);
        }

        Optional<Checkpoint> later = Optional.empty();
        try {
            later = consistency(receipt, checkpoint, expected.laterCheckpoint());
        } catch (IllegalArgumentException e) {
            return failed(e.getMessage(), Optional.of(checkpoint), fields.size(), streams);
        }
        Optional<String> mismatch = expectations(streams, expected);
        if (mismatch.isPresent()) {
            return failed(mismatch.get(), Optional.of(checkpoint), fields.size(), streams);
        }
        return new Result(Optional.empty(), Optional.of(checkpoint), fields.size(), streams, later);
    }

    /** The checkpoint a signed note carries, once its signature verified. */
    private Checkpoint signed(String note) {
        try {
            return Checkpoint.parseBody(verifier.verify(note));
        } catch (NoteVerificationException e) {
            throw new IllegalArgumentException("is not signed by the log's key " + verifier.name() + ": "
                    + e.getMessage());
        }
    }

    /** How a failure names a record: its index and what it says it is (parsed only for the message). */
    private static String what(TrainingReceipt.ProvenRecord record) {
        return "record " + record.index() + describe(record.leaf());
    }

    private static Optional<String> proven(TrainingReceipt.ProvenRecord record, Checkpoint checkpoint, Set<Long> seen) {
        if (record.index() >= checkpoint.size()) {
            return Optional.of(what(record) + " is beyond the checkpoint, which covers records 0.."
                    + (checkpoint.size() - 1));
        }
        if (!seen.add(record.index())) {
            return Optional.of(what(record) + " appears twice");
        }
        if (!MerkleProofs.verifyInclusion(record.index(), checkpoint.size(), MerkleHash.leaf(record.leaf()),
                record.proof(), checkpoint.rootHash())) {
            return Optional.of(what(record) + " is not in the log at the checkpoint of size " + checkpoint.size()
                    + ": its bytes were altered, or its proof is from another log");
        }
        return Optional.empty();
    }

    /** The record's own index and grant must be those the receipt gives it. */
    private static Optional<String> belongs(TrainingReceipt receipt, long index, JsonNode record) {
        if (record.path("index").asLong(-1) != index) {
            return Optional.of("record " + index + " says it is record " + record.path("index").asText("(none)"));
        }
        String action = record.path("action").asText("");
        if (!GrantAuditRecords.ACTIONS.contains(action)) {
            return Optional.of("record " + index + " is a " + action + " record, which no receipt carries");
        }
        String grant = record.path("grant").asText("");
        if (!grant.equals(receipt.grant())) {
            return Optional.of("record " + index + " (" + action + ") belongs to grant " + grant + ", not to grant "
                    + receipt.grant());
        }
        return Optional.empty();
    }

    /** Exactly one {@code grant.issued}, and it says what the receipt's header says. */
    private static Optional<String> header(TrainingReceipt receipt, List<JsonNode> records) {
        List<JsonNode> issued = records.stream().filter(r -> r.path("action").asText().equals(ISSUED)).toList();
        if (issued.size() != 1) {
            return Optional.of("the receipt must hold the grant's grant.issued record once, held it "
                    + issued.size() + " times");
        }
        JsonNode grant = issued.getFirst();
        Map<String, String> claims = new LinkedHashMap<>();
        claims.put("dataset", receipt.dataset());
        claims.put("datasetVersion", receipt.datasetVersion());
        claims.put("purpose", receipt.purpose());
        claims.put("project", receipt.project());
        claims.put("policyVersion", Integer.toString(receipt.policyVersion()));
        for (Map.Entry<String, String> claim : claims.entrySet()) {
            String recorded = grant.path(claim.getKey()).asText();
            if (!recorded.equals(claim.getValue())) {
                return Optional.of("the receipt says " + claim.getKey() + " '" + claim.getValue()
                        + "' but the grant.issued record (" + grant.path("index").asLong() + ") says '" + recorded + "'");
            }
        }
        String subject = grant.path("actor").path("subject").asText();
        String organisation = grant.path("actor").path("organisation").asText();
        if (!subject.equals(receipt.holderSubject()) || !organisation.equals(receipt.holderOrganisation())) {
            return Optional.of("the receipt names the holder " + receipt.holderSubject() + "@"
                    + receipt.holderOrganisation() + " but the grant was issued to " + subject + "@" + organisation);
        }
        return Optional.empty();
    }

    /**
     * Pairs each stream's opening with its one end. An end without its opening is a hole in the
     * receipt, always; an opening without an end is a hole or a stream still running at the
     * checkpoint, which {@code running} decides.
     */
    private static Optional<String> streams(List<JsonNode> records, long checkpointSize, RunningStreams running,
            List<StreamUse> uses) {
        Map<String, JsonNode> opened = new LinkedHashMap<>();
        Map<String, JsonNode> ended = new LinkedHashMap<>();
        for (JsonNode record : records) {
            String action = record.path("action").asText();
            if (action.equals(ISSUED)) {
                continue;
            }
            String stream = record.path("stream").asText("");
            Map<String, JsonNode> into = action.equals(OPENED) ? opened : ended;
            if (into.putIfAbsent(stream, record) != null) {
                return Optional.of("stream " + stream + " has two " + (action.equals(OPENED) ? "openings" : "ends")
                        + " (records " + into.get(stream).path("index").asLong() + " and " + record.path("index").asLong() + ")");
            }
        }
        for (Map.Entry<String, JsonNode> end : ended.entrySet()) {
            if (!opened.containsKey(end.getKey())) {
                return Optional.of("stream " + end.getKey() + " ended (record " + end.getValue().path("index").asLong()
                        + ") but the receipt has no record of its opening (stream.opened): a record was dropped");
            }
        }
        for (Map.Entry<String, JsonNode> open : opened.entrySet()) {
            JsonNode start = open.getValue();
            JsonNode end = ended.get(open.getKey());
            if (end == null && running == RunningStreams.FAIL) {
                return Optional.of("stream " + open.getKey() + " has no end at checkpoint " + checkpointSize
                        + ": still running? fetch the receipt again after the run, or pass --allow-running");
            }
            if (end == null) {
                uses.add(new StreamUse(open.getKey(), start.path("index").asLong(), Optional.empty(),
                        start.path("shard").asLong(), start.path("shards").asLong(), start.path("epoch").asLong(), 0, 0, 0,
                        Optional.empty()));
                continue;
            }
            if (end.path("index").asLong() < start.path("index").asLong()) {
                return Optional.of("stream " + open.getKey() + " ends (record " + end.path("index").asLong()
                        + ") before it was opened (record " + start.path("index").asLong() + ")");
            }
            uses.add(new StreamUse(open.getKey(), start.path("index").asLong(), Optional.of(end.path("action").asText()),
                    start.path("shard").asLong(), start.path("shards").asLong(), start.path("epoch").asLong(),
                    end.path("rows").asLong(), end.path("batches").asLong(), end.path("bytes").asLong(),
                    end.path("sha256").isTextual() ? Optional.of(end.path("sha256").asText()) : Optional.empty()));
        }
        return Optional.empty();
    }

    /**
     * The later checkpoint the receipt proves its own a prefix of: its own {@code consistency}, and,
     * when the checker brings one, the checker's, which must be that one (or the receipt's own).
     */
    private Optional<Checkpoint> consistency(TrainingReceipt receipt, Checkpoint checkpoint, Optional<String> laterNote) {
        Optional<Checkpoint> proven = Optional.empty();
        if (receipt.consistency().isPresent()) {
            TrainingReceipt.Consistency consistency = receipt.consistency().get();
            Checkpoint later = later("the receipt's later checkpoint", consistency.checkpointNote(), checkpoint);
            if (consistency.treeSize() != later.size()) {
                throw new IllegalArgumentException("the receipt's consistency says treeSize " + consistency.treeSize()
                        + " but its signed later checkpoint is at size " + later.size());
            }
            if (!MerkleProofs.verifyConsistency(checkpoint.size(), later.size(), checkpoint.rootHash(), later.rootHash(),
                    consistency.proof())) {
                throw new IllegalArgumentException("the receipt's checkpoint (size " + checkpoint.size()
                        + ") is not proven a prefix of the later checkpoint (size " + later.size()
                        + "): the log was rewritten between them, or the proof is from another log");
            }
            proven = Optional.of(later);
        }
        if (laterNote.isEmpty()) {
            return proven;
        }
        Checkpoint given = later("the checkpoint to check consistency with", laterNote.get(), checkpoint);
        if (given.size() < checkpoint.size()) {
            throw new IllegalArgumentException("the checkpoint to check consistency with (size " + given.size()
                    + ") is older than the receipt's (size " + checkpoint.size() + "): give one at least as large");
        }
        if (given.size() == checkpoint.size()) {
            if (!Arrays.equals(given.rootHash(), checkpoint.rootHash())) {
                throw new IllegalArgumentException("the given checkpoint and the receipt's are both at size "
                        + given.size() + " but their roots differ: the log forked");
            }
            return Optional.of(given);
        }
        if (proven.isEmpty() || proven.get().size() != given.size()) {
            throw new IllegalArgumentException("the receipt has no consistency proof to size " + given.size()
                    + (proven.map(p -> " (it has one to size " + p.size() + ")").orElse(""))
                    + ": fetch it with GET /v1/grants/" + receipt.grant() + "/receipt?consistencyTo=" + given.size());
        }
        if (!Arrays.equals(proven.get().rootHash(), given.rootHash())) {
            throw new IllegalArgumentException("the given checkpoint at size " + given.size()
                    + " has another root than the receipt's later checkpoint at that size: the log forked");
        }
        return Optional.of(given);
    }

    /**
     * The checkpoint {@code note} carries, signed by the log's key and of the receipt's log: a later
     * checkpoint proves nothing about the receipt's otherwise.
     *
     * @param what how messages name it
     */
    private Checkpoint later(String what, String note, Checkpoint receipts) {
        Checkpoint later;
        try {
            later = signed(note);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + e.getMessage());
        }
        if (!later.origin().equals(receipts.origin())) {
            throw new IllegalArgumentException(what + " is of the log '" + later.origin() + "', not of the receipt's log '"
                    + receipts.origin() + "'");
        }
        return later;
    }

    /**
     * Each expected digest takes one completed stream that has it; the expected bytes are compared
     * with the streams the digests took, or, without digests, with every completed stream.
     */
    private static Optional<String> expectations(List<StreamUse> streams, Expectations expected) {
        List<StreamUse> completed = streams.stream().filter(StreamUse::completed).toList();
        List<StreamUse> untaken = new ArrayList<>(completed);
        List<StreamUse> named = new ArrayList<>();
        for (String sha : expected.sha256Hex()) {
            Optional<StreamUse> match = untaken.stream().filter(s -> hasDigest(s, sha)).findFirst();
            if (match.isEmpty()) {
                long having = completed.stream().filter(s -> hasDigest(s, sha)).count();
                long asked = expected.sha256Hex().stream().filter(sha::equalsIgnoreCase).count();
                return Optional.of(having == 0
                        ? "no completed stream of the receipt has the SHA-256 " + sha + " that was expected"
                        : "the SHA-256 " + sha + " was expected " + asked + " times, but only " + having
                                + " completed stream(s) of the receipt have it");
            }
            untaken.remove(match.get());
            named.add(match.get());
        }
        if (expected.completedBytes().isEmpty()) {
            return Optional.empty();
        }
        long want = expected.completedBytes().getAsLong();
        boolean byDigest = !expected.sha256Hex().isEmpty();
        long have = (byDigest ? named : completed).stream().mapToLong(StreamUse::bytes).sum();
        if (have == want) {
            return Optional.empty();
        }
        return Optional.of((byDigest ? "the receipt's streams with the expected SHA-256 digests" : "the receipt's completed streams")
                + " add up to " + String.format(Locale.ROOT, "%,d", have) + " bytes, not the "
                + String.format(Locale.ROOT, "%,d", want) + " expected");
    }

    private static boolean hasDigest(StreamUse stream, String sha) {
        return stream.sha256().filter(h -> h.equalsIgnoreCase(sha)).isPresent();
    }

    private static Result failed(String problem, Optional<Checkpoint> checkpoint, int records, List<StreamUse> streams) {
        return new Result(Optional.of(problem), checkpoint, records, streams, Optional.empty());
    }

    private static JsonNode parse(byte[] leaf) {
        try {
            JsonNode node = JSON.readTree(leaf);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** " (stream.closed of stream st-...)" when the bytes say so, for naming a record that failed. */
    private static String describe(byte[] leaf) {
        JsonNode record = parse(leaf);
        if (record == null) {
            return "";
        }
        String action = record.path("action").asText("");
        String stream = record.path("stream").asText("");
        return action.isEmpty() ? "" : " (" + action + (stream.isEmpty() ? "" : " of stream " + stream) + ")";
    }
}
