package io.sluice.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchSourceTest {

    @TempDir
    Path dir;

    @Test
    void writesTheRowGroupsAskedForAndReadsTheSameFileFromTheCacheTheSecondTime() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

        BenchSource first = BenchSource.ensure(dir, 10_000, 600, 7, out);
        long modified = Files.getLastModifiedTime(first.file()).toMillis();
        BenchSource second = BenchSource.ensure(dir, 10_000, 600, 7, out);

        assertThat(first.generated()).isTrue();
        assertThat(first.rowGroups()).isEqualTo(17);
        assertThat(first.file()).isEqualTo(dir.resolve("hospital-a/hospital-r10000-g600-s7-v1.parquet"));
        assertThat(second.generated()).isFalse();
        assertThat(second.file()).isEqualTo(first.file());
        assertThat(Files.getLastModifiedTime(second.file()).toMillis()).isEqualTo(modified);
        assertThat(Files.list(dir.resolve("hospital-a"))).containsExactly(first.file());
    }

    @Test
    void aimsAtSixteenRowGroupsOfAtMostAMebirowEach() {
        assertThat(BenchSource.defaultRowGroupRows(1_000)).isEqualTo(63);
        assertThat(BenchSource.defaultRowGroupRows(3_685_957)).isEqualTo(230_373);
        assertThat(BenchSource.defaultRowGroupRows(40_000_000)).isEqualTo(1 << 20);
        assertThat(BenchSource.rowsForGigabytes(2)).isEqualTo(36_859_565);
    }

    @Test
    void refusesASizeThatIsNotPositive() {
        assertThatThrownBy(() -> BenchSource.rowsForGigabytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--gb must be > 0, was 0.0");
    }
}
