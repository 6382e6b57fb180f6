package io.sluice.policy.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.Duty;
import io.sluice.policy.PolicyDecision;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import javax.crypto.KDF;
import javax.crypto.Mac;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class PseudonymTest {
    static final byte[] MASTER = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    static final Schema SCHEMA = new Schema(List.of(
            new Field("id", FieldType.nullable(new ArrowType.Int(64, true)), null),
            new Field("small_id", FieldType.nullable(new ArrowType.Int(32, true)), null),
            new Field("code", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
    static final PolicyDecision.Permit PERMIT = new PolicyDecision.Permit(List.of("id", "small_id", "code"), List.of(),
            List.of(new Duty.Pseudonymise(List.of("id", "small_id", "code"))), OptionalLong.empty(), Optional.empty());
    static final Object[][] ROWS = {{1L, 1, "1"}, {42L, 42, "patient-42"}, {null, null, null}, {-7L, -7, "é😀"}};

    @Test
    void isStableWithinAProjectAlsoAfterARestart() {
        List<List<Object>> before = pseudonymise(PseudonymKey.derive(MASTER, "ds-1", "project-a"));
        // A restart: nothing survives but the master key, which the broker keeps.
        List<List<Object>> after = pseudonymise(PseudonymKey.derive(MASTER.clone(), "ds-1", "project-a"));

        assertThat(after).isEqualTo(before);
    }

    @Test
    void differsAcrossProjectsAndDatasets() {
        List<Object> a = pseudonymise(PseudonymKey.derive(MASTER, "ds-1", "project-a")).getFirst();
        List<Object> b = pseudonymise(PseudonymKey.derive(MASTER, "ds-1", "project-b")).getFirst();
        List<Object> otherDataset = pseudonymise(PseudonymKey.derive(MASTER, "ds-2", "project-a")).getFirst();

        for (int row : new int[] {0, 1, 3}) {
            assertThat(a.get(row)).isNotEqualTo(b.get(row)).isNotEqualTo(otherDataset.get(row));
        }
        // Length-prefixed: ("ds-1", "xproject") and ("ds-1x", "project") are different pairs.
        assertThat(PseudonymKey.derive(MASTER, "ds-1", "xproject").pseudonym(1))
                .isNotEqualTo(PseudonymKey.derive(MASTER, "ds-1x", "project").pseudonym(1));
    }

    @Test
    void isNeverAnUnkeyedHashOfTheId() throws Exception {
        PseudonymKey key = PseudonymKey.derive(MASTER, "ds-1", "project-a");
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        HexFormat hex = HexFormat.of();

        for (long id : new long[] {1, 42, -7, 0}) {
            String pseudonym = key.pseudonym(id);
            assertThat(pseudonym)
                    .isNotEqualTo(hex.formatHex(sha256.digest(Long.toString(id).getBytes(StandardCharsets.UTF_8))))
                    .isNotEqualTo(hex.formatHex(sha256.digest(ByteBuffer.allocate(8).putLong(id).array())))
                    .isNotEqualTo(hex.formatHex(sha256.digest(canonical(id))));
        }
        assertThat(key.pseudonym("patient-42")).isNotEqualTo(
                hex.formatHex(sha256.digest("patient-42".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void matchesAnIndependentHkdfAndHmacComputation() throws Exception {
        // The JDK's own HKDF (JEP 510) and HMAC, not Bouncy Castle: the documented derivation.
        byte[] dataset = "ds-1".getBytes(StandardCharsets.UTF_8);
        byte[] project = "project-a".getBytes(StandardCharsets.UTF_8);
        byte[] info = ByteBuffer.allocate(8 + dataset.length + project.length)
                .putInt(dataset.length).put(dataset).putInt(project.length).put(project).array();
        byte[] key = KDF.getInstance("HKDF-SHA256").deriveData(HKDFParameterSpec.ofExtract()
                .addIKM(MASTER).addSalt("sluice/pseudonym/v1".getBytes(StandardCharsets.UTF_8))
                .thenExpand(info, 32));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String expectedInteger = HexFormat.of().formatHex(mac.doFinal(canonical(42)));
        byte[] text = "patient-42".getBytes(StandardCharsets.UTF_8);
        byte[] taggedText = new byte[text.length + 1];
        taggedText[0] = 0x02;
        System.arraycopy(text, 0, taggedText, 1, text.length);
        String expectedString = HexFormat.of().formatHex(mac.doFinal(taggedText));

        List<List<Object>> columns = pseudonymise(PseudonymKey.derive(MASTER, "ds-1", "project-a"));

        assertThat(columns.get(0).get(1)).isEqualTo(expectedInteger);
        assertThat(columns.get(2).get(1)).isEqualTo(expectedString);
    }

    @Test
    void writesFixedWidthHexKeepsNullsAndTreatsIntegersAlikeWhateverTheirWidth() {
        List<List<Object>> columns = pseudonymise(PseudonymKey.derive(MASTER, "ds-1", "project-a"));

        for (List<Object> column : columns) {
            assertThat(column.get(2)).isNull();
            for (int row : new int[] {0, 1, 3}) {
                assertThat((String) column.get(row)).matches("[0-9a-f]{64}");
            }
        }
        assertThat(columns.get(1)).isEqualTo(columns.get(0));
        assertThat(columns.get(2).get(0)).as("the string '1' is not the integer 1").isNotEqualTo(columns.get(0).get(0));
        assertThat(Arrays.asList(columns.get(0).get(0), columns.get(0).get(1), columns.get(0).get(3)))
                .doesNotHaveDuplicates();
    }

    @Test
    void announcesUtf8ForPseudonymisedColumns() {
        assertThat(EnforcementPipeline.outputSchema(PERMIT, SCHEMA).getFields())
                .extracting(Field::getType).containsOnly(ArrowType.Utf8.INSTANCE);
    }

    @Test
    void refusesAShortMasterKeyAndHidesTheKey() {
        assertThatThrownBy(() -> PseudonymKey.derive(new byte[15], "ds-1", "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the master key must have at least 16 bytes, has 15");
        assertThat(PseudonymKey.derive(MASTER, "ds-1", "p").toString())
                .isEqualTo("PseudonymKey[dataset=ds-1, project=p, key=(hidden)]");
    }

    private static byte[] canonical(long id) {
        return ByteBuffer.allocate(9).put((byte) 0x01).putLong(id).array();
    }

    /** The three pseudonymised columns of {@link #ROWS} through a fresh pipeline. */
    private static List<List<Object>> pseudonymise(PseudonymKey key) {
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot in = Batches.of(SCHEMA, allocator, ROWS)) {
            EnforcementPipeline pipeline = EnforcementPipeline.compile(PERMIT, SCHEMA, key, OptOuts.none());
            try (VectorSchemaRoot out = pipeline.apply(in, allocator)) {
                return List.of(Batches.column(out, "id"), Batches.column(out, "small_id"), Batches.column(out, "code"));
            }
        }
    }
}
