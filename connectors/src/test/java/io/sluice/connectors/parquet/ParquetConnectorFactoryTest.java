package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.SourceConfig;
import io.sluice.connectors.parquet.ParquetTestFiles.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetConnectorFactoryTest {
    @TempDir
    Path dir;

    @Test
    void isFoundByServiceLoaderUnderItsName() {
        assertThat(Connectors.discover().factory("parquet")).isInstanceOf(ParquetConnectorFactory.class);
    }

    @Test
    void opensOneParquetFile() throws IOException {
        Path file = dir.resolve("all.parquet");
        ParquetTestFiles.writeAllTypes(file, 10, Layout.of(CompressionCodecName.SNAPPY, true, 100));

        try (BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", file))) {
            assertThat(source).isInstanceOf(ParquetBatchSource.class);
            assertThat(source.rowCount()).isEqualTo(OptionalLong.of(10));
        }
    }

    @Test
    void rejectsADirectoryWithoutParquetFiles() throws IOException {
        Path partitioned = Files.createDirectory(dir.resolve("sales"));
        Files.writeString(partitioned.resolve("_SUCCESS"), "");

        assertThatThrownBy(() -> new ParquetConnectorFactory().create(SourceConfig.ofFile("parquet", partitioned)))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessage("directory 'sales' holds no Parquet files");
    }

    @Test
    void rejectsAnUnknownOptionNamingTheKnownOnes() throws IOException {
        Path file = dir.resolve("all.parquet");
        ParquetTestFiles.writeAllTypes(file, 10, Layout.of(CompressionCodecName.SNAPPY, true, 100));

        assertThatThrownBy(() -> new ParquetConnectorFactory().create(
                        SourceConfig.ofFile("parquet", file, Map.of("hedaer", "true"))))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessage("source type 'parquet': unknown option 'hedaer'; known options: [allowedHosts, maxBatchBytes]");
    }

    @Test
    void rejectsAMissingFile() {
        assertThatThrownBy(() -> new ParquetConnectorFactory().create(
                        SourceConfig.ofFile("parquet", dir.resolve("gone.parquet"))))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.SOURCE_NOT_FOUND))
                .hasMessage("gone.parquet does not exist");
    }

    @Test
    void rejectsAConfigWithoutAPath() {
        assertThatThrownBy(() -> new ParquetConnectorFactory().create(
                        new SourceConfig("parquet", Optional.empty(), Map.of())))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.INVALID_SOURCE_CONFIG))
                .hasMessage("source type 'parquet' needs a path");
    }
}
