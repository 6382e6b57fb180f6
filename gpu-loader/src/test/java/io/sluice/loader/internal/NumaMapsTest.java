package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class NumaMapsTest {

    private static final long ARENA = 0x7f00_0000_0000L;
    private static final long MIB = 1L << 20;

    @Test
    void sumsThePagesPerNodeOverTheArenasMappings() {
        // mlock of some slabs, or THP, can split the arena into several VMAs
        List<String> maps = List.of(
                "7effff000000-7f0000000000 rw-p 00000000 00:00 0",
                "7f0000000000-7f0000100000 rw-p 00000000 00:00 0",
                "7f0000100000-7f0000200000 rw-p 00000000 00:00 0",
                "7f0000200000-7f0000300000 r--p 00000000 08:01 42   /usr/lib/libc.so.6");
        List<String> numaMaps = List.of(
                "7effff000000 default anon=4096 dirty=4096 N0=4096 kernelpagesize_kB=4",
                "7f0000000000 prefer:1 anon=256 dirty=256 active=0 N0=6 N1=250 kernelpagesize_kB=4",
                "7f0000100000 prefer:1 anon=256 dirty=256 N1=256 kernelpagesize_kB=4",
                "7f0000200000 default file=/usr/lib/libc.so.6 mapped=3 N0=3 kernelpagesize_kB=4");

        assertThat(NumaMaps.pagesPerNode(maps, numaMaps, ARENA, 2 * MIB)).hasValue(new TreeMap<>(Map.of(0, 6L, 1, 506L)));
    }

    @Test
    void isUnknownWhenAMappingReachesOutsideTheArena() {
        // a neighbour with the same flags merged with the arena: its pages would be counted as the arena's
        List<String> maps = List.of("7effff000000-7f0000200000 rw-p 00000000 00:00 0");
        List<String> numaMaps = List.of("7effff000000 default anon=4608 dirty=4608 N0=4608 kernelpagesize_kB=4");

        assertThat(NumaMaps.pagesPerNode(maps, numaMaps, ARENA, 2 * MIB)).isEmpty();
    }

    @Test
    void isUnknownWhenNumaMapsLacksTheMappingOrTheRangeIsNotAllMapped() {
        List<String> maps = List.of("7f0000000000-7f0000200000 rw-p 00000000 00:00 0");

        assertThat(NumaMaps.pagesPerNode(maps, List.of("7f0000300000 default N0=1"), ARENA, 2 * MIB)).isEmpty();
        assertThat(NumaMaps.pagesPerNode(List.of("7f0000000000-7f0000100000 rw-p 00000000 00:00 0"),
                List.of("7f0000000000 default N0=256"), ARENA, 2 * MIB)).isEmpty();
    }

    @Test
    void countsNoPagesForAnUntouchedMapping() {
        List<String> maps = List.of("7f0000000000-7f0000200000 rw-p 00000000 00:00 0");

        assertThat(NumaMaps.pagesPerNode(maps, List.of("7f0000000000 prefer:0"), ARENA, 2 * MIB)).hasValue(new TreeMap<>());
    }
}
