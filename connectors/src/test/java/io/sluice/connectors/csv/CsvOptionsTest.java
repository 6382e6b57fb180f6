package io.sluice.connectors.csv;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.connectors.SourceConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CsvOptionsTest {

    @Test
    void defaultsToDetectionCommaQuoteRejectAndSixteenMegabyteRecords() {
        assertThat(CsvOptions.of(SourceConfig.ofFile("csv", Path.of("x.csv")))).isEqualTo(CsvOptions.defaults());
        assertThat(CsvOptions.defaults()).isEqualTo(new CsvOptions(Optional.empty(), (byte) ',', (byte) '"', Map.of(),
                false, 10_000, 16 * 1024 * 1024, 512L * 1024 * 1024));
    }

    @Test
    void mapsEveryOption() {
        CsvOptions options = CsvOptions.of(SourceConfig.ofFile("csv", Path.of("x.csv"), Map.of(
                "header", "FALSE", "delimiter", "tab", "quote", "'", "types", "a:int64,b:timestamptz",
                "onError", "skip", "sampleRows", "50", "maxRecordBytes", "4096", "maxBatchBytes", "1048576")));

        assertThat(options).isEqualTo(new CsvOptions(Optional.of(false), (byte) '\t', (byte) '\'',
                Map.of("a", CsvType.INT64, "b", CsvType.TIMESTAMPTZ), true, 50, 4096, 1_048_576));
    }
}
