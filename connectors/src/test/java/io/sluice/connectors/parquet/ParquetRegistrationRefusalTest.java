package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchReader;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.crypto.ColumnEncryptionProperties;
import org.apache.parquet.crypto.FileEncryptionProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FieldRepetitionType;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.format.Type;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the reader cannot serve is refused when the source is opened (at registration), from the
 * footer, with a message naming the file, the column and the feature; never a source that opens
 * and then fails mid-stream.
 */
class ParquetRegistrationRefusalTest {
    private static final MessageType TWO_COLUMNS = MessageTypeParser.parseMessageType(
            "message m { required int64 id; optional binary secret (STRING); }");

    @TempDir
    Path dir;

    private Path twoColumns(String name, FileEncryptionProperties encryption) throws IOException {
        Path file = dir.resolve(name);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withType(TWO_COLUMNS)
                .withEncryption(encryption)
                .build()) {
            for (int row = 0; row < 10; row++) {
                SimpleGroup group = new SimpleGroup(TWO_COLUMNS);
                group.add("id", (long) row);
                group.add("secret", "s" + row);
                writer.write(group);
            }
        }
        return file;
    }

    private static byte[] key(int seed) {
        byte[] key = new byte[16];
        Arrays.fill(key, (byte) seed);
        return key;
    }

    private static AbstractThrowableAssert<?, ?> assertRefused(Path file) {
        return assertThatThrownBy(() -> ParquetBatchSource.open(file).close())
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.UNSUPPORTED_TYPE));
    }

    @Test
    void refusesAnEncryptedFooterByItsMagicRatherThanCallingItNotParquet() throws IOException {
        Path file = twoColumns("secret.parquet", FileEncryptionProperties.builder(key(1)).build());
        assertThat(Files.readAllBytes(file)).startsWith('P', 'A', 'R', 'E');

        assertRefused(file).hasMessage("secret.parquet: encrypted Parquet (PARE) is not supported");
    }

    @Test
    void refusesAnEncryptedColumnUnderAPlaintextFooterNamingTheColumn() throws IOException {
        Path file = twoColumns("half-secret.parquet", FileEncryptionProperties.builder(key(1))
                .withPlaintextFooter()
                .withEncryptedColumns(Map.of(ColumnPath.get("secret"),
                        ColumnEncryptionProperties.builder("secret").withKey(key(2)).build()))
                .build());

        assertRefused(file).hasMessage("half-secret.parquet column secret is encrypted: encrypted Parquet (modular"
                + " encryption) is not supported");
    }

    @Test
    void refusesASchemaNestedDeeperThan64LevelsNamingTheColumnAndItsDepth() throws IOException {
        Path file = nestedRequiredGroups("deep.parquet", 65);

        assertRefused(file).hasMessage("deep.parquet column g1 is nested 65 levels deep, more than the 64 this"
                + " reader supports");
    }

    @Test
    void servesASchemaNested64LevelsDeep() throws IOException {
        Path file = nestedRequiredGroups("deep64.parquet", 64);

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(List.of("id", "g1")), allocator)) {
            assertThat(reader.loadNextBatch()).isTrue();
            FieldVector vector = reader.root().getVector("g1");
            for (int depth = 2; depth < 64; depth++) {
                vector = (FieldVector) ((StructVector) vector).getChild("g" + depth);
            }
            assertThat(((StructVector) vector).getChild("x").getObject(0)).isEqualTo(7L);
        }
    }

    @Test
    void refusesAFooterNestedAHundredThousandLevelsWithoutRecursingIntoIt() throws IOException {
        Path file = nestedRequiredGroups("abyss.parquet", 3);
        int groups = 100_000;
        ParquetSurgery.rewriteFooter(file, footer -> {
            List<SchemaElement> schema = new ArrayList<>();
            schema.add(new SchemaElement("m").setNum_children(1));
            for (int i = 1; i <= groups; i++) {
                schema.add(new SchemaElement("g" + i).setRepetition_type(FieldRepetitionType.REQUIRED).setNum_children(1));
            }
            schema.add(new SchemaElement("x").setType(Type.INT64).setRepetition_type(FieldRepetitionType.OPTIONAL));
            footer.setSchema(schema);
        });

        assertRefused(file).hasMessage("abyss.parquet column g1 is nested 100001 levels deep, more than the 64 this"
                + " reader supports");
    }

    /**
     * Columns {@code id} and {@code g1}: {@code depth - 1} required groups {@code g1, g2, ...}
     * around an optional int64 {@code x}, so {@code x} has one definition level whatever the depth.
     */
    private Path nestedRequiredGroups(String name, int depth) throws IOException {
        StringBuilder schema = new StringBuilder("message m { required int64 id; ");
        for (int i = 1; i < depth; i++) {
            schema.append("required group g").append(i).append(" { ");
        }
        schema.append("optional int64 x; ").append("} ".repeat(depth - 1)).append('}');
        MessageType type = MessageTypeParser.parseMessageType(schema.toString());
        Path file = dir.resolve(name);
        ParquetTestFiles.writeGroups(file, type, 1, Layout.of(CompressionCodecName.SNAPPY, false, 10), (row, group) -> {
            group.add("id", (long) row);
            Group inner = group;
            for (int i = 1; i < depth; i++) {
                inner = inner.addGroup("g" + i);
            }
            inner.add("x", 7L);
        });
        return file;
    }

    @Test
    void refusesBitPackedLevelsAtRegistrationFromTheChunksEncodings() throws IOException {
        Path file = dir.resolve("bit-packed.parquet");
        ParquetTestFiles.write(file, TWO_COLUMNS, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                (column, row) -> column.equals("id") ? (Object) (long) row : "s" + row);
        // As a writer using BIT_PACKED definition levels lists them: no RLE beside it.
        ParquetSurgery.rewriteFooter(file, footer -> footer.getRow_groups().getFirst().getColumns().get(1)
                .getMeta_data().setEncodings(List.of(Encoding.BIT_PACKED, Encoding.PLAIN)));

        assertRefused(file).hasMessage("bit-packed.parquet column secret (row group 0) has levels encoded BIT_PACKED"
                + " (deprecated since Parquet 2.0), which is not supported; only RLE levels are");
    }

    @Test
    void refusesBitPackedLevelsInAListColumnEvenBesideRle() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { optional group tags (LIST) { repeated group list { optional int32 element; } } }");
        Path file = dir.resolve("bit-packed-list.parquet");
        ParquetTestFiles.writeGroups(file, schema, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                (row, group) -> group.addGroup("tags").addGroup("list").add("element", row));
        ParquetSurgery.rewriteFooter(file, footer -> footer.getRow_groups().getFirst().getColumns().getFirst()
                .getMeta_data().setEncodings(List.of(Encoding.BIT_PACKED, Encoding.RLE, Encoding.PLAIN)));

        assertRefused(file).hasMessage("bit-packed-list.parquet column tags.list.element (row group 0) has levels"
                + " encoded BIT_PACKED (deprecated since Parquet 2.0), which is not supported; only RLE levels are");
    }

    @Test
    void servesTheBitPackedEncodingParquetJavaListsForLevelsItNeverWrites() throws IOException {
        Path file = dir.resolve("v1.parquet");
        ParquetTestFiles.write(file, TWO_COLUMNS, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                (column, row) -> column.equals("id") ? (Object) (long) row : row % 3 == 0 ? null : "s" + row);
        ParquetFooter footer = ParquetFooter.read(file);
        // parquet-java lists BIT_PACKED for the repetition levels of both columns (maximum 0, never written).
        assertThat(footer.metadata().getBlocks().getFirst().getColumns())
                .allSatisfy(chunk -> assertThat(chunk.getEncodings())
                        .contains(org.apache.parquet.column.Encoding.BIT_PACKED));

        try (BufferAllocator allocator = new RootAllocator();
                ParquetBatchSource source = ParquetBatchSource.open(file);
                BatchReader reader = source.open(ScanSpec.of(List.of("id", "secret")), allocator)) {
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(reader.root().getVector("secret").getObject(1)).hasToString("s1");
            assertThat(reader.root().getVector("secret").isNull(3)).isTrue();
        }
    }

    @Test
    void refusesGeospatialVariantAndIntervalColumnsNamingEachWithItsType() throws IOException {
        MessageType schema = Types.buildMessage()
                .required(PrimitiveTypeName.INT64).named("id")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.geometryType("OGC:CRS84")).named("shape")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.geographyType()).named("area")
                .optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(12)
                .as(LogicalTypeAnnotation.intervalType()).named("stay")
                .optionalGroup().as(LogicalTypeAnnotation.variantType((byte) 1))
                .required(PrimitiveTypeName.BINARY).named("metadata")
                .required(PrimitiveTypeName.BINARY).named("value")
                .named("payload")
                .named("m");
        Path file = dir.resolve("exotic.parquet");
        ParquetTestFiles.writeGroups(file, schema, 0, Layout.of(CompressionCodecName.SNAPPY, true, 100),
                (row, group) -> { });

        assertRefused(file).hasMessage("exotic.parquet has columns of types not supported yet:"
                + " shape (optional binary (GEOMETRY(OGC:CRS84))), area (optional binary (GEOGRAPHY)),"
                + " stay (optional fixed_len_byte_array(12) (INTERVAL)), payload (optional group (VARIANT(1)))");
    }
}
