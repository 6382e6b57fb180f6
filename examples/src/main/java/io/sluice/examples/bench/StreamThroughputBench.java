package io.sluice.examples.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.broker.Broker;
import io.sluice.broker.BrokerConfig;
import io.sluice.connectors.BatchReader;
import io.sluice.connectors.BatchSource;
import io.sluice.connectors.Connectors;
import io.sluice.connectors.ScanSpec;
import io.sluice.connectors.SourceConfig;
import io.sluice.examples.BrokerClient;
import io.sluice.examples.Demo;
import io.sluice.examples.HospitalDataset;
import io.sluice.loader.GpuLoader;
import io.sluice.loader.GrantStream;
import io.sluice.loader.LoaderConfig;
import io.sluice.loader.StreamRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./sluice bench}: stream throughput broker -> GPU loader on loopback, against a baseline
 * measured in the same run: the very same Arrow IPC bytes, pre-encoded, sent over a plain
 * loopback TCP socket and decoded by a plain {@link ArrowStreamReader}. The ratio is the cost of
 * everything Sluice adds: Parquet decode, policy projection, IPC encode, HTTP, hashing, the
 * audit records, pinned memory. Runs alternate (broker, baseline, broker, ...) so that drift on a
 * shared machine hits both sides alike; medians are reported.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures broker -> loader stream throughput against a plain Arrow IPC loopback socket.")
public final class StreamThroughputBench implements Callable<Integer> {

    @Option(names = "--rows", defaultValue = "1000000", description = "rows of the demo dataset (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = "--runs", defaultValue = "7", description = "measured runs of each side (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "unmeasured runs of each side first (default: ${DEFAULT-VALUE})")
    int warmup;

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamThroughputBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("sluice-bench");
        BrokerConfig config = BrokerConfig.embedded(dir);
        HospitalDataset.write(config.sourcesDir().resolve("hospital-a/patients.parquet"), rows, 42, n -> {});
        try (Broker broker = Broker.start(config)) {
            BrokerClient client = new BrokerClient(broker.uri());
            String owner = client.devToken("owner", "hospital-a", List.of("data-owner"));
            String lab = client.devToken("bench", "ai-lab", List.of("data-consumer"));
            ObjectNode registration = BrokerClient.json().createObjectNode().put("name", "bench");
            registration.putObject("source").put("type", "parquet").put("path", "patients.parquet");
            registration.set("policy", BrokerClient.json().readTree(Demo.POLICY));
            String datasetId = client.post("/v1/datasets", Optional.of(owner), registration).orThrow().path("id").asText();
            var grant = client.post("/v1/grants", Optional.of(lab), BrokerClient.json().createObjectNode()
                    .put("dataset", datasetId).put("purpose", "medical-research")).orThrow();
            String grantId = grant.path("id").asText();
            byte[] ipc = fetchRaw(broker, grantId, lab);

            Path file = config.sourcesDir().resolve("hospital-a/patients.parquet");
            List<String> columns = new ArrayList<>();
            grant.path("columns").forEach(column -> columns.add(column.asText()));
            List<Double> brokerMbps = new ArrayList<>();
            List<Double> baselineMbps = new ArrayList<>();
            List<Double> scanMbps = new ArrayList<>();
            try (GpuLoader loader = GpuLoader.create(LoaderConfig.of(broker.uri()))) {
                for (int run = 0; run < warmup + runs; run++) {
                    double viaBroker = throughput(() -> drain(loader, grantId, lab));
                    double viaSocket = throughput(() -> plainSocket(ipc));
                    double scanOnly = throughput(() -> {
                        scan(file, columns);
                        return ipc.length;
                    });
                    if (run >= warmup) {
                        brokerMbps.add(viaBroker);
                        baselineMbps.add(viaSocket);
                        scanMbps.add(scanOnly);
                    }
                    System.out.printf("run %2d%s  broker->loader %7.1f MB/s   plain IPC socket %7.1f MB/s"
                                    + "   (Parquet scan alone %7.1f MB/s)%n",
                            run + 1, run < warmup ? " (warm-up)" : "          ", viaBroker, viaSocket, scanOnly);
                }
            }
            double broker1 = median(brokerMbps);
            double baseline = median(baselineMbps);
            System.out.printf("%nArrow payload %,d bytes, %,d rows, %d measured runs each%n", ipc.length, rows, runs);
            System.out.printf("median broker->loader %.1f MB/s, plain IPC socket %.1f MB/s, ratio %.2f"
                            + " (Parquet scan alone: %.1f MB/s of the same payload)%n",
                    broker1, baseline, broker1 / baseline, median(scanMbps));
        }
        return 0;
    }

    @FunctionalInterface
    private interface Measured {
        long bytes() throws Exception;
    }

    private static double throughput(Measured measured) throws Exception {
        long started = System.nanoTime();
        long bytes = measured.bytes();
        return bytes / 1e6 / ((System.nanoTime() - started) / 1e9);
    }

    private static long drain(GpuLoader loader, String grantId, String token) {
        try (GrantStream stream = loader.open(grantId, StreamRequest.whole(), () -> token)) {
            while (stream.hasNext()) {
                // The training loop would run here; the batch is released at once.
                stream.next().close();
            }
            return stream.bytesReceived();
        }
    }

    /** Sends the bytes over a loopback socket and decodes them with a plain Arrow reader. */
    private static long plainSocket(byte[] ipc) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread sender = Thread.ofPlatform().start(() -> {
                try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
                    for (int offset = 0; offset < ipc.length; offset += 1 << 20) {
                        out.write(ipc, offset, Math.min(1 << 20, ipc.length - offset));
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("baseline sender failed", e);
                }
            });
            long bytes = 0;
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    InputStream in = socket.getInputStream();
                    BufferAllocator allocator = new RootAllocator();
                    ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
                while (reader.loadNextBatch()) {
                    bytes = reader.bytesRead();
                }
                bytes = reader.bytesRead();
            }
            sender.join();
            return bytes;
        }
    }

    /** Reads the granted columns straight from the connector, in-process: the floor under the broker. */
    private static long scan(Path file, List<String> columns) {
        long rows = 0;
        try (BufferAllocator allocator = new RootAllocator();
                BatchSource source = Connectors.discover().open(SourceConfig.ofFile("parquet", file));
                BatchReader reader = source.open(ScanSpec.of(columns), allocator)) {
            while (reader.loadNextBatch()) {
                rows += reader.root().getRowCount();
            }
        }
        return rows;
    }

    private static byte[] fetchRaw(Broker broker, String grantId, String token) throws Exception {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(broker.uri().resolve("/v1/grants/" + grantId + "/stream"))
                        .header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("stream answered " + response.statusCode());
        }
        return response.body();
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
