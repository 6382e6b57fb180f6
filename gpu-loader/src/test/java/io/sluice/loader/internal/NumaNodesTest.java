package io.sluice.loader.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;

import io.sluice.loader.NumaPlacement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NumaNodesTest {

    @TempDir
    Path sysfs;

    @Test
    void parsesTheKernelsNodeLists() {
        assertThat(NumaNodes.parseNodeList("0\n")).containsExactly(0);
        assertThat(NumaNodes.parseNodeList("0-1,3")).containsExactly(0, 1, 3);
        assertThat(NumaNodes.parseNodeList("0-3,8-11")).containsExactly(0, 1, 2, 3, 8, 9, 10, 11);
        assertThat(NumaNodes.parseNodeList("")).isEmpty();
    }

    @Test
    void refusesWhatIsNotANodeList() {
        assertThatThrownBy(() -> NumaNodes.parseNodeList("0-1;3")).hasMessage("not a node list (like 0-1,3): '0-1;3'");
        assertThatThrownBy(() -> NumaNodes.parseNodeList("3-1")).hasMessage("not an ascending node list: '3-1'");
        assertThatThrownBy(() -> NumaNodes.parseNodeList("2,1")).hasMessage("not an ascending node list: '2,1'");
    }

    @Test
    void readsTheOnlineNodesAndSaysUnknownWithoutTheFile() throws IOException {
        assertThat(new NumaNodes(sysfs).online()).isEmpty();

        online("0-1,3\n");

        assertThat(new NumaNodes(sysfs).online()).hasValue(List.of(0, 1, 3));
    }

    @Test
    void namesThePciDeviceAsSysfsDoes() {
        assertThat(NumaNodes.sysfsName("0000:3B:00.0")).hasValue("0000:3b:00.0");
        assertThat(NumaNodes.sysfsName("00000000:3B:00.0")).hasValue("0000:3b:00.0"); // nvidia-smi's 8-digit domain
        assertThat(NumaNodes.sysfsName("10000:01:00.0")).hasValue("10000:01:00.0"); // a VMD domain keeps its digits
        assertThat(NumaNodes.sysfsName("../../../etc/passwd")).isEmpty();
    }

    @Test
    void findsTheNodeOfAPciDeviceAndNoneForMinusOneOrNoFile() throws IOException {
        device("0000:3b:00.0", "1\n");
        device("0000:5e:00.0", "-1\n");
        NumaNodes nodes = new NumaNodes(sysfs);

        assertThat(nodes.nodeOfPciDevice("0000:3B:00.0")).hasValue(1);
        assertThat(nodes.nodeOfPciDevice("0000:5E:00.0")).isEmpty();
        assertThat(nodes.nodeOfPciDevice("0000:AF:00.0")).isEmpty();
    }

    @Test
    void resolvesAutoToTheNodeOfTheDevice() throws IOException {
        online("0-1");
        device("0000:3b:00.0", "1");
        NumaNodes nodes = new NumaNodes(sysfs);

        assertThat(nodes.preferredNode(NumaPlacement.auto(), () -> Optional.of("0000:3B:00.0"))).hasValue(1);
        // no affinity, no device: no placement, no failure
        assertThat(nodes.preferredNode(NumaPlacement.auto(), () -> Optional.of("0000:AF:00.0"))).isEmpty();
        assertThat(nodes.preferredNode(NumaPlacement.auto(), Optional::empty)).isEmpty();
    }

    @Test
    void asksTheDeviceForItsBusIdOnlyForAuto() throws IOException {
        online("0");
        AtomicInteger asked = new AtomicInteger();
        NumaNodes nodes = new NumaNodes(sysfs);

        assertThat(nodes.preferredNode(NumaPlacement.none(), () -> Optional.of("0000:3B:00.0" + asked.incrementAndGet())))
                .isEmpty();
        assertThat(nodes.preferredNode(NumaPlacement.node(0), () -> Optional.of("0000:3B:00.0" + asked.incrementAndGet())))
                .hasValue(0);
        assertThat(asked).hasValue(0);
    }

    @Test
    void refusesAGivenNodeThatIsNotOnlineNamingTheOnlineOnes() throws IOException {
        online("0-1,3");
        NumaNodes nodes = new NumaNodes(sysfs);

        assertThat(nodes.preferredNode(NumaPlacement.node(3), Optional::empty)).isEqualTo(OptionalInt.of(3));
        assertThatThrownBy(() -> nodes.preferredNode(NumaPlacement.node(2), Optional::empty))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("NUMA node 2 is not online: the online nodes are 0, 1, 3 (" + sysfs.resolve(
                        "devices/system/node/online") + ")");
    }

    @Test
    void refusesNodeSixtyThreeOnThisMachine() {
        NumaNodes system = NumaNodes.system();
        org.junit.jupiter.api.Assumptions.assumeTrue(system.online().map(n -> !n.contains(63)).orElse(false),
                "no online-node list here, or node 63 is online");

        assertThatThrownBy(() -> system.preferredNode(NumaPlacement.node(63), Optional::empty))
                .hasMessageStartingWith("NUMA node 63 is not online: the online nodes are ")
                .hasMessageEndingWith(" (/sys/devices/system/node/online)");
    }

    private void online(String list) throws IOException {
        Path file = sysfs.resolve("devices/system/node/online");
        Files.createDirectories(file.getParent());
        Files.writeString(file, list);
    }

    private void device(String name, String node) throws IOException {
        Path file = sysfs.resolve("bus/pci/devices").resolve(name).resolve("numa_node");
        Files.createDirectories(file.getParent());
        Files.writeString(file, node);
    }
}
