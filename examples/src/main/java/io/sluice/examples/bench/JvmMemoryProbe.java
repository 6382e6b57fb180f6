package io.sluice.examples.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Reads another JVM's memory from inside it, through the JDK's attach API and JMX (public APIs;
 * nothing to install): heap in use, a full GC on request, and, when that JVM runs with
 * {@code -XX:NativeMemoryTracking=summary}, the native memory it committed in category
 * {@code Other}, which is where {@code Unsafe.allocateMemory} lands: Arrow buffers (allocation
 * manager {@code unsafe}), Netty's direct buffers and NIO direct buffers.
 *
 * <p>Attaching starts the target's local management agent (a few threads); the bench attaches only
 * for the memory phases, after the throughput runs whose CPU time it measures.
 */
final class JvmMemoryProbe implements AutoCloseable {
    private static final Pattern OTHER = Pattern.compile("Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final ObjectName DIAGNOSTIC_COMMAND = objectName("com.sun.management:type=DiagnosticCommand");

    private final JMXConnector connector;
    private final MBeanServerConnection server;
    private final MemoryMXBean memory;

    private JvmMemoryProbe(JMXConnector connector) throws IOException {
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
        this.memory = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.MEMORY_MXBEAN_NAME,
                MemoryMXBean.class);
    }

    /** Attaches to the JVM with process id {@code pid} (same user, attach mechanism on). */
    static JvmMemoryProbe attach(long pid) throws IOException {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (com.sun.tools.attach.AttachNotSupportedException e) {
            throw new IOException("cannot attach to JVM " + pid + ": " + e.getMessage(), e);
        }
        try {
            String address = vm.startLocalManagementAgent();
            return new JvmMemoryProbe(JMXConnectorFactory.connect(new JMXServiceURL(address)));
        } finally {
            vm.detach();
        }
    }

    /** Heap bytes in use now (live and not yet collected). */
    long heapUsed() {
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Runs a full GC in the target, so that {@link #heapUsed()} then counts live objects only. */
    void collectGarbage() {
        memory.gc();
    }

    /**
     * Native memory committed in NMT category {@code Other}: Arrow and Netty's off-heap buffers.
     * Empty when the target runs without native memory tracking.
     */
    OptionalLong offHeapCommitted() {
        try {
            Object summary = server.invoke(DIAGNOSTIC_COMMAND, "vmNativeMemory", new Object[] {new String[] {"summary"}},
                    new String[] {String[].class.getName()});
            Matcher matcher = OTHER.matcher(String.valueOf(summary));
            return matcher.find() ? OptionalLong.of(Long.parseLong(matcher.group(2)) * 1024) : OptionalLong.empty();
        } catch (javax.management.JMException | IOException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() throws IOException {
        connector.close();
    }

    private static ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }
}
