package io.sluice.connectors.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.connectors.BatchSource;
import io.sluice.connectors.ConnectorErrorCode;
import io.sluice.connectors.ConnectorException;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.Fifos;
import io.sluice.connectors.SourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connector handed a named pipe refuses it instead of opening it: opening a pipe blocks until a
 * writer comes, which would hold the calling thread for good. The timeouts turn a regression into
 * a failure instead of a hung build.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class NamedPipeSourcesTest {
    @TempDir
    Path dir;

    @Test
    void parquetRefusesANamedPipe() throws Exception {
        Path pipe = Fifos.make(dir.resolve("visits.parquet"));

        assertThatThrownBy(() -> open("parquet", pipe))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.NOT_A_REGULAR_FILE))
                .hasMessageStartingWith("'visits.parquet' is a named pipe (FIFO), not a regular file");
    }

    @Test
    void csvRefusesANamedPipe() throws Exception {
        Path pipe = Fifos.make(dir.resolve("visits.csv"));

        assertThatThrownBy(() -> open("csv", pipe))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.NOT_A_REGULAR_FILE))
                .hasMessageStartingWith("'visits.csv' is a named pipe (FIFO), not a regular file");
    }

    @Test
    void aParquetDirectoryRefusesANamedPipeAmongItsFilesNamingIt() throws Exception {
        Path data = dir.resolve("data");
        ParquetDirectoryTest.writeVisits(data.resolve("a.parquet"), 0, 10);
        Files.createDirectories(data.resolve("year=2026"));
        Fifos.make(data.resolve("year=2026/b.parquet"));

        assertThatThrownBy(() -> open("parquet", data))
                .isInstanceOfSatisfying(ConnectorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ConnectorErrorCode.NOT_A_REGULAR_FILE))
                .hasMessageStartingWith("'data/year=2026/b.parquet' is a named pipe (FIFO), not a regular file");
    }

    @Test
    void aHiddenNamedPipeInAParquetDirectoryIsSkippedLikeEveryHiddenFile() throws Exception {
        Path data = dir.resolve("data");
        ParquetDirectoryTest.writeVisits(data.resolve("a.parquet"), 0, 10);
        Fifos.make(data.resolve(".writer.lock"));

        try (BatchSource source = open("parquet", data)) {
            assertThat(source.rowCount()).hasValue(10);
        }
    }

    private static BatchSource open(String type, Path location) {
        return Connectors.discover().open(SourceConfig.ofFile(type, location, Map.of()));
    }
}
