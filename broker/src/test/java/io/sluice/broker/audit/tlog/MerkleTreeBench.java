package io.sluice.broker.audit.tlog;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A quick benchmark of the audit log's cryptographic core, run by hand (not by surefire):
 * encoding and hashing a million ~300-byte records, appending them to a {@link MerkleTree},
 * inclusion and consistency proofs in the million-leaf tree, and recomputing the root the way a
 * verifier does ({@link MerkleProofs#naiveRoot}).
 *
 * <pre>
 * mvn -q -o -pl broker test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp broker/target/test-classes:broker/target/classes:$(cat /tmp/cp.txt) \
 *     io.sluice.broker.audit.tlog.MerkleTreeBench [leaves]
 * </pre>
 */
public final class MerkleTreeBench {
    private MerkleTreeBench() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int proofs = 100_000;
        Random random = new Random(1);
        System.out.printf("Java %s, %d cores, max heap %d MiB, %d leaves%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, n);

        warmUp(random);

        List<Map<String, Object>> sample = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
            sample.add(record(i, random));
        }
        long sampleBytes = 0;
        long t = System.nanoTime();
        for (int round = 0; round < 20; round++) {
            for (Map<String, Object> record : sample) {
                sampleBytes += CanonicalJson.encode(record).length;
            }
        }
        report("encode a record (CanonicalJson)", 20L * sample.size(), System.nanoTime() - t);

        byte[][] records = new byte[n][];
        long recordBytes = 0;
        for (int i = 0; i < n; i++) {
            records[i] = CanonicalJson.encode(record(i, random));
            recordBytes += records[i].length;
        }
        System.out.printf("  mean record size %.0f bytes (%d MiB in all)%n", (double) recordBytes / n, recordBytes >> 20);

        t = System.nanoTime();
        List<byte[]> leafHashes = new ArrayList<>(n);
        for (byte[] record : records) {
            leafHashes.add(MerkleHash.leaf(record));
        }
        long hashNanos = System.nanoTime() - t;
        report("hash records (leaf hash)", n, hashNanos);

        t = System.nanoTime();
        MerkleTree tree = new MerkleTree();
        for (byte[] leafHash : leafHashes) {
            tree.append(leafHash);
        }
        report("append to MerkleTree", n, System.nanoTime() - t);
        byte[] root = tree.root();

        t = System.nanoTime();
        byte[] naive = MerkleProofs.naiveRoot(leafHashes);
        long naiveNanos = System.nanoTime() - t;
        report("naiveRoot of all leaf hashes", n, naiveNanos);
        if (!java.util.Arrays.equals(root, naive)) {
            throw new AssertionError("tree root and naive root differ");
        }
        System.out.printf("verify %d records (hash every record + recompute root): %.2f s%n",
                n, (hashNanos + naiveNanos) / 1e9);

        // A verifier that starts from the exported bytes does both again, now warm.
        t = System.nanoTime();
        List<byte[]> rehashed = new ArrayList<>(n);
        for (byte[] record : records) {
            rehashed.add(MerkleHash.leaf(record));
        }
        byte[] recomputed = MerkleProofs.naiveRoot(rehashed);
        long verifyNanos = System.nanoTime() - t;
        if (!java.util.Arrays.equals(root, recomputed)) {
            throw new AssertionError("recomputed root differs");
        }
        System.out.printf("verify %d records again (warm): %.2f s%n", n, verifyNanos / 1e9);

        long[] indices = new long[proofs];
        for (int i = 0; i < proofs; i++) {
            indices[i] = random.nextInt(n);
        }
        long sink = sampleBytes;
        for (int i = 0; i < 20_000; i++) { // warm the proof path
            sink += tree.inclusionProof(indices[i], n).size();
        }
        t = System.nanoTime();
        for (long index : indices) {
            sink += tree.inclusionProof(index, n).size();
        }
        report("inclusion proof in the full tree", proofs, System.nanoTime() - t);

        t = System.nanoTime();
        for (long index : indices) {
            sink += tree.inclusionProof(index, index + 1 + (n - index - 1) / 2).size();
        }
        report("inclusion proof in an older tree size", proofs, System.nanoTime() - t);

        List<List<byte[]>> inclusion = new ArrayList<>(proofs);
        for (long index : indices) {
            inclusion.add(tree.inclusionProof(index, n));
        }
        t = System.nanoTime();
        for (int i = 0; i < proofs; i++) {
            long index = indices[i];
            if (!MerkleProofs.verifyInclusion(index, n, leafHashes.get((int) index), inclusion.get(i), root)) {
                throw new AssertionError("inclusion proof of " + index + " failed");
            }
        }
        report("verify inclusion proof", proofs, System.nanoTime() - t);

        t = System.nanoTime();
        for (long index : indices) {
            sink += tree.consistencyProof(Math.max(1, index), n).size();
        }
        report("consistency proof to the full tree", proofs, System.nanoTime() - t);

        int consistencyChecks = 10_000;
        List<List<byte[]>> consistency = new ArrayList<>(consistencyChecks);
        List<byte[]> oldRoots = new ArrayList<>(consistencyChecks);
        for (int i = 0; i < consistencyChecks; i++) {
            long old = Math.max(1, indices[i]);
            consistency.add(tree.consistencyProof(old, n));
            oldRoots.add(tree.root(old));
        }
        t = System.nanoTime();
        for (int i = 0; i < consistencyChecks; i++) {
            long old = Math.max(1, indices[i]);
            if (!MerkleProofs.verifyConsistency(old, n, oldRoots.get(i), root, consistency.get(i))) {
                throw new AssertionError("consistency proof from " + old + " failed");
            }
        }
        report("verify consistency proof", consistencyChecks, System.nanoTime() - t);

        t = System.nanoTime();
        for (int i = 0; i < proofs; i++) {
            sink += tree.root(n - i)[0];
        }
        report("root of an older tree size", proofs, System.nanoTime() - t);
        System.out.println("(checksum " + sink + ", root " + HexFormat.of().formatHex(root) + ")");
    }

    private static void warmUp(Random random) {
        List<byte[]> hashes = new ArrayList<>();
        MerkleTree tree = new MerkleTree();
        for (int i = 0; i < 200_000; i++) {
            byte[] leafHash = MerkleHash.leaf(CanonicalJson.encode(record(i, random)));
            hashes.add(leafHash);
            tree.append(leafHash);
        }
        MerkleProofs.naiveRoot(hashes);
        for (int i = 1; i < 50_000; i++) {
            tree.inclusionProof(i, tree.size());
            tree.consistencyProof(i, tree.size());
        }
    }

    /** An audit record of about 300 bytes of canonical JSON, with the fields DESIGN.md lists. */
    private static Map<String, Object> record(long sequence, Random random) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("certificate", "n" + random.nextInt(64));
        node.put("region", "eu-west-1");
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("seq", sequence);
        record.put("time", 1_778_312_125_000L + sequence);
        record.put("action", "stream.closed");
        record.put("subject", "u" + random.nextInt(100_000));
        record.put("organisation", "org-" + random.nextInt(1000));
        record.put("dataset", "ds-" + random.nextInt(10_000));
        record.put("datasetVersion", (long) random.nextInt(100));
        record.put("policyVersion", (long) random.nextInt(20));
        record.put("purpose", "research");
        record.put("rows", (long) random.nextInt(10_000_000));
        record.put("bytes", random.nextLong(1L << 40));
        byte[] digest = new byte[32];
        random.nextBytes(digest);
        record.put("sha256", HexFormat.of().formatHex(digest));
        record.put("node", node);
        return record;
    }

    private static void report(String what, long count, long nanos) {
        System.out.printf("%-40s %9d in %8.3f s = %9.3f µs each%n", what, count, nanos / 1e9, nanos / 1e3 / count);
    }
}
