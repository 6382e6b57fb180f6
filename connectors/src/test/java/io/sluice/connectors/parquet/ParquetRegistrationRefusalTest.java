package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.crypto.ColumnEncryptionProperties;
import org.apache.parquet.crypto.FileEncryptionProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.format.CompressionCodec;
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
    void refusesACodecWithoutADecoderNamingTheColumnAndTheCodec() throws IOException {
        Path file = dir.resolve("lzo.parquet");
        ParquetTestFiles.write(file, TWO_COLUMNS, 10, Layout.of(CompressionCodecName.UNCOMPRESSED, false, 100),
                (column, row) -> column.equals("id") ? (Object) (long) row : "s" + row);
        ParquetHostileFileTest.rewriteFooter(file, footer -> footer.getRow_groups().getFirst().getColumns().get(1)
                .getMeta_data().setCodec(CompressionCodec.LZO));

        assertRefused(file).hasMessage("lzo.parquet column secret (row group 0) is compressed with LZO, which is not"
                + " supported (supported: [UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4, ZSTD, LZ4_RAW])");
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
