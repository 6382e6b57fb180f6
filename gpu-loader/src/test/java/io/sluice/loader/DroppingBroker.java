package io.sluice.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;

/**
 * A broker that announces a whole stream with its Content-Length, sends only part of it and then
 * closes the connection: a connection dropped mid-stream. On 127.0.0.1.
 *
 * <p>Either one request for fixed bytes, or a dataset served like {@link FakeBroker.Dataset}
 * (honouring {@code shard}, {@code shards}, {@code seed}, {@code epoch} and {@code from}) where
 * connection {@code k} is cut where {@code cuts.get(k)} says (applied to the stream that connection
 * serves); connections past the list are served whole.
 */
final class DroppingBroker implements AutoCloseable {

    /** Serve the whole stream. */
    static final ToLongFunction<TestStreams.Written> WHOLE = written -> written.bytes().length;

    /** Cut in the middle of the second batch the connection serves. */
    static final ToLongFunction<TestStreams.Written> MID_SECOND_BATCH =
            written -> (written.batchEnds()[0] + written.batchEnds()[1]) / 2;

    /** Cut in the middle of the first batch the connection serves. */
    static final ToLongFunction<TestStreams.Written> MID_FIRST_BATCH =
            written -> (written.schemaEnd() + written.batchEnds()[0]) / 2;

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<String> queries = new CopyOnWriteArrayList<>();
    /** Connections held silent: closed by {@link #close()}, so no thread of this broker outlives it. */
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    DroppingBroker(String streamId, byte[] bytes, long sent) throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            boolean served = false;
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    String target = readTarget(socket.getInputStream());
                    if (served || !target.contains("/stream?") && !target.endsWith("/stream")) {
                        notFound(socket.getOutputStream());
                        continue;
                    }
                    served = true;
                    queries.add(query(target));
                    send(socket.getOutputStream(), streamId, bytes, sent);
                } catch (IOException e) {
                    // closed, or the client went away: the test sees the outcome on the client side
                }
            }
        });
    }

    DroppingBroker(String prefix, List<List<TestStreams.Row>> batches, List<ToLongFunction<TestStreams.Written>> cuts)
            throws IOException {
        this(prefix, batches, cuts, false, false, false);
    }

    /**
     * A broker whose first stream connection goes silent: it sends up to {@code cut} and then
     * nothing more, holding the connection open (a half-open connection, a hung broker) until the
     * client closes it; later connections are served whole.
     */
    static DroppingBroker stalling(String prefix, List<List<TestStreams.Row>> batches, ToLongFunction<TestStreams.Written> cut)
            throws IOException {
        return new DroppingBroker(prefix, batches, List.of(cut), false, true, false);
    }

    /**
     * A broker that cuts its first stream connection where {@code cut} says and, asked why
     * ({@code GET /v1/streams/{id}}), sends a response head and a few bytes of the body and then
     * nothing more, holding that connection open; later stream connections are served whole.
     */
    static DroppingBroker stallingStatus(String prefix, List<List<TestStreams.Row>> batches,
            ToLongFunction<TestStreams.Written> cut) throws IOException {
        return new DroppingBroker(prefix, batches, List.of(cut), false, false, true);
    }

    /**
     * A broker killed mid-stream: serves its first stream connection cut where {@code cut} says,
     * and stops listening before it lets go of that connection, so the loader's status lookup and
     * reconnects to it are refused.
     */
    static DroppingBroker dying(String prefix, List<List<TestStreams.Row>> batches, ToLongFunction<TestStreams.Written> cut)
            throws IOException {
        return new DroppingBroker(prefix, batches, List.of(cut), true, false, false);
    }

    private DroppingBroker(String prefix, List<List<TestStreams.Row>> batches,
            List<ToLongFunction<TestStreams.Written>> cuts, boolean dieAfterFirst, boolean stallFirst,
            boolean stallStatus) throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            for (int k = 0; !server.isClosed(); k++) {
                Socket accepted;
                try {
                    accepted = server.accept();
                } catch (IOException e) {
                    continue; // closed: the loop ends
                }
                if (stallFirst && k == 0) {
                    Socket silent = accepted;
                    held.add(silent);
                    int first = k;
                    Thread.ofVirtual().start(() -> {
                        try (silent) {
                            String query = query(readTarget(silent.getInputStream()));
                            queries.add(query);
                            TestStreams.Written written = TestStreams.write(FakeBroker.order(batches, query));
                            long sent = cuts.get(first).applyAsLong(written);
                            send(silent.getOutputStream(), prefix + "-" + (first + 1), written.bytes(), sent);
                            silent.getInputStream().transferTo(OutputStream.nullOutputStream()); // silent until the client closes
                        } catch (IOException e) {
                            // the client went away
                        }
                    });
                    continue;
                }
                String target;
                try {
                    target = readTarget(accepted.getInputStream());
                } catch (IOException e) {
                    closeQuietly(accepted);
                    continue;
                }
                if (stallStatus && target.startsWith("/v1/streams/")) {
                    held.add(accepted);
                    Thread.ofVirtual().start(() -> stallMidBody(accepted));
                    k--;
                    continue;
                }
                try (Socket socket = accepted) {
                    if (target.startsWith("/v1/streams/")) {
                        notFound(socket.getOutputStream()); // the loader asking why a stream broke: this stand-in does not know
                        k--;
                        continue;
                    }
                    String query = query(target);
                    queries.add(query);
                    TestStreams.Written written = TestStreams.write(FakeBroker.order(batches, query));
                    long sent = k < cuts.size() ? cuts.get(k).applyAsLong(written) : written.bytes().length;
                    send(socket.getOutputStream(), prefix + "-" + (k + 1), written.bytes(), Math.min(sent, written.bytes().length));
                    if (dieAfterFirst) {
                        server.close(); // before the connection closes: the loader sees the break with nobody listening
                    }
                } catch (IOException e) {
                    // closed, or the client went away: the test sees the outcome on the client side
                }
            }
        });
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** The query strings received, in order. */
    List<String> queries() {
        return List.copyOf(queries);
    }

    private static String query(String target) {
        int question = target.indexOf('?');
        return question < 0 ? "" : target.substring(question + 1);
    }

    /** A status answer that stops after its head and 10 of its 100 bytes, until the client closes. */
    private static void stallMidBody(Socket socket) {
        try (socket) {
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"state\": ")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.getInputStream().transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private static void notFound(OutputStream out) throws IOException {
        out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads the request head up to the blank line; returns the target of the request line. */
    private static String readTarget(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("request ended early");
            }
            head.append((char) b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.substring(head.indexOf(" ") + 1, head.indexOf(" HTTP/"));
    }

    private static void send(OutputStream out, String streamId, byte[] bytes, long sent) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\n"
                + "Content-Type: " + GpuLoader.ARROW_STREAM_MEDIA_TYPE + "\r\n"
                + GpuLoader.STREAM_ID_HEADER + ": " + streamId + "\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes, 0, Math.toIntExact(sent));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : held) {
            socket.close();
        }
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
