package io.sluice.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

import io.sluice.loader.internal.CudaDevice;
import io.sluice.loader.internal.CudaDriver;
import io.sluice.loader.internal.FakeCudaDriver;
import io.sluice.loader.internal.NumaNodes;
import io.sluice.loader.internal.NumaSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NUMA placement of the loader's pinned arena: the option, the report, and {@code auto} through a CUDA device. */
class NumaPlacementTest {

    private static final LoaderConfig SMALL = LoaderConfig.of(URI.create("http://127.0.0.1:1"))
            .withPinnedLimitBytes(2L << 20).withSlabBytes(1L << 20);

    @TempDir
    Path sysfs;

    @Test
    void parsesANodeNumberOrAuto() {
        assertThat(NumaPlacement.parse("0")).isEqualTo(NumaPlacement.node(0));
        assertThat(NumaPlacement.parse("12")).isEqualTo(new NumaPlacement.Node(12));
        assertThat(NumaPlacement.parse("auto")).isEqualTo(NumaPlacement.auto());
        assertThat(NumaPlacement.parse("AUTO")).isInstanceOf(NumaPlacement.DeviceNode.class);
        for (String bad : new String[] {"-1", "one", "1024", "0x1", ""}) {
            assertThatThrownBy(() -> NumaPlacement.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("'" + bad + "' is not a NUMA placement: write a node number (0..1023) or auto (the node of the GPU)");
        }
        assertThatThrownBy(() -> NumaPlacement.node(-1)).hasMessage("a NUMA node must be in 0..1023, was -1");
    }

    @Test
    void describesWhereThePagesWent() {
        Optional<java.util.SortedMap<Integer, Long>> split = Optional.of(new TreeMap<>(Map.of(0, 3L, 1, 5L)));
        assertThat(new NumaResidence(OptionalInt.of(1), Optional.empty(), split).description())
                .isEqualTo("NUMA node 1 (62.5% of pages: N0 37.5%, N1 62.5%)");
        assertThat(new NumaResidence(OptionalInt.of(1), Optional.empty(), Optional.empty()).description())
                .isEqualTo("NUMA node 1 preferred (pages per node unknown)");
        assertThat(new NumaResidence(OptionalInt.of(1), Optional.of("mbind failed with errno 1 (EPERM)"), split).description())
                .isEqualTo("NUMA node 1 not set (mbind failed with errno 1 (EPERM); N0 37.5%, N1 62.5%)");
        assertThat(NumaResidence.firstTouch(Optional.empty()).description()).isEqualTo("NUMA first touch (pages per node unknown)");
        // 1 page of 10,000 elsewhere is not "100%"
        assertThat(new NumaResidence(OptionalInt.of(0), Optional.empty(), Optional.of(new TreeMap<>(Map.of(0, 9_999L, 1, 1L))))
                .description()).startsWith("NUMA node 0 (99.9% of pages");
        assertThatThrownBy(() -> new NumaResidence(OptionalInt.empty(), Optional.of("x"), Optional.empty()))
                .hasMessage("preferenceFailure needs a requestedNode, was x");
    }

    @Test
    void placesTheArenaOnTheNodeOfTheGpuForAuto() throws IOException {
        NumaSupport.assumeNodeZeroCanBePreferred();
        write("devices/system/node/online", "0\n");
        write("bus/pci/devices/0000:3b:00.0/numa_node", "0\n");
        try (FakeCudaDriver fake = new FakeCudaDriver().pciBusId("0000:3B:00.0");
                CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                GpuLoader loader = GpuLoader.create(SMALL.withNumaPlacement(NumaPlacement.auto()), device, new NumaNodes(sysfs))) {
            NumaResidence numa = loader.arena().numa();

            assertThat(fake.calls()).contains("cuDeviceGetPCIBusId");
            assertThat(numa.requestedNode()).hasValue(0);
            assertThat(numa.preferenceSet()).isTrue();
            assertThat(numa.shareOnRequestedNode()).hasValue(1.0);
        }
    }

    @Test
    void placesNothingForAutoWhenTheGpuHasNoNumaAffinity() throws IOException {
        write("devices/system/node/online", "0\n");
        write("bus/pci/devices/0000:5e:00.0/numa_node", "-1\n");
        for (String busId : new String[] {"0000:AF:00.0", "0000:5E:00.0"}) { // no numa_node file; -1
            try (FakeCudaDriver fake = new FakeCudaDriver().pciBusId(busId);
                    CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                    GpuLoader loader = GpuLoader.create(SMALL.withNumaPlacement(NumaPlacement.auto()), device,
                            new NumaNodes(sysfs))) {
                assertThat(loader.arena().numa().requestedNode()).isEmpty();
                assertThat(loader.arena().numa().description()).startsWith("NUMA first touch (");
                assertThat(loader.arena().budgetBytes()).isEqualTo(2L << 20); // made as usual
            }
        }
    }

    @Test
    void placesNothingForAutoWhenTheDriverCannotTellTheBusId() throws IOException {
        write("devices/system/node/online", "0\n");
        write("bus/pci/devices/0000:3b:00.0/numa_node", "0\n");
        try (FakeCudaDriver fake = new FakeCudaDriver().failing("cuDeviceGetPCIBusId", 101); // CUDA_ERROR_INVALID_DEVICE
                CudaDevice device = CudaDevice.open(CudaDriver.bind("fake", fake.lookup()), 0);
                GpuLoader loader = GpuLoader.create(SMALL.withNumaPlacement(NumaPlacement.auto()), device, new NumaNodes(sysfs))) {
            assertThat(device.pciBusId()).isEmpty();
            assertThat(loader.arena().numa().requestedNode()).isEmpty();
        }
    }

    @Test
    void placesNothingForAutoWithoutADevice() {
        try (GpuLoader loader = GpuLoader.createWithoutDevice(SMALL.withNumaPlacement(NumaPlacement.auto()))) {
            assertThat(loader.arena().numa().requestedNode()).isEmpty();
        }
        try (HostMemoryDevice standIn = HostMemoryDevice.create();
                GpuLoader loader = GpuLoader.create(SMALL.withNumaPlacement(NumaPlacement.auto()), standIn)) {
            assertThat(loader.arena().numa().requestedNode()).isEmpty();
        }
    }

    @Test
    void refusesANodeThatIsNotOnlineWhenTheLoaderIsCreated() {
        Optional<java.util.List<Integer>> online = NumaNodes.system().online();
        assumeTrue(online.map(nodes -> !nodes.contains(63)).orElse(false), "no online-node list, or node 63 is online");

        assertThatThrownBy(() -> GpuLoader.createWithoutDevice(SMALL.withNumaPlacement(NumaPlacement.node(63))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("NUMA node 63 is not online: the online nodes are " + online.get().getFirst());
    }

    @Test
    void placesTheArenaOnAGivenOnlineNode() {
        NumaSupport.assumeNodeZeroCanBePreferred();
        try (GpuLoader loader = GpuLoader.createWithoutDevice(SMALL.withNumaPlacement(NumaPlacement.node(0)))) {
            assertThat(loader.arena().numa().description()).isEqualTo("NUMA node 0 (100% of pages)");
        }
    }


    private void write(String file, String content) throws IOException {
        Path path = sysfs.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
    }
}
