package io.sluice.loader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Loader throughput on loopback, against a baseline measured in the same run: the same HTTP
 * response (the same Arrow IPC bytes, chunked like the broker sends them) read from the same kind
 * of socket into a reused direct {@link ByteBuffer} and thrown away — the most a reader of that
 * socket can do. Then the loader: the plain {@link GrantStream} into pinned batches; a
 * {@link TrainingStream} without a device (prefetched pinned host batches); and a
 * {@link TrainingStream} through the {@link HostMemoryDevice} stand-in (double-buffered copies
 * into "device" memory). Sides alternate within each run so drift hits all alike; medians are
 * reported, with each side's ratio to the baseline.
 *
 * <p>Not a test (surefire runs *Test and *IT only). Run, from {@code gpu-loader/}:
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java --add-opens=java.base/java.nio=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *      --enable-native-access=ALL-UNNAMED -Xmx2g -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *      io.sluice.loader.LoaderThroughputBench [MiB] [runs] [warmup]
 * </pre>
 */
public final class LoaderThroughputBench {

    private static final int ROWS_PER_BATCH = 128 * 1024;
    private static final int CHUNK = 1 << 20;

    private LoaderThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        byte[] ipc = stream(mib);
        System.out.printf(Locale.ROOT, "Arrow IPC stream: %,d bytes in batches of %,d rows (~%.1f MB each), chunked in 1 MiB chunks; "
                + "%d cores%n", ipc.length, ROWS_PER_BATCH, ROWS_PER_BATCH * 24 / 1e6, Runtime.getRuntime().availableProcessors());
        try (Server server = new Server(ipc)) {
            LoaderConfig config = LoaderConfig.of(server.uri()).withPinnedLimitBytes(256L << 20).withSlabBytes(32L << 20);
            try (GpuLoader loader = GpuLoader.createWithoutDevice(config);
                    GpuLoader noDigest = GpuLoader.createWithoutDevice(config.withDigestBodies(false));
                    HostMemoryDevice device = HostMemoryDevice.create();
                    GpuLoader deviceLoader = GpuLoader.create(config, device);
                    GpuLoader deviceNoDigest = GpuLoader.create(config.withDigestBodies(false), device)) {
                System.out.printf(Locale.ROOT, "pinned arena: %d MiB made in %d ms (%.0f ms/GiB), %s%n",
                        loader.arena().budgetBytes() >> 20, loader.arena().creationTime().toMillis(),
                        loader.arena().creationMillisPerGiB(), loader.arena().locked() ? "locked" : "not locked");
                Map<String, ToLongFunction<byte[]>> sides = new LinkedHashMap<>();
                sides.put("socket -> direct ByteBuffer (baseline)", bytes -> baseline(server));
                sides.put("GrantStream -> pinned, SHA-256", bytes -> grantStream(loader));
                sides.put("GrantStream -> pinned, no digest", bytes -> grantStream(noDigest));
                sides.put("TrainingStream -> pinned, SHA-256", bytes -> training(loader));
                sides.put("TrainingStream -> pinned, no digest", bytes -> training(noDigest));
                sides.put("TrainingStream -> stand-in device, SHA-256", bytes -> training(deviceLoader));
                sides.put("TrainingStream -> stand-in device, no digest", bytes -> training(deviceNoDigest));
                Map<String, List<Double>> results = new LinkedHashMap<>();
                sides.keySet().forEach(name -> results.put(name, new ArrayList<>()));
                for (int run = 0; run < warmup + runs; run++) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "run %d%s", run + 1,
                            run < warmup ? " (warm-up)" : ""));
                    for (Map.Entry<String, ToLongFunction<byte[]>> side : sides.entrySet()) {
                        long started = System.nanoTime();
                        long bytes = side.getValue().applyAsLong(ipc);
                        double mbps = bytes / 1e6 / ((System.nanoTime() - started) / 1e9);
                        if (run >= warmup) {
                            results.get(side.getKey()).add(mbps);
                        }
                        line.append(String.format(Locale.ROOT, "  %.0f", mbps));
                    }
                    System.out.println(line + " MB/s");
                }
                double baseline = median(results.values().iterator().next());
                System.out.printf(Locale.ROOT, "%nmedians of %d runs:%n", runs);
                results.forEach((name, values) -> System.out.printf(Locale.ROOT, "  %-42s %8.1f MB/s  ratio %.2f%n", name,
                        median(values), median(values) / baseline));
                System.out.printf(Locale.ROOT, "stand-in device: %d allocations for %d copies%n", device.allocations(),
                        device.copiesEnqueued());
            }
        }
    }

    static long baseline(Server server) {
        try (SocketChannel socket = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()))) {
            socket.write(ByteBuffer.wrap("GET /v1/grants/b/stream?shard=0&shards=1&epoch=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            long bytes = 0;
            for (int n = socket.read(buffer); n >= 0; n = socket.read(buffer)) {
                bytes += n;
                if (!buffer.hasRemaining()) {
                    buffer.clear();
                }
            }
            return bytes;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long grantStream(GpuLoader loader) {
        try (GrantStream stream = loader.open("b", StreamRequest.whole(), () -> "t")) {
            while (stream.hasNext()) {
                stream.next().close();
            }
            return stream.bytesReceived();
        }
    }

    static long training(GpuLoader loader) {
        try (TrainingStream stream = loader.openTraining("b", Checkpoint.start(0, 1, 0), () -> "t")) {
            while (stream.hasNext()) {
                stream.next().close();
            }
            return stream.metrics().bytesReceived();
        }
    }

    /** About {@code mib} MiB of training-like columns: ids, two features, a label. */
    static byte[] stream(int mib) throws IOException {
        Schema schema = new Schema(List.of(
                new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                new Field("x", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
                new Field("y", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null),
                new Field("label", FieldType.notNullable(new ArrowType.Int(32, true)), null)));
        ByteArrayOutputStream out = new ByteArrayOutputStream((mib + 8) << 20);
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
            writer.start();
            long row = 0;
            while (out.size() < ((long) mib << 20)) {
                root.getFieldVectors().forEach(v -> ((org.apache.arrow.vector.FixedWidthVector) v).allocateNew(ROWS_PER_BATCH));
                BigIntVector id = (BigIntVector) root.getVector("id");
                Float8Vector x = (Float8Vector) root.getVector("x");
                Float4Vector y = (Float4Vector) root.getVector("y");
                IntVector label = (IntVector) root.getVector("label");
                for (int i = 0; i < ROWS_PER_BATCH; i++, row++) {
                    id.set(i, row);
                    x.set(i, row * 0.5);
                    y.set(i, row % 1000 / 7f);
                    label.set(i, (int) (row % 10));
                }
                root.setRowCount(ROWS_PER_BATCH);
                writer.writeBatch();
            }
            writer.end();
        }
        return out.toByteArray();
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** An HTTP/1.1 server on 127.0.0.1 that answers every request with the same Arrow stream, chunked. */
    static final class Server implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread acceptor;
        private final byte[] body;

        Server(byte[] body) throws IOException {
            this.body = body;
            this.socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
            this.acceptor = Thread.ofPlatform().daemon().name("bench-server").start(this::serve);
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + port());
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept()) {
                    connection.setSendBufferSize(4 << 20);
                    InputStream in = connection.getInputStream();
                    int matched = 0;
                    while (matched < 4) {
                        int b = in.read();
                        if (b < 0) {
                            break;
                        }
                        matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
                    }
                    OutputStream out = connection.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + GpuLoader.ARROW_STREAM_MEDIA_TYPE + "\r\n"
                            + GpuLoader.STREAM_ID_HEADER + ": bench\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    for (int offset = 0; offset < body.length; offset += CHUNK) {
                        int n = Math.min(CHUNK, body.length - offset);
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(body, offset, n);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // closed, or the client went away
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
