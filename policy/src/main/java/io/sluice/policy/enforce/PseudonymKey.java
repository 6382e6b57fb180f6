package io.sluice.policy.enforce;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The key that {@code sluice:pseudonymise} uses for one dataset and one project, derived with
 * HKDF-SHA256 (RFC 5869, Bouncy Castle) from the broker's master key:
 *
 * <pre>
 * key = HKDF-SHA256(ikm = master key, salt = "sluice/pseudonym/v1",
 *                   info = len(dataset) || dataset || len(project) || project)   -- 32 bytes
 * </pre>
 *
 * where each {@code len} is the UTF-8 length as 4 bytes big-endian, so no two (dataset, project)
 * pairs share an {@code info}. The same master key, dataset and project give the same key, so
 * pseudonyms are stable within a project, also after a restart; another project gets an
 * independent key, so its pseudonyms cannot be linked to these without the master key.
 *
 * <p>Immutable and thread-safe. The key bytes never leave this package and {@link #toString()}
 * does not show them.
 */
public final class PseudonymKey {
    /** The shortest master key accepted: 128 bits. The broker should hold 32 random bytes. */
    public static final int MIN_MASTER_KEY_BYTES = 16;

    private static final byte[] SALT = "sluice/pseudonym/v1".getBytes(StandardCharsets.UTF_8);

    private final byte[] key;
    private final String datasetId;
    private final String project;

    private PseudonymKey(byte[] key, String datasetId, String project) {
        this.key = key;
        this.datasetId = datasetId;
        this.project = project;
    }

    /**
     * Derives the key for pseudonyms of {@code datasetId} served to {@code project}.
     *
     * @param masterKey the broker's secret, at least {@link #MIN_MASTER_KEY_BYTES} bytes; copied,
     *     the caller may wipe it afterwards
     * @param datasetId the dataset's id, non-blank
     * @param project the grant's project ({@code AccessRequest.effectiveProject()}), non-blank
     */
    public static PseudonymKey derive(byte[] masterKey, String datasetId, String project) {
        requireNonNull(masterKey, "masterKey is null");
        requireNonNull(datasetId, "datasetId is null");
        requireNonNull(project, "project is null");
        if (masterKey.length < MIN_MASTER_KEY_BYTES) {
            throw new IllegalArgumentException("the master key must have at least " + MIN_MASTER_KEY_BYTES
                    + " bytes, has " + masterKey.length);
        }
        if (datasetId.isBlank() || project.isBlank()) {
            throw new IllegalArgumentException("dataset id and project must not be blank");
        }
        byte[] dataset = datasetId.getBytes(StandardCharsets.UTF_8);
        byte[] projectBytes = project.getBytes(StandardCharsets.UTF_8);
        byte[] info = ByteBuffer.allocate(8 + dataset.length + projectBytes.length)
                .putInt(dataset.length).put(dataset).putInt(projectBytes.length).put(projectBytes).array();
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(masterKey.clone(), SALT, info));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return new PseudonymKey(key, datasetId, project);
    }

    public String datasetId() {
        return datasetId;
    }

    public String project() {
        return project;
    }

    /** The pseudonym of an integer id, as the pipeline writes it for an integer column (any width). */
    public String pseudonym(long id) {
        return new Pseudonymiser(this).pseudonym(id);
    }

    /** The pseudonym of a string id, as the pipeline writes it for a utf8 column. */
    public String pseudonym(String id) {
        return new Pseudonymiser(this).pseudonym(id);
    }

    byte[] keyBytes() {
        return key.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PseudonymKey that && Arrays.equals(key, that.key)
                && datasetId.equals(that.datasetId) && project.equals(that.project);
    }

    @Override
    public int hashCode() {
        return datasetId.hashCode() * 31 + project.hashCode();
    }

    @Override
    public String toString() {
        return "PseudonymKey[dataset=" + datasetId + ", project=" + project + ", key=(hidden)]";
    }
}
