package io.sluice.broker;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Holds {@link Broker#close()} to its promise that no thread the broker started outlives it: fails
 * the test class when, after its tests and its {@code @AfterAll}/{@code @AfterEach} methods (which
 * close its brokers), a thread with a broker's name is alive that was not there before the class.
 *
 * <p>The stream and decode threads are virtual, and {@link Thread#getAllStackTraces()} lists only
 * platform threads, so the threads are read from a JVM thread dump, which lists both. Threads are
 * told apart by name ({@link #PREFIXES}), so that a thread the test itself left (an HTTP client's
 * selector, which lives until the client is collected) is not blamed on the broker; a test class
 * that runs Vert.x of its own cannot use this extension.
 */
public final class NoBrokerThreadLeft implements BeforeAllCallback, AfterAllCallback {
    /**
     * The names of the threads a broker starts: Vert.x's event loops, workers, acceptor and blocked
     * thread checker; the broker's own ({@code sluice-stream-N}, {@code sluice-audit-*}), including
     * the store's HikariCP pool ({@code sluice-store housekeeper}, ...); the decode threads
     * ({@code decode:<dataset>}); the embedded H2 store's writer and lock threads.
     */
    static final List<String> PREFIXES = List.of("vert.x-", "vertx-", "sluice-", "decode:", "H2 ", "MVStore");

    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoBrokerThreadLeft.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NAMESPACE).put("before", brokerThreads());
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        @SuppressWarnings("unchecked")
        Map<Long, String> before = context.getStore(NAMESPACE).get("before", Map.class);
        // A thread told to end may still be alive for a moment after close() returns (a cancelled
        // java.util.Timer, a pool worker that has just signalled its pool's termination): on a loaded
        // machine, for longer than a moment. A thread that has not ended within EXIT_WAIT was never told to.
        long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
        Map<Long, String> left = brokerThreadsOtherThan(before);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = brokerThreadsOtherThan(before);
        }
        if (!left.isEmpty()) {
            throw new AssertionError("threads a broker started are still alive " + EXIT_WAIT.toSeconds()
                    + " s after its close(): " + left.values());
        }
    }

    private static Map<Long, String> brokerThreadsOtherThan(Map<Long, String> before) {
        Map<Long, String> threads = brokerThreads();
        threads.keySet().removeAll(before.keySet());
        return threads;
    }

    /** The live threads with a broker's name, by thread id. */
    static Map<Long, String> brokerThreads() {
        Map<Long, String> threads = new TreeMap<>();
        JsonArray containers = threadDump().getJsonObject("threadDump").getJsonArray("threadContainers");
        for (int c = 0; c < containers.size(); c++) {
            JsonArray inContainer = containers.getJsonObject(c).getJsonArray("threads");
            for (int t = 0; t < inContainer.size(); t++) {
                JsonObject thread = inContainer.getJsonObject(t);
                String name = thread.getString("name");
                if (PREFIXES.stream().anyMatch(name::startsWith)) {
                    threads.put(Long.parseLong(thread.getString("tid")), name);
                }
            }
        }
        return threads;
    }

    private static JsonObject threadDump() {
        try {
            Path dir = Files.createTempDirectory("threads");
            Path file = dir.resolve("dump.json"); // dumpThreads refuses a file that exists
            try {
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                        .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                return new JsonObject(Files.readString(file));
            } finally {
                Files.deleteIfExists(file);
                Files.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
