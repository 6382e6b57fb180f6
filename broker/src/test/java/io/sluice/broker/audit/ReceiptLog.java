package io.sluice.broker.audit;

import io.sluice.broker.audit.tlog.CanonicalJson;
import io.sluice.broker.audit.tlog.Checkpoint;
import io.sluice.broker.audit.tlog.MerkleHash;
import io.sluice.broker.audit.tlog.MerkleTree;
import io.sluice.broker.audit.tlog.NoteSigner;
import io.sluice.broker.audit.tlog.NoteVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A small log of one grant's records, in memory, for receipts a test shapes at will (a stream still
 * running, a grant that served several runs, a checkpoint of another origin): the records are
 * canonical JSON as the broker writes them, proven with the same tree and signed with a fresh key.
 */
public final class ReceiptLog {
    public static final String ORIGIN = "sluice.local/audit";
    public static final String GRANT = "gr-1";

    private final MerkleTree tree = new MerkleTree();
    private final List<byte[]> leaves = new ArrayList<>();
    private final NoteSigner key = NoteSigner.generate(ORIGIN);

    public ReceiptLog() {
        append("grant.issued", Map.of("dataset", "ds-1", "datasetVersion", "v1", "purpose", "medical-research",
                "project", "ai-lab", "policyVersion", 1));
    }

    public NoteVerifier verifier() {
        return NoteVerifier.parse(key.verifierKey());
    }

    public String verifierKey() {
        return key.verifierKey();
    }

    public long opened(String stream, int shard, int shards) {
        return append("stream.opened", Map.of("stream", stream, "shard", shard, "shards", shards, "epoch", 0));
    }

    public long closed(String stream, long rows, long bytes, String sha256) {
        return append("stream.closed", Map.of("stream", stream, "rows", rows, "batches", 1, "bytes", bytes,
                "sha256", sha256));
    }

    /** Appends a record of another grant, so that the log is more than the receipt's records. */
    public long other() {
        return append("grant.issued", Map.of("grant", "gr-other", "dataset", "ds-1"));
    }

    /** The receipt of every record of grant {@link #GRANT} so far, at a checkpoint of the log's size. */
    public TrainingReceipt receipt() {
        return receipt(note(ORIGIN, size()), size(), Optional.empty());
    }

    public TrainingReceipt receipt(String checkpointNote, long treeSize, Optional<TrainingReceipt.Consistency> later) {
        List<TrainingReceipt.ProvenRecord> records = new ArrayList<>();
        for (int i = 0; i < treeSize; i++) {
            String text = new String(leaves.get(i), java.nio.charset.StandardCharsets.UTF_8);
            if (text.contains("\"grant\":\"" + GRANT + "\"")) {
                records.add(new TrainingReceipt.ProvenRecord(i, leaves.get(i), tree.inclusionProof(i, treeSize)));
            }
        }
        return new TrainingReceipt(GRANT, "ds-1", "v1", "medical-research", "ai-lab", 1, "trainer-7", "ai-lab",
                checkpointNote, treeSize, records, later);
    }

    /** A later checkpoint of {@code origin} at the log's size, with the proof from {@code from} to it. */
    public TrainingReceipt.Consistency consistency(String origin, long from) {
        return new TrainingReceipt.Consistency(note(origin, size()), size(), tree.consistencyProof(from, size()));
    }

    /** A checkpoint note of the log at {@code size}, naming {@code origin}, signed with the log's key. */
    public String note(String origin, long size) {
        return key.sign(new Checkpoint(origin, size, tree.root(size)).body());
    }

    public long size() {
        return leaves.size();
    }

    private long append(String action, Map<String, Object> fields) {
        Map<String, Object> record = new TreeMap<>(fields);
        record.putIfAbsent("grant", GRANT);
        record.put("index", leaves.size());
        record.put("action", action);
        record.put("time", "2026-12-02T10:00:00Z");
        record.put("actor", Map.of("subject", "trainer-7", "organisation", "ai-lab", "roles", List.of("data-consumer")));
        byte[] bytes = CanonicalJson.encode(record);
        leaves.add(bytes);
        tree.append(MerkleHash.leaf(bytes));
        return leaves.size() - 1;
    }
}
